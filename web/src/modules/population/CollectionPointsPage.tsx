import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Form, Input, Modal, Space, Switch, Table, Tag, Timeline, Typography } from 'antd';
import { api } from '../../app/api/client';
import { LoadError } from '../../app/api/errors';
import { useFormMutation } from '../../app/api/useFormMutation';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDate, officeToday, toDateStr } from '../../app/ui/format';
import { FormModal, useRequiredRules } from '../../app/ui/FormModal';
import type { Dayjs } from 'dayjs';
import { popPath } from './api';
import { DateInput, notFuture } from './components';
import './population.css';

interface CollectionPoint {
  id: string;
  code: string;
  name: string;
  communityName: string;
  contact: { name: string; phoneMasked: string | null; since: string } | null;
  lastPatrolledOn: string | null;
  patrolDueOn: string | null;
  overdueDays: number;
  flags: ('NO_CONTACT' | 'PATROL_OVERDUE')[];
}
interface ContactEntry { id: string; name: string; phoneMasked: string | null; fromDate: string; toDate: string | null; reason: string | null }
interface ContactValues { name: string; phone: string; fromDate: Dayjs; reason?: string }

/** 信息采集点 — each point's one contact person (000:12) and the station's fortnightly patrol (000:38). */
export default function CollectionPointsPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const [problems, setProblems] = useState(false);
  const [editing, setEditing] = useState<CollectionPoint | null>(null);
  const [historyOf, setHistoryOf] = useState<CollectionPoint | null>(null);
  const list = useQuery({
    queryKey: ['population', 'collection-points', problems],
    queryFn: ({ signal }) => api.get<{ items: CollectionPoint[]; total: number; patrolIntervalDays: number }>(popPath('/collection-points'), { problems }, signal),
  });
  const noContact = (list.data?.items ?? []).filter((p) => p.flags.includes('NO_CONTACT')).length;
  return (
    <div className="page" data-testid="collection-points-page">
      <PageHeader title={t('pop.cp.title')} />
      <Alert
        type={noContact > 0 ? 'warning' : 'info'}
        showIcon
        style={{ marginBottom: 12 }}
        message={noContact > 0 ? t('pop.cp.missing', { n: noContact }) : t('pop.cp.hint', { days: list.data?.patrolIntervalDays ?? '' })}
      />
      <Space style={{ marginBottom: 12 }}>
        <Switch checked={problems} onChange={setProblems} />
        <span>{t('pop.cp.problemsOnly')}</span>
      </Space>
      {list.error ? (
        <LoadError error={list.error} onRetry={() => void list.refetch()} />
      ) : (
        <Table<CollectionPoint>
          rowKey="id"
          size="middle"
          loading={list.isFetching}
          dataSource={list.data?.items ?? []}
          scroll={{ x: 'max-content' }}
          pagination={{ pageSize: 50, showSizeChanger: false, showTotal: (total) => t('common.total', { total }) }}
          locale={{ emptyText: t('pop.cp.empty') }}
          columns={[
            { title: t('pop.cp.community'), dataIndex: 'communityName' },
            { title: t('pop.cp.point'), dataIndex: 'name' },
            {
              title: t('pop.cp.contact'),
              key: 'contact',
              render: (_, p) =>
                p.contact ? (
                  <span>
                    {p.contact.name} <span className="mono">{p.contact.phoneMasked ?? ''}</span>
                    <Typography.Text type="secondary"> · {t('pop.cp.since', { date: fmtDate(p.contact.since) })}</Typography.Text>
                  </span>
                ) : (
                  <Tag color="red">{t('pop.cp.flag.NO_CONTACT')}</Tag>
                ),
            },
            { title: t('pop.cp.lastPatrol'), dataIndex: 'lastPatrolledOn', render: (v: string | null) => (v ? fmtDate(v) : t('pop.cp.neverPatrolled')) },
            {
              title: t('pop.cp.patrolDue'),
              key: 'due',
              render: (_, p) =>
                p.flags.includes('PATROL_OVERDUE') ? <Tag color="orange">{t('pop.cp.overdue', { days: p.overdueDays })}</Tag> : fmtDate(p.patrolDueOn),
            },
            {
              title: t('common.actions'),
              key: 'actions',
              fixed: 'right',
              render: (_, p) => (
                <Space>
                  {can('collection_point:manage') && (
                    <Button size="small" type={p.contact ? 'default' : 'primary'} onClick={() => setEditing(p)} data-testid="cp-set-contact">
                      {p.contact ? t('pop.cp.change') : t('pop.cp.set')}
                    </Button>
                  )}
                  <Button size="small" type="link" onClick={() => setHistoryOf(p)}>
                    {t('pop.cp.history')}
                  </Button>
                </Space>
              ),
            },
          ]}
        />
      )}
      <ContactModal point={editing} onClose={() => setEditing(null)} />
      <HistoryModal point={historyOf} onClose={() => setHistoryOf(null)} />
    </div>
  );
}

