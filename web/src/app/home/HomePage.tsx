import { Link, Navigate, useLocation, useNavigate } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { Card, Col, Empty, List, Row, Skeleton, Space, Tag, Typography } from 'antd';
import { useUser } from '../auth/AuthContext';
import { useI18n } from '../i18n';
import { api } from '../api/client';
import { LoadError } from '../api/errors';
import { allowedNav, landingPath } from '../routing/nav';
import { useLabels } from '../ui/labels';
import { fmtDate, fmtDateTime, officeToday } from '../ui/format';
import { MODULE_HOME_CARDS } from '../../modules';

/** A card of GET /api/v1/home/summary (HomeCard in src/platform/home/summary.ts). */
type HomeCardData = { key: string; kind: 'todo' | 'figure'; count: number; overdue?: number; figures?: Record<string, number>; oldest?: { id: string; title: string; at: string } | null };

/** One card: the number of what waits (or the figure), a link to the page where the work is done. */
function SummaryCard({ card }: { card: HomeCardData }) {
  const { t } = useI18n();
  const def = MODULE_HOME_CARDS.get(card.key)!;
  const zero = card.count === 0 && card.kind === 'todo';
  const at = card.oldest?.at ? (card.oldest.at.length > 10 ? fmtDateTime(card.oldest.at) : fmtDate(card.oldest.at)) : '';
  return (
    <Link to={def.path} className="home-card-link" data-testid={`home-card-${card.key}`} data-count={card.count}>
      <Card hoverable size="small" className={`home-card${zero ? ' home-card-zero' : ''}`}>
        <div className="home-card-title">
          <span className="home-card-icon">{def.icon}</span>
          <span>{t(def.title)}</span>
        </div>
        <div className="home-card-count">
          {zero && def.none ? (
            <span className="home-card-none">{t(def.none)}</span>
          ) : (
            <>
              <span className="home-card-number">{card.count}</span>
              {def.unit && <span className="home-card-unit">{t(def.unit)}</span>}
            </>
          )}
          {def.overdue && (card.overdue ?? 0) > 0 && (
            <Tag color="red" style={{ marginLeft: 8 }} data-testid="home-card-overdue">
              {t(def.overdue)} {card.overdue}
            </Tag>
          )}
        </div>
        {def.figures && (
          <div className="home-card-sub">
            {Object.entries(def.figures).map(([k, label]) => (
              <span key={k}>
                {t(label)} {card.figures?.[k] ?? 0}
              </span>
            ))}
          </div>
        )}
        {card.oldest && (
          <div className="home-card-sub" data-testid="home-card-oldest">
            {t('home.card.oldest', { title: card.oldest.title, at })}
          </div>
        )}
      </Card>
    </Link>
  );
}

function SummaryCards() {
  const { t } = useI18n();
  const q = useQuery({
    queryKey: ['home', 'summary'],
    queryFn: ({ signal }) => api.get<{ asOf: string; cards: HomeCardData[] }>('/home/summary', undefined, signal),
    refetchInterval: 60_000,
  });
  if (q.isLoading) return <Card><Skeleton active paragraph={{ rows: 2 }} /></Card>;
  if (q.error || !q.data) return <LoadError error={q.error} onRetry={() => void q.refetch()} />;
  // Only cards a web module knows how to draw (the server may know more than this build).
  const cards = q.data.cards.filter((c) => MODULE_HOME_CARDS.has(c.key));
  const todos = cards.filter((c) => c.kind === 'todo');
  const figures = cards.filter((c) => c.kind === 'figure');
  const grid = (list: HomeCardData[]) => (
    <Row gutter={[12, 12]}>
      {list.map((c) => (
        <Col xs={12} xl={8} key={c.key}>
          <SummaryCard card={c} />
        </Col>
      ))}
    </Row>
  );
  return (
    <>
      <Col xs={24}>
        <Card title={t('home.todos')} data-testid="home-todos">
          {todos.length === 0 || todos.every((c) => c.count === 0) ? (
            <>
              {todos.length > 0 && grid(todos)}
              <Typography.Text type="secondary" data-testid="home-no-todos" style={{ display: 'block', marginTop: todos.length > 0 ? 12 : 0 }}>
                {t('home.noTodos')}
              </Typography.Text>
            </>
          ) : (
            grid(todos)
          )}
        </Card>
      </Col>
      {figures.length > 0 && (
        <Col xs={24}>
          <Card title={t('home.figures')} data-testid="home-figures">
            {grid(figures)}
          </Card>
        </Col>
      )}
    </>
  );
}

