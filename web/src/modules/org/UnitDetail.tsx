import { useQuery } from '@tanstack/react-query';
import { Alert, Card, Col, Descriptions, Empty, Progress, Row, Skeleton, Space, Statistic, Table, Tag, Typography } from 'antd';
import { api } from '../../app/api/client';
import type { OrgUnitDetail, Survey } from '../../app/api/types';
import { LoadError } from '../../app/api/errors';
import { useI18n, type MessageKey } from '../../app/i18n';
import { KindTag } from '../../app/ui/KindTag';
import { useLabels } from '../../app/ui/labels';
import { fmtDate, fmtInt, fmtPercent } from '../../app/ui/format';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { useUser } from '../../app/auth/AuthContext';

const FIGURES: { key: keyof Survey; label: MessageKey; raw?: boolean }[] = [
  { key: 'residents', label: 'survey.residents' },
  { key: 'migrants', label: 'survey.migrants' },
  { key: 'houses', label: 'survey.houses' },
  { key: 'rentals', label: 'survey.rentals' },
  { key: 'shops', label: 'survey.shops' },
  { key: 'employers', label: 'survey.employers' },
  { key: 'areaKm2', label: 'survey.areaKm2', raw: true },
  { key: 'streets', label: 'survey.streets' },
];

const SURVEY_KINDS = new Set(['street', 'community', 'grid']);

type StaffRow = NonNullable<OrgUnitDetail['staff']>[number];

/** One row per person, their posts in this unit side by side (primary first). */
function groupStaff(staff: StaffRow[]): { userId: string; name: string; posts: { post: string; primary: boolean }[] }[] {
  const byUser = new Map<string, { userId: string; name: string; posts: { post: string; primary: boolean }[] }>();
  for (const s of staff) {
    const row = byUser.get(s.userId) ?? { userId: s.userId, name: s.name, posts: [] };
    row.posts.push({ post: s.post, primary: s.primary });
    byUser.set(s.userId, row);
  }
  const rows = [...byUser.values()];
  for (const r of rows) r.posts.sort((a, b) => Number(b.primary) - Number(a.primary));
  return rows;
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || b === 0) return null;
  return a / b;
}

