import type { ReactNode } from 'react';
import { Empty, List, Pagination, Table, type TableProps } from 'antd';
import { LoadError } from '../api/errors';
import { useI18n } from '../i18n';
import { useIsMobile } from './useIsMobile';

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
