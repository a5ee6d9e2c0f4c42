import { useEffect, useMemo, useState } from 'react';
import { useNavigate } from 'react-router';
import type { Dayjs } from 'dayjs';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, AutoComplete, Button, Card, Col, Descriptions, Form, Input, List, Modal, Radio, Result, Row, Select, Space, Tag, Typography } from 'antd';
import { CheckCircleFilled, PlusOutlined, SwapOutlined } from '@ant-design/icons';
import { api, isApiError } from '../../app/api/client';
import { useShowError } from '../../app/api/errors';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n, type MessageKey } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDate, officeToday, officeTodayStr, toDateStr } from '../../app/ui/format';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { notifier } from '../../app/ui/notify';
import { useRequiredRules } from '../../app/ui/FormModal';
import { ID_TYPES, popPath, useDictionaries, useDictNames, useMyGrids, type DedupCandidate, type House, type IdType, type Move, type Person } from './api';
import { DateInput, GridField, HouseModal, notFuture, PersonDrawer, ReviewTag } from './components';
import { checkOtherDocument, idTypingState, type IdProblemMessage, type TypingState } from './idnumber';
import './population.css';

interface FormValues {
  idType: IdType;
  idNumber?: string;
  name: string;
  phone?: string;
  gridId: string;
  houseId?: string;
  arrivedOn: Dayjs;
  reason?: string;
  ethnicity?: string;
  origin?: string;
  education?: string;
  occupation?: string;
  birthDate?: Dayjs;
  gender?: 'male' | 'female';
  correctionReason?: string;
}

const GB11643: IdType[] = ['resident_id', 'foreign_permanent_id'];
const problemKey = (m: IdProblemMessage | string): MessageKey => `pop.id.problem.${m}` as MessageKey;
/** Server detail codes → the message of the same problem in the browser check. */
const SERVER_PROBLEM: Record<string, IdProblemMessage> = {
  LENGTH: 'LENGTH',
  CHARSET: 'CHARSET',
  BIRTH_DATE: 'BIRTH_DATE_INVALID',
  CHECKSUM: 'CHECKSUM',
  ADDRESS_CODE: 'ADDRESS_CODE',
};

