import { Anchor, Modal, Stack, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';
import { DateTime } from '../../components/DateTime';
import { Loading } from '../../components/Loading';
import { Pager } from '../../components/Pager';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useCursor } from '../../components/useCursor';
import { serverText } from '../../serverText';

type Row = Record<string, unknown>;

function rows(v: unknown): Row[] {
  return Array.isArray(v) ? (v.filter((x) => x && typeof x === 'object') as Row[]) : [];
}

/** A table of the report's rows with whatever columns they carry. */
function RowsTable({ items, label }: { items: Row[]; label: string }) {
  const { t } = useTranslation();
  if (items.length === 0) return <Text size="sm">{t('common.none')}</Text>;
  const cols = Array.from(new Set(items.flatMap((r) => Object.keys(r))));
  // The feature column names a feature: shown by its translated name, like the roles matrix.
  const cell = (v: unknown, col: string) =>
    v === undefined || v === null ? '—' : col === 'feature' && typeof v === 'string' ? serverText(t, 'feature', v) : String(v);
  return (
    <Table.ScrollContainer minWidth={500}>
      <Table striped withTableBorder aria-label={label}>
        <Table.Thead>
          <Table.Tr>
            {cols.map((c) => (
              <Table.Th key={c}>{serverText(t, 'reportColumn', c)}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((r, i) => (
            <Table.Tr key={i}>
              {cols.map((c) => (
                <Table.Td key={c}>{cell(r[c], c)}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

export function ErasureReportView({ report }: { report: Schemas['ErasureReport'] }) {
  const { t } = useTranslation();
  const totals = report.totals && typeof report.totals === 'object' ? (report.totals as Row) : {};
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
      <RowsTable items={[totals]} label={t('report.totals')} />
      <Title order={3} size="h5">
        {t('report.erased')}
      </Title>
      <RowsTable items={rows(report.erased)} label={t('report.erased')} />
      <Title order={3} size="h5">
        {t('report.transferred')}
      </Title>
      <RowsTable items={rows(report.transferred)} label={t('report.transferred')} />
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
