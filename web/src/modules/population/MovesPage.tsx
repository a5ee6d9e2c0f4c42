import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Form, Input, Popconfirm, Space, Table, Tabs, Tag, Typography } from 'antd';
import { api } from '../../app/api/client';
import type { Page } from '../../app/api/types';
import { LoadError, useShowError } from '../../app/api/errors';
import { useFormMutation } from '../../app/api/useFormMutation';
import { useAuth } from '../../app/auth/AuthContext';
import { useI18n } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { fmtDate, fmtDateTime } from '../../app/ui/format';
import { notifier } from '../../app/ui/notify';
import { FormModal, useRequiredRules } from '../../app/ui/FormModal';
import { popPath, type Move, type MoveStatus } from './api';
import { PersonDrawer } from './components';
import './population.css';

const PAGE_SIZE = 20;
type Box = 'to_decide' | 'incoming' | 'outgoing';

/** 迁移确认 — moves between grids: the station confirms inside its community, 流管办 across communities. */
export default function MovesPage() {
  const { t } = useI18n();
  const { can } = useAuth();
  const [params, setParams] = useSearchParams();
  const box = (params.get('box') ?? 'to_decide') as Box;
  const page = Number(params.get('page') ?? '1') || 1;
  const [rejecting, setRejecting] = useState<Move | null>(null);
  const [person, setPerson] = useState<string | null>(null);
  const qc = useQueryClient();
  const showError = useShowError();

  const list = useQuery({
    queryKey: ['population', 'moves', box, page],
    queryFn: ({ signal }) => api.get<Page<Move>>(popPath('/moves'), { box, page, pageSize: PAGE_SIZE }, signal),
    placeholderData: keepPreviousData,
  });
  const confirm = useMutation({
    mutationFn: (m: Move) => api.post<Move>(popPath(`/moves/${m.id}/confirm`), {}),
    onSuccess: () => notifier.message?.success(t('pop.move.confirmed')),
    onError: (e) => showError(e),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['population'] }),
  });
  const mayDecide = (m: Move) => m.status === 'pending' && box === 'to_decide' && (m.crossCommunity ? can('move:confirm_cross') : can('move:confirm'));

  return (
    <div className="page" data-testid="moves-page">
      <PageHeader title={t('pop.moves.title')} />
      <Alert type="info" showIcon message={t(can('move:confirm_cross') ? 'pop.moves.hintCross' : 'pop.moves.hintSame')} />
      <Tabs
        activeKey={box}
        onChange={(k) => setParams({ box: k })}
        items={(['to_decide', 'incoming', 'outgoing'] as const).map((b) => ({ key: b, label: t(`pop.moves.box.${b}`) }))}
      />
      {list.error ? (
        <LoadError error={list.error} onRetry={() => void list.refetch()} />
      ) : (
        <Table<Move>
          rowKey="id"
          size="middle"
          loading={list.isFetching}
          dataSource={list.data?.items ?? []}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('pop.moves.empty') }}
          pagination={{ current: page, pageSize: PAGE_SIZE, total: list.data?.total ?? 0, showSizeChanger: false, showTotal: (total) => t('common.total', { total }), onChange: (p) => setParams({ box, page: String(p) }) }}
          columns={[
            {
              title: t('pop.person.name'),
              dataIndex: 'personName',
              render: (v: string, m) => <Typography.Link onClick={() => setPerson(m.personId)}>{v}</Typography.Link>,
            },
            { title: t('pop.person.idNumber'), dataIndex: 'idNumberMasked', render: (v: string | null) => <span className="mono">{v ?? ''}</span> },
            { title: t('pop.move.from'), dataIndex: 'fromGridName', render: (v: string | null) => v ?? t('pop.move.otherGrid') },
            { title: t('pop.move.to'), dataIndex: 'toGridName', render: (v: string | null) => v ?? t('pop.move.otherGrid') },
            {
              title: t('pop.move.scope'),
              dataIndex: 'crossCommunity',
              render: (v: boolean) => <Tag color={v ? 'purple' : 'blue'}>{t(v ? 'pop.move.cross' : 'pop.move.same')}</Tag>,
            },
            { title: t('pop.move.arrivedOnLabel'), dataIndex: 'arrivedOn', render: (v: string) => fmtDate(v) },
            { title: t('pop.move.requestedAt'), dataIndex: 'requestedAt', render: (v: string) => fmtDateTime(v) },
            {
              title: t('pop.move.statusLabel'),
              dataIndex: 'status',
              render: (s: MoveStatus, m) => (
                <Space direction="vertical" size={0}>
                  <Tag color={s === 'pending' ? 'gold' : s === 'confirmed' ? 'green' : 'red'}>{t(`pop.move.status.${s}`)}</Tag>
                  {m.decisionReason && <Typography.Text type="secondary" style={{ fontSize: 12 }}>{m.decisionReason}</Typography.Text>}
                </Space>
              ),
            },
            {
              title: t('common.actions'),
              key: 'a',
              fixed: 'right',
              render: (_, m) =>
                mayDecide(m) ? (
                  <Space size={6}>
                    <Popconfirm
                      title={t('pop.move.confirmTitle', { name: m.personName ?? '' })}
                      description={t('pop.move.confirmBody', { date: fmtDate(m.arrivedOn) })}
                      okText={t('pop.move.confirm')}
                      cancelText={t('common.cancel')}
                      onConfirm={() => confirm.mutateAsync(m)}
                    >
                      <Button type="primary" size="small" data-testid="move-confirm">
                        {t('pop.move.confirm')}
                      </Button>
                    </Popconfirm>
                    <Button danger size="small" onClick={() => setRejecting(m)} data-testid="move-reject">
                      {t('pop.move.reject')}
                    </Button>
                  </Space>
                ) : null,
            },
          ]}
        />
      )}
      <RejectModal move={rejecting} onClose={() => setRejecting(null)} />
      <PersonDrawer id={person} onClose={() => setPerson(null)} />
    </div>
  );
}

function RejectModal({ move, onClose }: { move: Move | null; onClose: () => void }) {
  const { t } = useI18n();
  const { requiredText } = useRequiredRules();
  const [form] = Form.useForm<{ reason: string }>();
  const save = useFormMutation(form, {
    mutationFn: (v: { reason: string }) => api.post(popPath(`/moves/${move!.id}/reject`), { reason: v.reason.trim() }),
    success: t('pop.move.rejected'),
    invalidate: [['population']],
    onDone: onClose,
  });
  return (
    <FormModal open={!!move} title={t('pop.move.rejectTitle', { name: move?.personName ?? '' })} form={form} save={save} onClose={onClose} okText={t('pop.move.reject')} danger>
      <Form.Item name="reason" label={t('common.reason')} rules={requiredText(t('common.reason'))}>
        <Input.TextArea rows={3} maxLength={500} />
      </Form.Item>
    </FormModal>
  );
}
