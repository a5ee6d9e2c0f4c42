import { useMemo, useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Divider, Form, Input, Select } from 'antd';
import { api, request } from '../../app/api/client';
import { useShowError } from '../../app/api/errors';
import { useI18n } from '../../app/i18n';
import { notifier } from '../../app/ui/notify';
import { FormModal, useRequiredRules } from '../../app/ui/FormModal';
import { popPath, useDictionaries, useDictNames, type House, type Person, type PersonCorrection, type PersonDetail } from './api';

/** The label of a corrected field (person_events `corrected` → fields). */
const FIELD_KEYS: Record<string, string> = {
  name: 'pop.person.name', phone: 'pop.person.phone', ethnicity: 'pop.person.ethnicity', origin: 'pop.person.origin',
  education: 'pop.person.education', occupation: 'pop.person.occupation', arrivalReason: 'pop.person.reason',
  idNumber: 'pop.person.idNumber', birthDate: 'pop.person.birthDate', gender: 'pop.person.gender',
  houseId: 'pop.field.houseId', employerId: 'pop.field.employerId',
};
export function useFieldLabel() {
  const { tx } = useI18n();
  return (field: string) => (FIELD_KEYS[field] ? tx(FIELD_KEYS[field], field) : field);
}

interface Values {
  name: string;
  phone?: string;
  ethnicity?: string | null;
  origin?: string | null;
  education?: string | null;
  occupation?: string;
  arrivalReason?: string;
  houseId?: string | null;
  idNumber?: string;
  correctionReason?: string;
  reason: string;
}

/**
 * 更正 — corrects what was recorded wrongly about a registered person (PATCH /persons/:id): only
 * the changed fields are sent, with the reason; an ID number correction needs its grounds.
 */