export function UnitDetail({ id, onSelect }: { id: string; onSelect: (id: string) => void }) {
  const { t, locale } = useI18n();
  const labels = useLabels();
  const isMobile = useIsMobile();
  const user = useUser();
  const ownUnits = user.posts.filter((p, i, all) => p.orgUnitId && all.findIndex((o) => o.orgUnitId === p.orgUnitId) === i);
  // Office staff (a department, the service hall): no post in a community or grid and no population figures.
  const noGridWork = !(user.permissions ?? []).includes('population:stats') && !user.posts.some((p) => p.orgUnitKind && SURVEY_KINDS.has(p.orgUnitKind));
  const q = useQuery({
    queryKey: ['org', 'unit', id],
    queryFn: ({ signal }) => api.get<OrgUnitDetail>(`/org/units/${encodeURIComponent(id)}`, undefined, signal),
  });

  if (q.isLoading) {
    return (
      <Card>
        <Skeleton active paragraph={{ rows: 8 }} />
      </Card>
    );
  }
  if (q.error || !q.data) return <LoadError error={q.error} onRetry={() => void q.refetch()} />;
  const u = q.data;
  const s = u.survey ?? null;
  const migrantShare = u.ratios?.migrantShare ?? (s ? ratio(s.migrants, (s.residents ?? 0) + (s.migrants ?? 0)) : null);
  const rentalShare = u.ratios?.rentalShare ?? (s ? ratio(s.rentals, s.houses) : null);
  const linksTitle: MessageKey = u.kind === 'grid' ? 'org.links.grid' : u.kind === 'police_area' ? 'org.links.police_area' : 'org.links.other';
  const showLinks = u.kind === 'grid' || u.kind === 'police_area' || (u.links?.length ?? 0) > 0;
  const cls = u.classification;

  const headCard = (
    <Card
      title={
        <Space wrap size={4}>
          <KindTag kind={u.kind} />
          <span data-testid="unit-name">{u.name}</span>
          {cls && (
            <Tag color={cls.kind === 'key' ? 'volcano' : 'default'} data-testid="unit-classification">
              {t(cls.kind === 'key' ? 'class.key' : 'class.regular')}
            </Tag>
          )}
        </Space>
      }
    >
      <Descriptions column={isMobile ? 1 : 2} size="small" bordered>
        <Descriptions.Item label={t('org.kind')}>{labels.kind(u.kind)}</Descriptions.Item>
        <Descriptions.Item label={t('org.code')}>{u.code ? <span className="mono">{u.code}</span> : '—'}</Descriptions.Item>
        <Descriptions.Item label={t('org.name')}>{u.name}</Descriptions.Item>
        <Descriptions.Item label={t('org.parent')}>
          {u.parentId ? (
            <Typography.Link onClick={() => onSelect(u.parentId!)}>{u.parentName ?? u.parentId}</Typography.Link>
          ) : (
            '—'
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('org.validity')} span={isMobile ? 1 : 2}>
          {u.validFrom ? fmtDate(u.validFrom) : '—'} {t('common.to')} {u.validTo ? fmtDate(u.validTo) : t('common.indefinite')}
        </Descriptions.Item>
      </Descriptions>
    </Card>
  );

  if (u.inScope === false) {
    // An ancestor shown only to place the user's own units: say why there is nothing here.
    return (
      <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="unit-detail">
        {headCard}
        <Alert
          type="info"
          showIcon
          data-testid="unit-out-of-scope"
          message={t('org.outOfScope.title', { name: u.name })}
          description={
            <Space direction="vertical" size={4}>
              <span>{t(noGridWork ? 'org.outOfScope.noGridWork' : 'org.outOfScope.body')}</span>
              {ownUnits.length > 0 && (
                <Space wrap size={4}>
                  <span>{t('org.outOfScope.mine')}</span>
                  {ownUnits.map((p) => (
                    <Typography.Link key={p.orgUnitId} onClick={() => onSelect(p.orgUnitId)} data-testid="unit-own-link">
                      {p.orgUnitName}
                    </Typography.Link>
                  ))}
                </Space>
              )}
            </Space>
          }
        />
      </Space>
    );
  }

  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="unit-detail">
      {headCard}

      {(s || SURVEY_KINDS.has(u.kind)) && (
        <Card
          title={t('org.survey')}
          extra={s?.asOf ? <Typography.Text type="secondary">{t('org.surveyAsOf', { date: fmtDate(s.asOf) })}</Typography.Text> : null}
          data-testid="unit-survey"
        >
          {!s ? (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('org.noSurvey')} />
          ) : (
            <>
              <Row gutter={[16, 16]} className="figure-grid">
                {FIGURES.map((f) => {
                  const v = s[f.key] as number | null | undefined;
                  return (
                    <Col xs={12} sm={8} lg={6} key={f.key}>
                      <div data-testid={`survey-${f.key}`} data-value={v ?? ''}>
                        <Statistic
                          title={t(f.label)}
                          value={v == null ? '—' : f.raw ? String(v) : fmtInt(v, locale)}
                        />
                      </div>
                    </Col>
                  );
                })}
              </Row>
              <Row gutter={[24, 16]} style={{ marginTop: 20 }}>
                <Col xs={24} md={12}>
                  <div data-testid="ratio-migrantShare" data-value={migrantShare ?? ''}>
                    <Typography.Text>{t('ratio.migrantShare')}</Typography.Text>
                    <Progress percent={migrantShare == null ? 0 : Math.round(migrantShare * 1000) / 10} format={() => fmtPercent(migrantShare)} />
                    <div className="ratio-formula">{t('ratio.migrantFormula')}</div>
                  </div>
                </Col>
                <Col xs={24} md={12}>
                  <div data-testid="ratio-rentalShare" data-value={rentalShare ?? ''}>
                    <Typography.Text>{t('ratio.rentalShare')}</Typography.Text>
                    <Progress
                      percent={rentalShare == null ? 0 : Math.round(rentalShare * 1000) / 10}
                      format={() => fmtPercent(rentalShare)}
                      strokeColor="#d48806"
                    />
                    <div className="ratio-formula">{t('ratio.rentalFormula')}</div>
                  </div>
                </Col>
              </Row>
            </>
          )}
        </Card>
      )}

      {(cls || (u.flags?.length ?? 0) > 0) && (
        <Card title={u.kind === 'grid' ? t('org.classification') : t('org.flags')} data-testid="unit-flags">
          {cls && (
            <Descriptions column={1} size="small" style={{ marginBottom: (u.flags?.length ?? 0) > 0 ? 12 : 0 }}>
              <Descriptions.Item label={t('org.classification')}>
                <Space wrap>
                  <Tag color={cls.kind === 'key' ? 'volcano' : 'default'}>{t(cls.kind === 'key' ? 'class.key' : 'class.regular')}</Tag>
                  <Typography.Text type="secondary">{t(cls.designated ? 'class.designated' : 'class.computed')}</Typography.Text>
                  {cls.meetsRegularCriterion !== undefined && (
                    <Typography.Text type="secondary">
                      · {t(cls.meetsRegularCriterion ? 'class.meetsRegular' : 'class.notMeetsRegular')}
                    </Typography.Text>
                  )}
                </Space>
              </Descriptions.Item>
              {cls.reason && <Descriptions.Item label={t('class.reason')}>{cls.reason}</Descriptions.Item>}
            </Descriptions>
          )}
          {(u.flags ?? []).length > 0 && (
            <Space direction="vertical" style={{ width: '100%' }}>
              {(u.flags ?? []).map((f) => (
                <Alert key={f.code} type="warning" showIcon message={f.message} />
              ))}
            </Space>
          )}
        </Card>
      )}

      {showLinks && (
        <Card title={t(linksTitle)} data-testid="unit-links">
          {(u.links ?? []).length === 0 ? (
            <Typography.Text type="secondary">{t('org.noLinks')}</Typography.Text>
          ) : (
            <Space wrap>
              {(u.links ?? []).map((l) => (
                <Tag key={l.id} style={{ cursor: 'pointer', padding: '2px 8px' }} onClick={() => onSelect(l.id)}>
                  {l.name}
                </Tag>
              ))}
            </Space>
          )}
        </Card>
      )}

      <Card title={t('org.staff')} data-testid="unit-staff">
        <Table
          size="small"
          rowKey="userId"
          dataSource={groupStaff(u.staff ?? [])}
          pagination={false}
          locale={{ emptyText: t('org.noStaff') }}
          scroll={{ x: 'max-content' }}
          columns={[
            { title: t('org.staffName'), dataIndex: 'name', width: 140 },
            {
              title: t('org.staffPost'),
              key: 'posts',
              render: (_, r) => (
                <Space size={[4, 4]} wrap>
                  {r.posts.map((p) => (
                    <span key={p.post}>
                      {labels.post(p.post)}
                      {p.primary && (
                        <Tag color="blue" style={{ marginInlineStart: 4 }}>
                          {t('common.primary')}
                        </Tag>
                      )}
                    </span>
                  ))}
                </Space>
              ),
            },
          ]}
        />
      </Card>
    </Space>
  );
}