export default function RegisterPage() {
  const { t, tx } = useI18n();
  const { required, requiredText } = useRequiredRules();
  const isMobile = useIsMobile();
  const navigate = useNavigate();
  const { can } = useAuth();
  const qc = useQueryClient();
  const showError = useShowError();
  const [form] = Form.useForm<FormValues>();
  const dict = useDictionaries();
  const names = useDictNames();
  const { grids, loading: gridsLoading } = useMyGrids();
  const today = officeTodayStr();

  const idType = (Form.useWatch('idType', form) ?? 'resident_id') as IdType;
  const idNumber = Form.useWatch('idNumber', form) ?? '';
  const gridId = Form.useWatch('gridId', form) as string | undefined;
  const gb = GB11643.includes(idType);
  const typing: TypingState = useMemo(
    () => (gb ? idTypingState(idNumber, today, idType as 'resident_id' | 'foreign_permanent_id') : { state: 'empty' }),
    [gb, idNumber, today, idType],
  );
  const parsed = typing.state === 'valid' ? typing.value : null;

  const [houseSearch, setHouseSearch] = useState('');
  const [houseModal, setHouseModal] = useState(false);
  const [candidates, setCandidates] = useState<DedupCandidate[] | null>(null);
  const [already, setAlready] = useState<{ message: string; values: FormValues; ownGrid: boolean; personId: string | null } | null>(null);
  const [lastCandidates, setLastCandidates] = useState<DedupCandidate[]>([]);
  const [viewPerson, setViewPerson] = useState<string | null>(null);
  const [needCorrection, setNeedCorrection] = useState(false);
  const [saved, setSaved] = useState<Person | null>(null);
  const [moveSaved, setMoveSaved] = useState<Move | null>(null);
  const [originTouched, setOriginTouched] = useState(false);

  // The only grid of a grid worker is set without asking.
  useEffect(() => {
    if (grids.length === 1 && !form.getFieldValue('gridId')) form.setFieldValue('gridId', grids[0].id);
  }, [grids, form]);

  // Birth date and gender come from a valid ID number; 户籍地 from its address code (unless chosen).
  useEffect(() => {
    if (!gb) return;
    if (parsed && !parsed.foreignPermanent && !originTouched && dict.data) {
      const code = parsed.normalized.slice(0, 6);
      const known = new Set(dict.data.origins.map((o) => o.code));
      const origin = [`${code.slice(0, 4)}00`, `${code.slice(0, 2)}0000`].find((c) => known.has(c));
      if (origin) form.setFieldValue('origin', origin);
    }
  }, [parsed, gb, form, originTouched, dict.data]);

  const houses = useQuery({
    queryKey: ['population', 'houses', 'picker', gridId, houseSearch],
    queryFn: ({ signal }) => api.get<{ items: House[] }>(popPath('/houses'), { gridId, q: houseSearch.trim() || undefined, pageSize: 100 }, signal),
    enabled: !!gridId,
    placeholderData: keepPreviousData,
  });

  const body = (v: FormValues) => ({
    idType: v.idType,
    idNumber: v.idType === 'none' ? undefined : v.idNumber?.trim(),
    name: v.name.trim(),
    phone: v.phone?.trim() || undefined,
    gridId: v.gridId,
    houseId: v.houseId || undefined,
    arrivedOn: toDateStr(v.arrivedOn)!,
    reason: v.reason?.trim() || undefined,
    ethnicity: v.ethnicity || undefined,
    origin: v.origin || undefined,
    education: v.education || undefined,
    occupation: v.occupation?.trim() || undefined,
    birthDate: GB11643.includes(v.idType) ? undefined : toDateStr(v.birthDate),
    gender: GB11643.includes(v.idType) ? undefined : v.gender,
    correctionReason: v.correctionReason?.trim() || undefined,
  });

  const register = useMutation({
    mutationFn: (v: FormValues) => api.post<Person>(popPath('/persons'), body(v)),
    onSuccess: (p) => {
      setCandidates(null);
      setSaved(p);
      setNeedCorrection(false);
      void qc.invalidateQueries({ queryKey: ['population'] });
      window.scrollTo({ top: 0 });
    },
    onError: (e, v) => {
      setCandidates(null);
      if (isApiError(e) && e.code === 'ALREADY_REGISTERED') {
        // In the caller's scope the server names the grid and the person (details gridId / personId);
        // the same grid means: nothing to move — open that person instead.
        const detail = (path: string) => e.details.find((d) => d.path === path);
        const named = e.details.find((d) => d.code === 'ALREADY_REGISTERED')?.message;
        const gridName = grids.find((g) => g.id === v.gridId)?.name;
        const ownGrid = detail('gridId') ? detail('gridId')!.message === v.gridId : !!named && named === gridName;
        const same = lastCandidates.find((c) => c.reason === 'same_document');
        setAlready({ message: e.message, values: v, ownGrid, personId: detail('personId')?.message ?? same?.id ?? null });
        return;
      }
      if (isApiError(e) && e.code === 'ID_NAME_MISMATCH') {
        setNeedCorrection(true);
        form.setFields([{ name: 'name', errors: [e.message] }]);
        notifier.message?.warning(e.message);
        return;
      }
      if (isApiError(e) && e.code === 'INVALID_ID_NUMBER') {
        const d = e.details.find((x) => x.path === 'idNumber') ?? e.details[0];
        const msg = d ? tx(problemKey(SERVER_PROBLEM[d.code] ?? d.code), d.message) : e.message;
        form.setFields([{ name: 'idNumber', errors: [d ? `${msg}（${d.code}）` : msg] }]);
        form.scrollToField('idNumber');
        return;
      }
      showError(e, form);
    },
  });

  const dedup = useMutation({
    mutationFn: (v: FormValues) =>
      api.post<{ candidates: DedupCandidate[] }>(popPath('/persons/dedup-check'), {
        name: v.name.trim(),
        idType: v.idType,
        idNumber: v.idType === 'none' ? undefined : v.idNumber?.trim() || undefined,
        birthDate: GB11643.includes(v.idType) ? parsed?.birthDate : toDateStr(v.birthDate),
      }),
    onSuccess: (res, v) => {
      setLastCandidates(res.candidates);
      // The same document, living here already: the server will say so (and offer a move) — no need to ask first.
      if (res.candidates.some((c) => c.reason === 'same_document' && c.status === 'active')) register.mutate(v);
      else if (res.candidates.length > 0) setCandidates(res.candidates);
      else register.mutate(v);
    },
    // The check never blocks a registration: if it fails, register and let the server decide.
    onError: (_e, v) => register.mutate(v),
  });

  const requestMove = useMutation({
    mutationFn: (v: FormValues) =>
      api.post<Move>(popPath('/moves'), {
        idType: v.idType,
        idNumber: v.idNumber?.trim() ?? '',
        toGridId: v.gridId,
        houseId: v.houseId || undefined,
        arrivedOn: toDateStr(v.arrivedOn),
      }),
    onSuccess: (m) => {
      setAlready(null);
      setMoveSaved(m);
      void qc.invalidateQueries({ queryKey: ['population'] });
    },
    onError: (e) => showError(e),
  });

  const restart = () => {
    setSaved(null);
    setMoveSaved(null);
    setOriginTouched(false);
    setNeedCorrection(false);
    form.resetFields();
    if (grids.length === 1) form.setFieldValue('gridId', grids[0].id);
    window.scrollTo({ top: 0 });
  };

  const size = isMobile ? 'large' : 'middle';
  const idHelp = (() => {
    if (!gb) return undefined;
    if (typing.state === 'typing') return t('pop.id.typing', { n: typing.length });
    if (parsed) {
      return (
        <span className="pop-id-ok" data-testid="id-parsed">
          <CheckCircleFilled /> {t('pop.id.validShort')}
          {parsed.upgradedFrom15 ? ` ${t('pop.id.upgraded', { n: parsed.normalized })}` : ''}
        </span>
      );
    }
    return undefined;
  })();

  if (saved || moveSaved) {
    const again = (
      <Space direction={isMobile ? 'vertical' : 'horizontal'} style={{ width: isMobile ? '100%' : undefined, marginTop: 16, justifyContent: 'center', display: 'flex' }}>
        <Button type="primary" size={size} block={isMobile} onClick={restart} data-testid="register-again">
          {t('pop.register.again')}
        </Button>
        {can('patrol:grid') && (
          <Button size={size} block={isMobile} onClick={() => navigate('/population/my-grid')}>
            {t('pop.register.toMyGrid')}
          </Button>
        )}
      </Space>
    );
    return (
      <div className="page pop-narrow" data-testid="register-page">
        <Card>
          {saved ? (
            <>
              <Result
                status="success"
                style={{ padding: '16px 0' }}
                title={<span data-testid="register-success">{t(saved.reused ? 'pop.register.savedReused' : 'pop.register.saved')}</span>}
                subTitle={t('pop.register.savedHint')}
              />
              <Descriptions column={1} size="small" bordered data-testid="register-saved" styles={{ label: { width: 96, whiteSpace: 'nowrap' } }}>
                <Descriptions.Item label={t('pop.person.name')}>
                  <span data-testid="saved-name">{saved.name}</span>
                </Descriptions.Item>
                <Descriptions.Item label={t('pop.person.idNumber')}>
                  <span className="mono">{saved.idNumberMasked ?? '—'}</span>
                </Descriptions.Item>
                <Descriptions.Item label={t('pop.person.birthDate')}>
                  {fmtDate(saved.birthDate) || '—'} {saved.gender ? `· ${t(`pop.gender.${saved.gender}`)}` : ''}
                </Descriptions.Item>
                <Descriptions.Item label={t('pop.grid')}>{saved.gridName}</Descriptions.Item>
                {saved.houseAddress && (
                  <Descriptions.Item label={t('pop.register.house')}>
                    <span data-testid="saved-house">{saved.houseAddress}</span>
                  </Descriptions.Item>
                )}
                <Descriptions.Item label={t('pop.person.arrivedOn')}>{fmtDate(saved.arrivedOn)}</Descriptions.Item>
                <Descriptions.Item label={t('pop.record.status')}>
                  <ReviewTag status={saved.reviewStatus} />
                </Descriptions.Item>
              </Descriptions>
            </>
          ) : (
            <Result
              status="success"
              style={{ padding: '16px 0' }}
              title={<span data-testid="move-requested">{t('pop.move.requested')}</span>}
              subTitle={t(moveSaved!.crossCommunity ? 'pop.move.requestedCross' : 'pop.move.requestedSame')}
            />
          )}
          {again}
        </Card>
      </div>
    );
  }

  const submitting = dedup.isPending || register.isPending;
  const idTypeOptions = ID_TYPES.map((c) => ({ value: c, label: tx(`pop.idType.${c}`, dict.data?.idTypes.find((d) => d.code === c)?.name ?? c) }));
  const dictOptions = (list: { code: string; name: string }[] | undefined, label?: (c: string, n: string) => string) =>
    (list ?? []).map((d) => ({ value: d.code, label: label ? label(d.code, d.name) : d.name }));
  const col = (n: number) => ({ xs: 24, md: n });

  return (
    <div className="page pop-narrow" data-testid="register-page">
      <PageHeader title={t('pop.register.title')} />
      {grids.length === 0 && !gridsLoading && <Alert type="warning" showIcon message={t('pop.noGrid')} />}
      <Form<FormValues>
        form={form}
        layout="vertical"
        size={size}
        className={isMobile ? 'pop-form-mobile' : undefined}
        initialValues={{ idType: 'resident_id', arrivedOn: officeToday() }}
        onFinish={(v) => dedup.mutate(v)}
        onFinishFailed={({ errorFields }) => errorFields[0] && form.scrollToField(errorFields[0].name)}
        scrollToFirstError
      >
        <Card size="small" title={t('pop.register.section.document')} className="pop-card">
          <Row gutter={16}>
            <Col {...col(8)}>
              <Form.Item name="idType" label={t('pop.person.idType')}>
                <Select options={idTypeOptions} data-testid="reg-id-type" onChange={() => form.setFields([{ name: 'idNumber', errors: [] }])} />
              </Form.Item>
            </Col>
            {idType !== 'none' && (
              <Col {...col(16)}>
                <Form.Item
                  name="idNumber"
                  label={t('pop.person.idNumber')}
                  validateTrigger={['onChange', 'onBlur']}
                  extra={idHelp}
                  normalize={(v: string) => (gb ? v.replace(/\s/g, '').toUpperCase() : v.toUpperCase())}
                  rules={[
                    ...requiredText(t('pop.person.idNumber')),
                    {
                      validateTrigger: 'onChange',
                      validator: (_r, v: string | undefined) => {
                        if (!v || !gb) return Promise.resolve();
                        const s = idTypingState(v, today, idType as 'resident_id' | 'foreign_permanent_id');
                        return s.state === 'invalid' ? Promise.reject(new Error(t(problemKey(s.message)))) : Promise.resolve();
                      },
                    },
                    {
                      validateTrigger: 'onBlur',
                      validator: (_r, v: string | undefined) => {
                        if (!v) return Promise.resolve();
                        if (!gb) {
                          const r = checkOtherDocument(v);
                          return r.ok ? Promise.resolve() : Promise.reject(new Error(t(problemKey(r.message))));
                        }
                        const s = idTypingState(v, today, idType as 'resident_id' | 'foreign_permanent_id');
                        if (s.state === 'typing') return Promise.reject(new Error(t('pop.id.incomplete', { n: s.length })));
                        return s.state === 'invalid' ? Promise.reject(new Error(t(problemKey(s.message)))) : Promise.resolve();
                      },
                    },
                  ]}
                >
                  <Input
                    maxLength={gb ? 18 : 32}
                    autoComplete="off"
                    inputMode={gb ? 'numeric' : 'text'}
                    placeholder={gb ? t('pop.id.placeholder') : t('pop.id.placeholderOther')}
                    className="mono-input"
                    data-testid="reg-id-number"
                    allowClear
                  />
                </Form.Item>
              </Col>
            )}
            <Col {...col(8)}>
              <Form.Item name="name" label={t('pop.person.name')} rules={requiredText(t('pop.person.name'))}>
                <Input maxLength={50} autoComplete="off" data-testid="reg-name" />
              </Form.Item>
            </Col>
            {gb ? (
              <Col {...col(8)}>
                <Form.Item label={t('pop.register.fromId')}>
                  <div className="pop-derived" data-testid="reg-derived">
                    <span>
                      {t('pop.person.birthDate')}{t('pop.colon')}<b data-testid="reg-birth-date-value">{parsed?.birthDate ?? '—'}</b>
                    </span>
                    <span>
                      {t('pop.person.gender')}{t('pop.colon')}<b data-testid="reg-gender-value">{parsed ? t(`pop.gender.${parsed.gender}`) : '—'}</b>
                    </span>
                  </div>
                </Form.Item>
              </Col>
            ) : (
              <>
                <Col xs={14} md={8}>
                  <Form.Item name="birthDate" label={t('pop.person.birthDate')}>
                    <DateInput disabledDate={notFuture} data-testid="reg-birth-date" />
                  </Form.Item>
                </Col>
                <Col xs={10} md={8}>
                  <Form.Item name="gender" label={t('pop.person.gender')}>
                    <Radio.Group optionType="button" buttonStyle="solid" data-testid="reg-gender">
                      <Radio.Button value="male">{t('pop.gender.male')}</Radio.Button>
                      <Radio.Button value="female">{t('pop.gender.female')}</Radio.Button>
                    </Radio.Group>
                  </Form.Item>
                </Col>
              </>
            )}
            {needCorrection && (
              <Col span={24}>
                <Form.Item
                  name="correctionReason"
                  label={t('pop.register.correctionReason')}
                  rules={requiredText(t('pop.register.correctionReason'))}
                >
                  <Input maxLength={200} placeholder={t('pop.register.correctionPlaceholder')} data-testid="reg-correction" />
                </Form.Item>
              </Col>
            )}
            <Col {...col(8)}>
              <Form.Item name="phone" label={t('pop.person.phone')} rules={[{ pattern: /^[\d\s-]{7,20}$/, message: t('pop.phoneInvalid') }]}>
                <Input maxLength={20} inputMode="tel" autoComplete="off" placeholder={t('common.optional')} data-testid="reg-phone" />
              </Form.Item>
            </Col>
          </Row>
        </Card>

        <Card size="small" title={t('pop.register.section.residence')} className="pop-card">
          <Row gutter={16}>
            <Col {...col(12)}>
              <GridField grids={grids} />
            </Col>
            <Col {...col(12)}>
              <Form.Item label={t('pop.register.house')} required={false}>
                <Space.Compact block>
                  <Form.Item name="houseId" noStyle>
                    <Select
                      allowClear
                      showSearch
                      filterOption={false}
                      onSearch={setHouseSearch}
                      loading={houses.isFetching}
                      disabled={!gridId}
                      placeholder={t('pop.register.housePlaceholder')}
                      notFoundContent={t('pop.register.noHouse')}
                      data-testid="reg-house"
                      options={(houses.data?.items ?? []).map((h) => ({
                        value: h.id,
                        label: h.fullAddress,
                      }))}
                    />
                  </Form.Item>
                  <Button icon={<PlusOutlined />} onClick={() => setHouseModal(true)} disabled={!gridId} aria-label={t('pop.house.new')}>
                    {isMobile ? null : t('pop.house.new')}
                  </Button>
                </Space.Compact>
              </Form.Item>
            </Col>
            <Col {...col(12)}>
              <Form.Item name="arrivedOn" label={t('pop.person.arrivedOn')} rules={required(t('pop.person.arrivedOn'))}>
                <DateInput disabledDate={notFuture} data-testid="reg-arrived-on" />
              </Form.Item>
            </Col>
            <Col {...col(12)}>
              <Form.Item name="reason" label={t('pop.person.reason')}>
                <AutoComplete
                  options={(['work', 'business', 'study', 'family', 'other'] as const).map((k) => ({ value: t(`pop.reason.${k}`) }))}
                  maxLength={200}
                  placeholder={t('pop.register.reasonPlaceholder')}
                  data-testid="reg-reason"
                />
              </Form.Item>
            </Col>
          </Row>
        </Card>

        <Card size="small" title={t('pop.register.section.more')} className="pop-card">
          <Row gutter={16}>
            <Col {...col(6)}>
              <Form.Item name="ethnicity" label={t('pop.person.ethnicity')}>
                <Select allowClear showSearch optionFilterProp="label" options={dictOptions(dict.data?.ethnicities)} placeholder={t('common.optional')} data-testid="reg-ethnicity" />
              </Form.Item>
            </Col>
            <Col {...col(6)}>
              <Form.Item name="origin" label={t('pop.person.origin')}>
                <Select
                  allowClear
                  showSearch
                  optionFilterProp="label"
                  options={dictOptions(dict.data?.origins, (c) => names.originLabel(c))}
                  placeholder={t('common.optional')}
                  onChange={() => setOriginTouched(true)}
                  data-testid="reg-origin"
                />
              </Form.Item>
            </Col>
            <Col {...col(6)}>
              <Form.Item name="education" label={t('pop.person.education')}>
                <Select allowClear showSearch optionFilterProp="label" options={dictOptions(dict.data?.education)} placeholder={t('common.optional')} />
              </Form.Item>
            </Col>
            <Col {...col(6)}>
              <Form.Item name="occupation" label={t('pop.person.occupation')}>
                <Input maxLength={50} placeholder={t('common.optional')} />
              </Form.Item>
            </Col>
          </Row>
        </Card>

        <div className={isMobile ? 'pop-submit-bar' : 'pop-submit'}>
          <Button type="primary" htmlType="submit" size={size} block={isMobile} loading={submitting} data-testid="reg-submit">
            {t('pop.register.submit')}
          </Button>
          {!isMobile && <Typography.Text type="secondary">{t('pop.register.submitHint')}</Typography.Text>}
        </div>
      </Form>

      <Modal
        open={!!candidates}
        title={t('pop.dedup.title')}
        onCancel={() => setCandidates(null)}
        width={isMobile ? '100%' : 560}
        style={isMobile ? { top: 8, maxWidth: '100vw', paddingBottom: 0 } : undefined}
        data-testid="dedup-modal"
        footer={
          <Space direction={isMobile ? 'vertical' : 'horizontal'} style={isMobile ? { width: '100%' } : undefined}>
            <Button size={size} block={isMobile} onClick={() => setCandidates(null)} data-testid="dedup-cancel">
              {t('common.cancel')}
            </Button>
            <Button
              type="primary"
              size={size}
              block={isMobile}
              loading={register.isPending}
              onClick={() => register.mutate(form.getFieldsValue(true) as FormValues)}
              data-testid="dedup-continue"
            >
              {t('pop.dedup.continue')}
            </Button>
          </Space>
        }
      >
        <Typography.Paragraph type="secondary">{t('pop.dedup.hint')}</Typography.Paragraph>
        <List
          dataSource={candidates ?? []}
          renderItem={(c) => (
            <List.Item data-testid="dedup-candidate">
              <List.Item.Meta
                title={
                  <Space wrap size={6}>
                    <span>{c.nameMasked}</span>
                    <Tag color={c.status === 'active' ? 'blue' : 'default'}>{t(`pop.person.status.${c.status}`)}</Tag>
                    <Tag color={c.reason === 'same_document' ? 'red' : 'gold'}>{tx(`pop.dedup.reason.${c.reason}`, c.reason)}</Tag>
                  </Space>
                }
                description={
                  <Space wrap size={12}>
                    <span>
                      {t('pop.person.birthDate')}{t('pop.colon')}{fmtDate(c.birthDate) || '—'}
                    </span>
                    <span>
                      {t('pop.grid')}{t('pop.colon')}{c.gridName ?? t('pop.dedup.otherGrid')}
                    </span>
                  </Space>
                }
              />
              <div style={{ minWidth: 64, textAlign: 'right' }} data-testid="dedup-score">
                <div style={{ fontSize: 12, color: 'rgba(0,0,0,0.45)' }}>{t('pop.dedup.score')}</div>
                <div style={{ fontSize: 20, fontWeight: 600, color: c.score >= 0.9 ? '#cf1322' : c.score >= 0.7 ? '#d46b08' : 'rgba(0,0,0,0.65)' }}>{Math.round(c.score * 100)}%</div>
              </div>
            </List.Item>
          )}
        />
      </Modal>

      <Modal
        open={!!already}
        title={t('pop.already.title')}
        onCancel={() => setAlready(null)}
        width={isMobile ? '100%' : 520}
        style={isMobile ? { top: 8, maxWidth: '100vw', paddingBottom: 0 } : undefined}
        data-testid="already-modal"
        footer={
          <Space direction={isMobile ? 'vertical' : 'horizontal'} style={isMobile ? { width: '100%' } : undefined}>
            <Button size={size} block={isMobile} onClick={() => setAlready(null)}>
              {already?.ownGrid ? t('common.close') : t('common.cancel')}
            </Button>
            {already?.personId && (
              <Button
                size={size}
                block={isMobile}
                type={already.ownGrid ? 'primary' : 'default'}
                onClick={() => {
                  setViewPerson(already.personId);
                  // In one's own grid there is nothing else to do here: the person's detail (更正, 离开) takes over.
                  if (already.ownGrid) setAlready(null);
                }}
                data-testid="already-view"
              >
                {t('pop.already.view')}
              </Button>
            )}
            {!already?.ownGrid && (
              <Button type="primary" icon={<SwapOutlined />} size={size} block={isMobile} loading={requestMove.isPending} onClick={() => already && requestMove.mutate(already.values)} data-testid="request-move">
                {t('pop.already.requestMove')}
              </Button>
            )}
          </Space>
        }
      >
        <Alert type="warning" showIcon message={already?.ownGrid ? t('pop.already.hintOwn') : already?.message} data-testid="already-message" />
        {!already?.ownGrid && <Typography.Paragraph style={{ marginTop: 12 }}>{t('pop.already.hint')}</Typography.Paragraph>}
      </Modal>
      <PersonDrawer id={viewPerson} onClose={() => setViewPerson(null)} />

      <HouseModal
        open={houseModal}
        grids={grids.filter((g) => g.id === gridId)}
        onClose={() => setHouseModal(false)}
        onCreated={(h) => {
          void qc.invalidateQueries({ queryKey: ['population', 'houses'] });
          form.setFieldValue('houseId', h.id);
          setHouseSearch(h.address);
        }}
      />
    </div>
  );
}