function ContactModal({ point, onClose }: { point: CollectionPoint | null; onClose: () => void }) {
  const { t } = useI18n();
  const { required, requiredText } = useRequiredRules();
  const [form] = Form.useForm<ContactValues>();
  const save = useFormMutation(form, {
    mutationFn: (v: ContactValues) =>
      api.post(popPath(`/collection-points/${point!.id}/contact`), { name: v.name.trim(), phone: v.phone.trim(), fromDate: toDateStr(v.fromDate), reason: v.reason?.trim() || undefined }),
    success: t('pop.cp.saved'),
    invalidate: [['population', 'collection-points']],
    onDone: onClose,
  });
  const replacing = Boolean(point?.contact);
  return (
    <FormModal open={!!point} title={replacing ? t('pop.cp.change') : t('pop.cp.set')} form={form} initialValues={{ fromDate: officeToday() }} save={save} onClose={onClose} width={480}>
      <Alert type="info" showIcon style={{ marginBottom: 12 }} message={point?.name} description={replacing ? t('pop.cp.replaceHint', { name: point?.contact?.name ?? '' }) : t('pop.cp.oneContact')} />
      <Form.Item name="name" label={t('pop.cp.contactName')} rules={requiredText(t('pop.cp.contactName'))}>
        <Input maxLength={50} />
      </Form.Item>
      <Form.Item name="phone" label={t('pop.cp.phone')} rules={requiredText(t('pop.cp.phone'))}>
        <Input maxLength={30} inputMode="tel" />
      </Form.Item>
      <Form.Item name="fromDate" label={t('pop.cp.fromDate')} rules={required(t('pop.cp.fromDate'))}>
        <DateInput disabledDate={notFuture} />
      </Form.Item>
      {replacing && (
        <Form.Item name="reason" label={t('pop.cp.reason')} rules={requiredText(t('pop.cp.reason'))}>
          <Input.TextArea rows={2} maxLength={500} />
        </Form.Item>
      )}
    </FormModal>
  );
}

function HistoryModal({ point, onClose }: { point: CollectionPoint | null; onClose: () => void }) {
  const { t } = useI18n();
  const history = useQuery({
    queryKey: ['population', 'collection-points', 'history', point?.id],
    queryFn: ({ signal }) => api.get<{ items: ContactEntry[] }>(popPath(`/collection-points/${point!.id}/contacts`), undefined, signal),
    enabled: !!point,
  });
  return (
    <Modal open={!!point} title={t('pop.cp.historyOf', { name: point?.name ?? '' })} onCancel={onClose} footer={null} destroyOnHidden>
      {history.error ? (
        <LoadError error={history.error} onRetry={() => void history.refetch()} />
      ) : (
        <Timeline
          items={(history.data?.items ?? []).map((c) => ({
            color: c.toDate ? 'gray' : 'green',
            children: (
              <div>
                <strong>{c.name}</strong> <span className="mono">{c.phoneMasked ?? ''}</span>
                <div>{t('pop.cp.period', { from: fmtDate(c.fromDate), to: c.toDate ? fmtDate(c.toDate) : t('pop.cp.current') })}</div>
                {c.reason && <Typography.Text type="secondary">{c.reason}</Typography.Text>}
              </div>
            ),
          }))}
        />
      )}
    </Modal>
  );
}
