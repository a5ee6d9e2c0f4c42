import { Suspense, useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { Alert, Button, DatePicker, Descriptions, Drawer, Dropdown, Empty, Form, Input, Radio, Select, Space, Spin, Steps, Tag, Timeline, Typography } from 'antd';
import { ClockCircleOutlined, DownOutlined } from '@ant-design/icons';
import { LoadError, useShowError } from '../../app/api/errors';
import { useT, useI18n } from '../../app/i18n';
import { FormModal } from '../../app/ui/FormModal';
import { fmtDate, fmtDateTime, toDateStr } from '../../app/ui/format';
import { notifier } from '../../app/ui/notify';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { APPROVAL_FORMS } from '..';
import { approvalKeys, approvalsApi, type ApprovalDetail, type ApprovalStep, type Decision } from './api';
import { StaffPicker } from './StaffPicker';
import type { Dayjs } from 'dayjs';

const STATUS_COLOR: Record<string, string> = { pending: 'processing', approved: 'success', rejected: 'error', returned: 'warning', withdrawn: 'default' };

export function ApprovalStatusTag({ status }: { status: string }) {
  const { tx } = useI18n();
  return <Tag color={STATUS_COLOR[status] ?? 'default'}>{tx(`appr.status.${status}`, status)}</Tag>;
}

type Dialog = null | { kind: 'decide'; decision: Decision } | { kind: 'addSigner' } | { kind: 'transfer' } | { kind: 'delegate' } | { kind: 'cc' } | { kind: 'withdraw' } | { kind: 'resubmit' } | { kind: 'remind' };

/** One approval of any kind: what was asked, who decides at each step, what happened, and what the viewer may do now. */
export function ApprovalDrawer({ id, onClose }: { id: string | null; onClose: () => void }) {
  const t = useT();
  const isMobile = useIsMobile();
  const qc = useQueryClient();
  const detail = useQuery({ queryKey: approvalKeys.detail(id ?? ''), queryFn: () => approvalsApi.detail(id!), enabled: !!id });
  const [dialog, setDialog] = useState<Dialog>(null);
  const a = detail.data;

  // Opening an approval copied to me marks it read.
  const unreadCc = a?.cc.some((c) => !c.readAt) ?? false;
  useEffect(() => {
    if (id && unreadCc) void approvalsApi.markRead(id).then(() => qc.invalidateQueries({ queryKey: ['approvals', 'counts'] }));
  }, [id, unreadCc, qc]);

  return (
    <Drawer
      open={!!id}
      onClose={onClose}
      width={isMobile ? '100%' : 720}
      title={a ? <Space wrap><span data-testid="approval-title">{a.title}</span><ApprovalStatusTag status={a.status} /></Space> : t('appr.drawer.title')}
      extra={a && <Typography.Text type="secondary" copyable data-testid="approval-case-no">{a.caseNo}</Typography.Text>}
      footer={a && <Actions a={a} open={setDialog} />}
      destroyOnHidden
      data-testid="approval-drawer"
    >
      {detail.error ? <LoadError error={detail.error} onRetry={() => void detail.refetch()} /> : !a ? <Spin /> : <Body a={a} />}
      {a && <ActionDialog a={a} dialog={dialog} onClose={() => setDialog(null)} />}
    </Drawer>
  );
}

function Body({ a }: { a: ApprovalDetail }) {
  const t = useT();
  const { tx } = useI18n();
  const FormView = APPROVAL_FORMS[a.kind];
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Descriptions size="small" column={{ xs: 1, sm: 2 }} bordered>
        <Descriptions.Item label={t('appr.col.kind')}>{a.kindName}</Descriptions.Item>
        <Descriptions.Item label={t('appr.drawer.applicant')}>{a.applicant.name}{a.applicant.unitName ? ` · ${a.applicant.unitName}` : ''}</Descriptions.Item>
        <Descriptions.Item label={t('appr.drawer.submitted')}>{fmtDateTime(a.createdAt)}</Descriptions.Item>
        <Descriptions.Item label={t('appr.drawer.finished')}>{fmtDateTime(a.finishedAt) || '—'}</Descriptions.Item>
        <Descriptions.Item label={t('appr.drawer.policy')} span={2}>{t('appr.drawer.policyValue', { pack: tx(`appr.pack.${a.policyPack}`, a.policyPack), version: a.policyVersion })}</Descriptions.Item>
      </Descriptions>
      <section>
        <Typography.Title level={5}>{t('appr.drawer.form')}</Typography.Title>
        {FormView ? <Suspense fallback={<Spin />}><FormView form={a.form} /></Suspense> : <GenericForm form={a.form} />}
        {a.link && <Link to={a.link}>{t('appr.drawer.openSubject')}</Link>}
      </section>
      <section data-testid="approval-steps">
        <Typography.Title level={5}>{t('appr.drawer.steps')}</Typography.Title>
        <StepList steps={a.steps} />
      </section>
      {a.cc.length > 0 && (
        <section>
          <Typography.Title level={5}>{t('appr.drawer.cc')}</Typography.Title>
          <Space wrap>{a.cc.map((c) => <Tag key={c.userId} color={c.readAt ? 'default' : 'blue'}>{c.name}</Tag>)}</Space>
        </section>
      )}
      <section data-testid="approval-timeline">
        <Typography.Title level={5}>{t('appr.drawer.timeline')}</Typography.Title>
        <History a={a} />
      </section>
    </Space>
  );
}

