import type { ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { Button, Empty, List, Pagination, Select, Table, type TableProps, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { LoadError } from '../../app/api/errors';
import { useI18n } from '../../app/i18n';
import { useIsMobile } from '../../app/ui/useIsMobile';
import type { GridOption } from './api';
import { groupGrids } from './components';

/** A list page's state in the URL: `set({ key: value })` writes it, null / undefined / '' removes the key. */
export function useUrlState() {
  const [params, setParams] = useSearchParams();
  const set = (patch: Record<string, string | null | undefined>) => {
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || v === undefined || v === '') next.delete(k);
      else next.set(k, v);
    }
    setParams(next);
  };
  return [params, set, setParams] as const;
}

/** What a list shows of its query: failed (with 重试), fetching. */
interface ListQuery {
  error: unknown;
  isFetching: boolean;
  refetch: () => unknown;
}

/** Paging of a list whose page is kept in the URL, "共 N 条" beside. */
interface Paging {
  page: number;
  pageSize: number;
  total: number | undefined;
  onChange: (page: number) => void;
}

/** On a phone, a list's rows as cards: what each card shows, and what shows when there is none. */
interface Cards<T> {
  empty: string;
  card: (item: T) => ReactNode;
}

/**
 * The table of a list page: its query's error (with 重试) in its place, else an antd table of
 * rows keyed by `id`, scrolling sideways. With `paging`, the usual pager. On a phone, with
 * `cards`, a card a row (the same paging) instead; with `mobile`, that instead.
 */
export function QueryTable<T extends object>({ query, paging, cards, mobile, ...table }: { query: ListQuery; paging?: Paging; cards?: Cards<T>; mobile?: ReactNode } & TableProps<T>) {
  const { t } = useI18n();
  const isMobile = useIsMobile();
  if (query.error) return <LoadError error={query.error} onRetry={() => void query.refetch()} />;
  if (isMobile && cards && paging) return <CardList query={query} items={[...(table.dataSource ?? [])]} paging={paging} {...cards} />;
  if (mobile) return <>{mobile}</>;
  return (
    <Table<T>
      rowKey="id"
      size="middle"
      loading={query.isFetching}
      scroll={{ x: 'max-content' }}
      pagination={
        paging && {
          current: paging.page,
          pageSize: paging.pageSize,
          total: paging.total ?? 0,
          showSizeChanger: false,
          showTotal: (total) => t('common.total', { total }),
          onChange: paging.onChange,
        }
      }
      {...table}
    />
  );
}

/** The phone's form of a list: a card a row, a simple pager below when there is more than a page. */
function CardList<T>({ query, items, empty, paging, card }: { query: ListQuery; items: T[]; paging: Paging } & Cards<T>) {
  return (
    <>
      <List
        loading={query.isFetching}
        dataSource={items}
        locale={{ emptyText: <Empty description={empty} /> }}
        renderItem={(item) => <List.Item style={{ padding: '4px 0', border: 'none' }}>{card(item)}</List.Item>}
      />
      {(paging.total ?? 0) > paging.pageSize && (
        <Pagination simple current={paging.page} pageSize={paging.pageSize} total={paging.total ?? 0} onChange={paging.onChange} style={{ textAlign: 'center' }} />
      )}
    </>
  );
}

/** The grid filter of a list, shown to whom works in more than one grid. */
export function GridFilter({ grids, value, onChange }: { grids: GridOption[]; value: string | undefined; onChange: (gridId: string | null) => void }) {
  const { t } = useI18n();
  if (grids.length <= 1) return null;
  return <Select allowClear showSearch optionFilterProp="label" placeholder={t('pop.grid')} style={{ minWidth: 200 }} value={value} onChange={(v) => onChange(v ?? null)} options={groupGrids(grids)} />;
}

/** The small grey line under a list's filters. */
export function FilterHint({ children }: { children: ReactNode }) {
  return (
    <Typography.Text type="secondary" style={{ fontSize: 12, display: 'block', marginTop: 8 }}>
      {children}
    </Typography.Text>
  );
}

/** The page header's "+ 新…" button, or nothing without the right to add. */
export function NewButton({ allowed, onClick, testId, children }: { allowed: boolean; onClick: () => void; testId: string; children: ReactNode }) {
  return allowed ? (
    <Button type="primary" icon={<PlusOutlined />} onClick={onClick} data-testid={testId}>
      {children}
    </Button>
  ) : null;
}