export function CorrectPersonModal({ person, onClose }: { person: PersonDetail | null; onClose: () => void }) {
  const { t } = useI18n();
  const { requiredText } = useRequiredRules();
  const dict = useDictionaries();
  const names = useDictNames();
  const label = useFieldLabel();
  const [form] = Form.useForm<Values>();
  const [houseSearch, setHouseSearch] = useState('');
  const idNumber = Form.useWatch('idNumber', form);
  const open = !!person;
  const current = person?.residences.find((r) => !r.to);

  const initial: Values | undefined = useMemo(
    () =>
      person
        ? {
            name: person.name,
            ethnicity: person.ethnicity,
            origin: person.origin,
            education: person.education,
            occupation: person.occupation ?? '',
            arrivalReason: person.arrivalReason ?? '',
            houseId: person.houseId,
            reason: '',
          }
        : undefined,
    [person],
  );

  const houses = useQuery({
    queryKey: ['population', 'houses', 'picker', person?.gridId, houseSearch],
    queryFn: ({ signal }) => api.get<{ items: House[] }>(popPath('/houses'), { gridId: person?.gridId, q: houseSearch.trim() || undefined, pageSize: 100 }, signal),
    enabled: open && person?.status === 'active',
    placeholderData: keepPreviousData,
  });
  const houseOptions = useMemo(() => {
    const opts = (houses.data?.items ?? []).map((h) => ({ value: h.id, label: h.fullAddress }));
    if (person?.houseId && current?.address && !opts.some((o) => o.value === person.houseId)) opts.unshift({ value: person.houseId, label: current.address });
    return opts;
  }, [houses.data, person?.houseId, current?.address]);

  const qc = useQueryClient();
  const showError = useShowError();
  const save = useMutation({
    mutationFn: (body: PersonCorrection) => request<Person & { correctedFields: string[] }>(popPath(`/persons/${person!.id}`), { method: 'PATCH', body }),
    onSuccess: (r) => {
      notifier.message?.success(t('pop.correct.done', { fields: r.correctedFields.map(label).join(t('pop.listSep')) }));
      void qc.invalidateQueries({ queryKey: ['population'] });
      onClose();
    },
    // The server's error on the fields it names (details[].path), else as a notification.
    onError: (e) => showError(e, form),
  });

  const submit = (v: Values) => {
    if (!person || !initial) return;
    const body: PersonCorrection = { reason: v.reason.trim(), version: person.version };
    const text = (x: string | undefined) => (x ?? '').trim();
    if (text(v.name) !== person.name) body.name = text(v.name);
    if (text(v.phone)) body.phone = text(v.phone);
    for (const k of ['ethnicity', 'origin', 'education'] as const) if ((v[k] ?? null) !== (initial[k] ?? null)) body[k] = v[k] ?? null;
    if (text(v.occupation) !== text(initial.occupation)) body.occupation = text(v.occupation) || null;
    if (text(v.arrivalReason) !== text(initial.arrivalReason)) body.arrivalReason = text(v.arrivalReason) || null;
    if ((v.houseId ?? null) !== (initial.houseId ?? null)) body.houseId = v.houseId ?? null;
    if (text(v.idNumber)) {
      body.idNumber = text(v.idNumber);
      body.correctionReason = text(v.correctionReason);
    }
    if (Object.keys(body).length <= 2) {
      notifier.message?.warning(t('pop.correct.noChanges'));
      return;
    }
    save.mutate(body);
  };

  const dictOptions = (list: { code: string; name: string }[] | undefined, fmt?: (c: string, n: string) => string) =>
    (list ?? []).map((d) => ({ value: d.code, label: fmt ? fmt(d.code, d.name) : d.name }));

  return (
    <FormModal
      open={open}
      title={person ? t('pop.correct.title', { name: person.name }) : ''}
      form={form}
      initialValues={initial}
      save={{ mutate: submit, isPending: save.isPending }}
      onClose={onClose}
      okText={t('pop.correct.submit')}
      okTestId="correct-submit"
      width={560}
      data-testid="correct-modal"
    >
      <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('pop.correct.hint')} />
      <Form.Item name="name" label={t('pop.person.name')} rules={requiredText(t('pop.person.name'))}>
        <Input maxLength={50} autoComplete="off" data-testid="correct-name" />
      </Form.Item>
      <Form.Item name="phone" label={t('pop.person.phone')} rules={[{ pattern: /^[\d\s-]{7,20}$/, message: t('pop.phoneInvalid') }]}>
        <Input inputMode="tel" maxLength={30} autoComplete="off" placeholder={t('pop.correct.phonePlaceholder', { masked: person?.phoneMasked ?? '—' })} />
      </Form.Item>
      <Form.Item name="ethnicity" label={t('pop.person.ethnicity')}>
        <Select allowClear showSearch optionFilterProp="label" options={dictOptions(dict.data?.ethnicities)} />
      </Form.Item>
      <Form.Item name="origin" label={t('pop.person.origin')}>
        <Select allowClear showSearch optionFilterProp="label" options={dictOptions(dict.data?.origins, (c) => names.originLabel(c))} />
      </Form.Item>
      <Form.Item name="education" label={t('pop.person.education')}>
        <Select allowClear showSearch optionFilterProp="label" options={dictOptions(dict.data?.education)} />
      </Form.Item>
      <Form.Item name="occupation" label={t('pop.person.occupation')}>
        <Input maxLength={50} />
      </Form.Item>
      {person?.status === 'active' && (
        <Form.Item name="houseId" label={t('pop.correct.house')}>
          <Select allowClear showSearch filterOption={false} onSearch={setHouseSearch} loading={houses.isFetching} options={houseOptions} placeholder={t('pop.register.housePlaceholder')} />
        </Form.Item>
      )}
      <Form.Item name="arrivalReason" label={t('pop.person.reason')}>
        <Input maxLength={200} />
      </Form.Item>
      {person && person.idType !== 'none' && (
        <>
          <Divider orientation="left" plain style={{ margin: '8px 0' }}>
            {t('pop.correct.idSection')}
          </Divider>
          <Form.Item name="idNumber" label={t('pop.correct.idNumber')}>
            <Input maxLength={32} autoComplete="off" className="mono" placeholder={t('pop.correct.idNumberPlaceholder', { masked: person.idNumberMasked ?? '—' })} data-testid="correct-id" />
          </Form.Item>
          {idNumber?.trim() && (
            <Form.Item
              name="correctionReason"
              label={t('pop.correct.correctionReason')}
              rules={[{ required: true, whitespace: true, message: t('pop.correct.correctionReasonRequired') }]}
            >
              <Input maxLength={200} placeholder={t('pop.correct.correctionReasonPlaceholder')} />
            </Form.Item>
          )}
        </>
      )}
      <Form.Item name="reason" label={t('pop.correct.reason')} rules={[{ required: true, whitespace: true, message: t('pop.correct.reasonRequired') }]}>
        <Input.TextArea rows={2} maxLength={200} placeholder={t('pop.correct.reasonPlaceholder')} data-testid="correct-reason" />
      </Form.Item>
    </FormModal>
  );
}

/** The 更正 button of a person's detail (person:write, in the caller's scope — else the detail would not open). */
export function CorrectButton({ onClick }: { onClick: () => void }) {
  const { t } = useI18n();
  return (
    <Button onClick={onClick} data-testid="person-correct">
      {t('pop.correct.button')}
    </Button>
  );
}