function GenericForm({ form }: { form: Record<string, unknown> }) {
  const entries = Object.entries(form).filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object');
  if (!entries.length) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} />;
  return (
    <Descriptions size="small" column={1} bordered>
      {entries.map(([k, v]) => <Descriptions.Item key={k} label={k}>{String(v)}</Descriptions.Item>)}
    </Descriptions>
  );
}

function StepList({ steps }: { steps: ApprovalStep[] }) {
  const t = useT();
  const { tx } = useI18n();
  const current = steps.findIndex((s) => s.status === 'open');
  const stepState = (s: ApprovalStep) => (s.status === 'approved' ? 'finish' : s.status === 'rejected' || s.status === 'returned' ? 'error' : s.status === 'open' ? 'process' : 'wait');
  return (
    <Steps
      direction="vertical"
      size="small"
      current={current < 0 ? steps.length : current}
      items={steps.map((s) => {
        const tasks = s.tasks.filter((x) => x.status !== 'cancelled');
        return {
          status: stepState(s),
          title: <Space wrap><span>{s.name}</span>{s.mode !== 'one' && <Tag>{tx(`appr.mode.${s.mode}`, s.mode)}</Tag>}<Tag bordered={false}>{tx(`appr.step.status.${s.status}`, s.status)}</Tag></Space>,
          description: (
            <div data-testid={`approval-step-${s.order}`}>
              {tasks.length > 0 ? (
                tasks.map((x) => (
                  <div key={x.id}>
                    <Typography.Text strong>{x.assigneeName}</Typography.Text>
                    {x.onBehalfOfName && <Typography.Text type="secondary">{t('appr.timeline.onBehalf', { name: x.onBehalfOfName })}</Typography.Text>}
                    {x.decision && <Tag style={{ marginLeft: 8 }} color={x.decision === 'approve' ? 'green' : x.decision === 'reject' ? 'red' : 'orange'}>{tx(`appr.decision.${x.decision}`, x.decision)}</Tag>}
                    {x.decidedAt && <Typography.Text type="secondary"> {fmtDateTime(x.decidedAt)}</Typography.Text>}
                    {x.comment && <div className="approval-comment">“{x.comment}”</div>}
                  </div>
                ))
              ) : (
                <Typography.Text type="secondary">{s.plannedNames.filter(Boolean).length ? t('appr.drawer.planned', { names: s.plannedNames.filter(Boolean).join('、') }) : t('appr.drawer.noApprover')}</Typography.Text>
              )}
              {s.dueOn && s.status === 'open' && <div><Typography.Text type="secondary"><ClockCircleOutlined /> {t('appr.col.due')} {fmtDate(s.dueOn)}</Typography.Text></div>}
            </div>
          ),
        };
      })}
    />
  );
}

