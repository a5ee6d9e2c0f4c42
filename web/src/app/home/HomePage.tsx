import { Suspense } from 'react';
import { useNavigate } from 'react-router';
import { Card, Col, Empty, List, Row, Space, Tag, Typography } from 'antd';
import { useUser } from '../auth/AuthContext';
import { useI18n } from '../i18n';
import { allowedNav } from '../routing/nav';
import { useLabels } from '../ui/labels';
import { fmtDate, officeToday } from '../ui/format';
import { MODULE_HOME_CARDS } from '../../modules';

export function HomePage() {
  const { t, tx } = useI18n();
  const user = useUser();
  const labels = useLabels();
  const navigate = useNavigate();
  const now = officeToday();
  const hour = now.hour();
  const greetingKey = hour < 12 ? 'home.morning' : hour < 18 ? 'home.afternoon' : 'home.evening';
  const weekday = tx(`weekday.${now.day() === 0 ? 7 : now.day()}`, '');
  const shortcuts = allowedNav(user.permissions).filter((n) => n.key !== 'home');

  return (
    <div className="page" data-testid="home-page">
      <Card className="home-hero" variant="borderless">
        <Typography.Title level={3} style={{ margin: 0 }} data-testid="home-greeting">
          {t(greetingKey, { name: user.name })}
        </Typography.Title>
        <Typography.Text type="secondary">{t('home.today', { date: now.format('YYYY-MM-DD'), weekday })}</Typography.Text>
      </Card>

      <Row gutter={[16, 16]}>
        {MODULE_HOME_CARDS.map((HomeCard, i) => (
          <Col xs={24} key={i}>
            <Suspense fallback={null}>
              <HomeCard />
            </Suspense>
          </Col>
        ))}
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
