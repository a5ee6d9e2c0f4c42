import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router';
import { Card, Col, Empty, Input, Row, Skeleton, Tree, TreeSelect } from 'antd';
import type { DataNode } from 'antd/es/tree';
import type { OrgNode } from '../../app/api/types';
import { LoadError } from '../../app/api/errors';
import { useT } from '../../app/i18n';
import { PageHeader } from '../../app/ui/PageHeader';
import { KindTag } from '../../app/ui/KindTag';
import { useIsMobile } from '../../app/ui/useIsMobile';
import { useLabels } from '../../app/ui/labels';
import { useUser } from '../../app/auth/AuthContext';
import { ancestorsOf, filterTree, flattenTree } from './orgTree';
import { UnitDetail } from './UnitDetail';
import { toUnitOptions, useOrgTree } from './api';


function toTreeData(nodes: OrgNode[]): DataNode[] {
  return nodes.map((n) => ({
    key: n.id,
    title: (
      <span data-testid="org-node" data-id={n.id}>
        <KindTag kind={n.kind} />
        <span className="org-node-name">{n.name}</span>
      </span>
    ),
    children: n.children && n.children.length > 0 ? toTreeData(n.children) : undefined,
  }));
}


export default function OrgPage() {
  const t = useT();
  const labels = useLabels();
  const isMobile = useIsMobile();
  const user = useUser();
  const [params, setParams] = useSearchParams();
  const selectedId = params.get('unit');
  const [search, setSearch] = useState('');
  const [expanded, setExpanded] = useState<string[]>([]);
  const tree = useOrgTree();
  const roots = useMemo(() => tree.data?.items ?? [], [tree.data]);

  // Open the top levels at first, and the path to the selected unit.
  useEffect(() => {
    if (roots.length === 0) return;
    setExpanded((prev) => {
      const next = new Set(prev);
      if (prev.length === 0) roots.forEach((r) => next.add(r.id));
      if (selectedId) ancestorsOf(roots, selectedId).forEach((id) => next.add(id));
      return [...next];
    });
  }, [roots, selectedId]);

  // Nothing selected yet: show the unit of the user's primary post (a grid worker's own grid); a
  // leader posted in a department who oversees the street's figures sees the widest unit instead.
  // Office staff stay on their own department: the street above it holds no data of theirs.
  const streetWide = (user.permissions ?? []).includes('population:stats');
  useEffect(() => {
    if (selectedId || roots.length === 0) return;
    const visible = new Set(flattenTree(roots).map((n) => n.id));
    const own = user.posts.find((p) => p.primary && visible.has(p.orgUnitId)) ?? user.posts.find((p) => visible.has(p.orgUnitId));
    setParams({ unit: own && (own.orgUnitKind !== 'department' || !streetWide) ? own.orgUnitId : roots[0].id }, { replace: true });
  }, [selectedId, roots, setParams, user.posts, streetWide]);

  const filtered = useMemo(() => filterTree(roots, search), [roots, search]);
  const treeData = useMemo(() => toTreeData(filtered), [filtered]);
  const allIds = useMemo(() => flattenTree(filtered).map((n) => n.id), [filtered]);
  const select = (id: string) => setParams({ unit: id });

  const treePanel = tree.isLoading ? (
    <Skeleton active />
  ) : tree.error ? (
    <LoadError error={tree.error} onRetry={() => void tree.refetch()} />
  ) : roots.length === 0 ? (
    <Empty description={t('org.noUnits')} />
  ) : isMobile ? (
    <TreeSelect
      style={{ width: '100%' }}
      showSearch
      treeNodeFilterProp="title"
      treeData={toUnitOptions(roots, labels.kind)}
      value={selectedId ?? undefined}
      onChange={(v: string) => v && select(v)}
      placeholder={t('org.search')}
      treeDefaultExpandedKeys={roots.map((r) => r.id)}
      listHeight={360}
      data-testid="org-select"
    />
  ) : (
    <>
      <Input.Search
        allowClear
        placeholder={t('org.search')}
        value={search}
        onChange={(e) => setSearch(e.target.value)}
        style={{ marginBottom: 8 }}
        data-testid="org-search"
      />
      <div className="org-tree-scroll" data-testid="org-tree">
        <Tree
          blockNode
          showLine={{ showLeafIcon: false }}
          treeData={treeData}
          selectedKeys={selectedId ? [selectedId] : []}
          expandedKeys={search.trim() ? allIds : expanded}
          onExpand={(keys) => setExpanded(keys.map(String))}
          onSelect={(keys) => {
            if (keys.length > 0) select(String(keys[0]));
          }}
        />
      </div>
    </>
  );

  return (
    <div className="page" data-testid="org-page">
      <PageHeader title={t('org.title')} />
      <Row gutter={[16, 16]}>
        <Col xs={24} md={9} xl={7}>
          <Card className="org-tree-card" title={isMobile ? undefined : t('org.tree')} size="small">
            {treePanel}
          </Card>
        </Col>
        <Col xs={24} md={15} xl={17}>
          {selectedId ? (
            <UnitDetail id={selectedId} onSelect={select} />
          ) : (
            <Card>
              <Empty description={isMobile ? t('org.selectHintMobile') : t('org.selectHint')} />
            </Card>
          )}
        </Col>
      </Row>
    </div>
  );
}