function History({ a }: { a: ApprovalDetail }) {
  const t = useT();
  const { tx } = useI18n();
  return (
    <Timeline
      items={a.timeline.map((x) => ({
        color: x.action === 'reject' || x.action === 'finish_rejected' ? 'red' : x.action === 'return' || x.action === 'withdraw' ? 'orange' : x.action.startsWith('finish_approved') || x.action === 'approve' ? 'green' : 'blue',
        children: (
          <div>
            <Typography.Text type="secondary">{fmtDateTime(x.at)}</Typography.Text>{' '}
            <Typography.Text strong>{x.actorName}</Typography.Text>
            {x.onBehalfOfName && <Typography.Text type="secondary">{t('appr.timeline.onBehalf', { name: x.onBehalfOfName })}</Typography.Text>}{' '}
            {tx(`appr.action.${x.action}`, x.label)}
            {x.stepName && <Typography.Text type="secondary"> · {x.stepName}</Typography.Text>}
            {x.comment && <div className="approval-comment">“{x.comment}”</div>}
          </div>
        ),
      }))}
    />
  );
}

function Actions({ a, open }: { a: ApprovalDetail; open: (d: Dialog) => void }) {
  const t = useT();
  const buttons = [];
  if (a.can.decide) {
    buttons.push(
      <Button key="approve" type="primary" onClick={() => open({ kind: 'decide', decision: 'approve' })} data-testid="approval-approve">{t('appr.act.approve')}</Button>,
      <Button key="reject" danger onClick={() => open({ kind: 'decide', decision: 'reject' })} data-testid="approval-reject">{t('appr.act.reject')}</Button>,
      <Button key="return" onClick={() => open({ kind: 'decide', decision: 'return' })} data-testid="approval-return">{t('appr.act.return')}</Button>,
      <Dropdown
        key="more"
        menu={{
          items: [
            { key: 'addSigner', label: t('appr.act.addSigner') },
            { key: 'transfer', label: t('appr.act.transfer') },
            { key: 'delegate', label: t('appr.act.delegate') },
            { key: 'cc', label: t('appr.act.cc') },
          ],
          onClick: ({ key }) => open({ kind: key as 'addSigner' }),
        }}
      >
        <Button data-testid="approval-more">{t('appr.act.more')} <DownOutlined /></Button>
      </Dropdown>,
    );
  }
  if (a.can.resubmit) buttons.push(<Button key="resubmit" type="primary" onClick={() => open({ kind: 'resubmit' })} data-testid="approval-resubmit">{t('appr.act.resubmit')}</Button>);
  if (a.can.remind) buttons.push(<Button key="remind" onClick={() => open({ kind: 'remind' })} data-testid="approval-remind">{t('appr.act.remind')}</Button>);
  if (a.can.withdraw) buttons.push(<Button key="withdraw" danger onClick={() => open({ kind: 'withdraw' })} data-testid="approval-withdraw">{t('appr.act.withdraw')}</Button>);
  if (!buttons.length) return null;
  return <Space wrap>{buttons}</Space>;
}

interface DialogValues {
  comment?: string;
  returnTo?: 'applicant' | number;
  userId?: string;
  userIds?: string[];
  position?: 'before' | 'after';
  meetingDate?: Dayjs;
  minutesRef?: string;
}