export function HomePage() {
  const { t, tx } = useI18n();
  const user = useUser();
  const labels = useLabels();
  const navigate = useNavigate();
  const location = useLocation();
  const now = officeToday();
  const hour = now.hour();
  const greetingKey = hour < 12 ? 'home.morning' : hour < 18 ? 'home.afternoon' : 'home.evening';
  const weekday = tx(`weekday.${now.day() === 0 ? 7 : now.day()}`, '');
  const shortcuts = allowedNav(user.permissions).filter((n) => n.key !== 'home');
  // Opening the app at / (not a click on 工作台 inside it) lands where the user works, e.g. 我的网格.
  const landing = landingPath(user.permissions);
  if (location.key === 'default' && landing !== '/') return <Navigate to={landing} replace />;

  return (
    <div className="page" data-testid="home-page">
      <Card className="home-hero" variant="borderless">
        <Typography.Title level={3} style={{ margin: 0 }} data-testid="home-greeting">
          {t(greetingKey, { name: user.name })}
        </Typography.Title>
        <Typography.Text type="secondary">{t('home.today', { date: now.format('YYYY-MM-DD'), weekday })}</Typography.Text>
      </Card>

      <Row gutter={[16, 16]}>
        <SummaryCards />
        <Col xs={24} lg={9}>
          <Card title={t('home.posts')} data-testid="home-posts">
            {user.posts.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('home.noPosts')} />
            ) : (
              <List
                dataSource={user.posts}
                renderItem={(p) => (
                  <List.Item>
                    <List.Item.Meta
                      title={
                        <Space wrap size={6}>
                          <span>{labels.post(p.post)}</span>
                          {p.primary && <Tag color="blue">{t('common.primary')}</Tag>}
                        </Space>
                      }
                      description={
                        <Space wrap size={6}>
                          <span>{p.orgUnitName ?? ''}</span>
                          {p.orgUnitKind && <Tag>{labels.kind(p.orgUnitKind)}</Tag>}
                          {p.validFrom && (
                            <span>
                              {fmtDate(p.validFrom)} {t('common.to')} {p.validTo ? fmtDate(p.validTo) : t('common.indefinite')}
                            </span>
                          )}
                        </Space>
                      }
                    />
                  </List.Item>
                )}
              />
            )}
          </Card>
        </Col>
        <Col xs={24} lg={15}>
          <Card title={t('home.shortcuts')}>
            {shortcuts.length === 0 ? (
              <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('home.noShortcuts')} />
            ) : (
              <Row gutter={[12, 12]}>
                {shortcuts.map((n) => (
                  <Col xs={24} sm={12} key={n.key}>
                    <Card
                      hoverable
                      size="small"
                      className="shortcut-card"
                      onClick={() => navigate(n.path)}
                      data-testid={`shortcut-${n.key}`}
                    >
                      <div className="shortcut">
                        <span className="shortcut-icon">{n.icon}</span>
                        <span>
                          <div className="shortcut-title">{t(n.label)}</div>
                          {n.desc && <div className="shortcut-desc">{t(n.desc)}</div>}
                        </span>
                      </div>
                    </Card>
                  </Col>
                ))}
              </Row>
            )}
          </Card>
        </Col>
      </Row>
    </div>
  );
}
