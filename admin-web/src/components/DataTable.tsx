import { Table } from '@mantine/core';
import { keepPreviousData, useQuery, type UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Loading } from './Loading';
import { Pager } from './Pager';
import { ProblemAlert } from './ProblemAlert';
import { useCursor } from './useCursor';

/** One column of a DataTable: its header and how a row shows in it. */
export interface Column<T> {
  key: string;
  header: ReactNode;
  render: (row: T) => ReactNode;
}

/**
 * A table of rows: the columns' headers, one line per row, "Nothing here." when empty; it scrolls
 * sideways on a narrow screen rather than squeezing.
 */
export function DataTable<T>({
  columns,
  rows,
  rowKey,
  minWidth = 640,
  label,
  hover = false,
}: {
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  minWidth?: number;
  label?: string;
  hover?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <Table.ScrollContainer minWidth={minWidth}>
      <Table striped highlightOnHover={hover} aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            {columns.map((c) => (
              <Table.Th key={c.key}>{c.header}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={columns.length}>{t('common.none')}</Table.Td>
            </Table.Tr>
          )}
          {rows.map((r) => (
            <Table.Tr key={rowKey(r)}>
              {columns.map((c) => (
                <Table.Td key={c.key}>{c.render(r)}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** A page of a listing as the API answers it. */
export interface ListPage<T> {
  items: T[];
  next_cursor?: string | null;
}

type Cursor = ReturnType<typeof useCursor>;

/**
 * A query's rows in a DataTable, with its loading and error states (the server's `detail`) and,
 * when `pages` is given, the cursor pager under it.
 */
export function QueryTable<T>({
  query,
  pages,
  ...table
}: {
  query: UseQueryResult<ListPage<T>>;
  pages?: Cursor;
  columns: Column<T>[];
  rowKey: (row: T) => string;
  minWidth?: number;
  label?: string;
  hover?: boolean;
}) {
  return (
    <>
      {query.isLoading && <Loading />}
      <ProblemAlert error={query.error} />
      {query.data && (
        <>
          <DataTable rows={query.data.items} {...table} />
          {pages && <Pager hasPrev={pages.hasPrev} next={query.data.next_cursor} onPrev={pages.prev} onNext={pages.next} />}
        </>
      )}
    </>
  );
}

/**
 * A listing paged with the API's cursors: `key` names the query (filters included, so a new
 * filter is a new query; call `pages.reset()` when one changes), `fetch` asks for one page.
 */
export function usePaged<P extends ListPage<unknown>>(
  key: unknown[],
  fetch: (cursor: string | undefined) => Promise<P>,
  opts: { refetchInterval?: (data: P | undefined) => number | false; enabled?: boolean } = {},
) {
  const pages = useCursor();
  const query = useQuery({
    queryKey: [...key, pages.cursor],
    queryFn: () => fetch(pages.cursor),
    placeholderData: keepPreviousData,
    enabled: opts.enabled,
    refetchInterval: opts.refetchInterval ? (q) => opts.refetchInterval!(q.state.data) : undefined,
  });
  return { query, pages };
}