/** The one dialog of the drawer's actions: a comment, and what the action needs besides. */
function ActionDialog({ a, dialog, onClose }: { a: ApprovalDetail; dialog: Dialog; onClose: () => void }) {
  const t = useT();
  const qc = useQueryClient();
  const showError = useShowError();
  const [form] = Form.useForm<DialogValues>();
  const kind = dialog?.kind;
  const decision = dialog?.kind === 'decide' ? dialog.decision : null;
  const taskId = a.myTaskId;
  const save = useMutation({
    mutationFn: async (v: DialogValues) => {
      const comment = v.comment?.trim() || undefined;
      switch (dialog?.kind) {
        case 'decide':
          return approvalsApi.decide(taskId!, {
            decision: dialog.decision,
            comment,
            ...(dialog.decision === 'return' ? { returnTo: v.returnTo ?? 'applicant' } : {}),
            ...(a.can.collective && dialog.decision === 'approve' && v.meetingDate ? { collective: { meetingDate: toDateStr(v.meetingDate)!, minutesRef: v.minutesRef ?? '' } } : {}),
          });
        case 'addSigner': return approvalsApi.addSigner(taskId!, { userId: v.userId!, position: v.position ?? 'before', comment });
        case 'transfer': return approvalsApi.handOver(taskId!, 'transfer', { userId: v.userId!, comment });
        case 'delegate': return approvalsApi.handOver(taskId!, 'delegate', { userId: v.userId!, comment });
        case 'cc': return approvalsApi.cc(a.id, v.userIds ?? [], comment);
        case 'withdraw': return approvalsApi.withdraw(a.id, comment);
        case 'resubmit': return approvalsApi.resubmit(a.id, comment);
        case 'remind': return approvalsApi.remind(a.id, comment);
        default: return undefined;
      }
    },
    onSuccess: () => {
      notifier.message?.success(t(decision ? (`appr.done.${decision}` as const) : (`appr.done.${kind}` as 'appr.done.cc')));
      void qc.invalidateQueries({ queryKey: approvalKeys.all });
      void qc.invalidateQueries({ queryKey: approvalKeys.notifications });
      void qc.invalidateQueries({ queryKey: ['leave'] });
      onClose();
    },
    onError: (e) => showError(e, form),
  });
  if (!dialog) return null;
  const title = decision ? t(`appr.act.${decision}`) : t(`appr.act.${dialog.kind}` as 'appr.act.cc');
  const commentRequired = decision === 'reject' || decision === 'return';
  return (
    <FormModal open title={title} form={form} save={save} onClose={onClose} okText={title} danger={decision === 'reject' || kind === 'withdraw'} okTestId="approval-dialog-ok" width={520} data-testid="approval-dialog">
      {kind === 'withdraw' && <Alert type="warning" showIcon message={t('appr.confirm.withdraw')} style={{ marginBottom: 12 }} />}
      {decision === 'return' && (
        <Form.Item name="returnTo" label={t('appr.form.returnTo')} initialValue="applicant">
          <Radio.Group>
            <Space direction="vertical">
              <Radio value="applicant">{t('appr.form.returnApplicant')}</Radio>
              {a.can.returnTargets.map((s) => <Radio key={s.order} value={s.order}>{t('appr.form.returnStep', { order: s.order, name: s.name })}</Radio>)}
            </Space>
          </Radio.Group>
        </Form.Item>
      )}
      {decision === 'approve' && a.can.collective && (
        <>
          <Form.Item name="meetingDate" label={t('appr.form.meetingDate')} rules={[{ required: true }]}><DatePicker style={{ width: '100%' }} /></Form.Item>
          <Form.Item name="minutesRef" label={t('appr.form.minutesRef')} rules={[{ required: true, max: 100 }]}><Input /></Form.Item>
        </>
      )}
      {(kind === 'addSigner' || kind === 'transfer' || kind === 'delegate') && (
        <Form.Item name="userId" label={t('appr.form.person')} rules={[{ required: true }]}>
          <StaffPicker excludeIds={[a.applicant.id]} testId="approval-person" />
        </Form.Item>
      )}
      {kind === 'addSigner' && (
        <Form.Item name="position" label={t('appr.form.position')} initialValue="before">
          <Select options={[{ value: 'before', label: t('appr.form.before') }, { value: 'after', label: t('appr.form.after') }]} />
        </Form.Item>
      )}
      {kind === 'cc' && (
        <Form.Item name="userIds" label={t('appr.form.ccPeople')} rules={[{ required: true }]}>
          <StaffPicker multiple />
        </Form.Item>
      )}
      <Form.Item name="comment" label={t('appr.form.comment')} rules={[{ required: commentRequired, whitespace: true, message: t('appr.form.commentRequired') }, { max: 2000 }]}>
        <Input.TextArea rows={3} placeholder={t('appr.form.commentPh')} maxLength={2000} showCount data-testid="approval-comment" />
      </Form.Item>
    </FormModal>
  );
}
