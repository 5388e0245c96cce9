import { Anchor, Modal, Stack, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';
import { DateTime } from '../../components/DateTime';
import { Loading } from '../../components/Loading';
import { Pager } from '../../components/Pager';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useCursor } from '../../components/useCursor';
import { formatBytes, formatNumber } from '../../format';
import { serverText } from '../../serverText';
import { lineKey, Successor } from './DeletionPreview';

type Cols<T> = { key: string; header: string; cell: (r: T) => ReactNode; num?: boolean }[];

/** A table of the report's rows, a test id on each cell (`<table>-<column>[-<line id>]`). */
function LinesTable<T>({ items, label, cols, testId, lineId }: { items: T[]; label: string; cols: Cols<T>; testId: string; lineId?: (r: T) => string }) {
  const { t } = useTranslation();
  if (items.length === 0) return <Text size="sm">{t('common.none')}</Text>;
  return (
    <Table.ScrollContainer minWidth={500}>
      <Table striped withTableBorder aria-label={label} data-testid={testId}>
        <Table.Thead>
          <Table.Tr>
            {cols.map((c) => (
              <Table.Th key={c.key} ta={c.num ? 'right' : undefined}>
                {c.header}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((r, i) => (
            <Table.Tr key={i}>
              {cols.map((c) => (
                <Table.Td key={c.key} ta={c.num ? 'right' : undefined} data-testid={lineId ? `${testId}-${c.key}-${lineId(r)}` : `${testId}-${c.key}`}>
                  {c.cell(r)}
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function ErasureReportView({ report }: { report: Schemas['ErasureReport'] }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'en';
  const n = (v: number) => formatNumber(v, lang);
  const col = (k: string) => serverText(t, 'reportColumn', k);
  // The counts every store reports, in the totals and on each erased line.
  const counts = <T extends Schemas['ErasedTotals']>(): Cols<T> => [
    { key: 'items', header: col('items'), cell: (r) => n(r.items), num: true },
    { key: 'rows', header: col('rows'), cell: (r) => n(r.rows), num: true },
    { key: 'blobs', header: col('blobs'), cell: (r) => n(r.blobs), num: true },
    { key: 'bytes', header: col('bytes'), cell: (r) => formatBytes(r.bytes, lang), num: true },
    { key: 'index_entries', header: col('index_entries'), cell: (r) => n(r.index_entries), num: true },
    { key: 'held', header: col('held'), cell: (r) => n(r.held), num: true },
    { key: 'kept', header: col('kept'), cell: (r) => n(r.kept), num: true },
  ];
  const line = <T extends { feature: string; what: string }>(): Cols<T> => [
    { key: 'feature', header: col('feature'), cell: (r) => serverText(t, 'feature', r.feature) },
    { key: 'what', header: col('what'), cell: (r) => r.what },
  ];
  return (
    <Stack data-testid="erasure-report">
      <Text size="sm">
        {t('report.pseudonym')}: <b>{report.pseudonym}</b>
      </Text>
      <Text size="sm">
        {t('report.finished')}: <DateTime value={report.finished_at} />
      </Text>
      <Title order={3} size="h5">
        {t('report.totals')}
      </Title>
      <LinesTable items={[report.totals]} label={t('report.totals')} cols={counts()} testId="report-totals" />
      <Title order={3} size="h5">
        {t('report.erased')}
      </Title>
      <LinesTable items={report.erased} label={t('report.erased')} cols={[...line<Schemas['ErasedLine']>(), ...counts<Schemas['ErasedLine']>()]} testId="report-erased" lineId={lineKey} />
      <Title order={3} size="h5">
        {t('report.transferred')}
      </Title>
      <LinesTable
        items={report.transferred}
        label={t('report.transferred')}
        cols={[
          ...line<Schemas['TransferLine']>(),
          { key: 'items', header: col('items'), cell: (r) => n(r.items), num: true },
          { key: 'to', header: col('to'), cell: (r) => <Successor to={r.to} /> },
        ]}
        testId="report-transferred"
        lineId={lineKey}
      />
    </Stack>
  );
}

export function ErasureReportModal({ id, onClose }: { id: string | null; onClose: () => void }) {
  const { t } = useTranslation();
  const r = useQuery({
    queryKey: ['erasure-report', id],
    enabled: !!id,
    queryFn: () => call(api.GET('/erasure-reports/{id}', { params: { path: { id: id! } } })),
  });
  return (
    <Modal opened={!!id} onClose={onClose} title={t('report.title')} size="xl">
      {r.isLoading && <Loading />}
      <ProblemAlert error={r.error} />
      {r.data && <ErasureReportView report={r.data} />}
    </Modal>
  );
}

export function ErasureReports() {
  const { t } = useTranslation();
  const pages = useCursor();
  const [open, setOpen] = useState<string | null>(null);
  const list = useQuery({
    queryKey: ['erasure-reports', pages.cursor],
    queryFn: () => call(api.GET('/erasure-reports', { params: { query: { cursor: pages.cursor } } })),
    placeholderData: keepPreviousData,
  });
  return (
    <>
      {list.isLoading && <Loading />}
      <ProblemAlert error={list.error} />
      {list.data && (
        <>
          <Table.ScrollContainer minWidth={500}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('report.pseudonym')}</Table.Th>
                  <Table.Th>{t('report.finished')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.length === 0 && (
                  <Table.Tr>
                    <Table.Td colSpan={2}>{t('common.none')}</Table.Td>
                  </Table.Tr>
                )}
                {list.data.items.map((r) => (
                  <Table.Tr key={r.id}>
                    <Table.Td>
                      <Anchor component="button" onClick={() => setOpen(r.id)}>
                        {r.pseudonym}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>
                      <DateTime value={r.finished_at} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Pager hasPrev={pages.hasPrev} next={list.data.next_cursor} onPrev={pages.prev} onNext={pages.next} />
        </>
      )}
      <ErasureReportModal id={open} onClose={() => setOpen(null)} />
    </>
  );
}
