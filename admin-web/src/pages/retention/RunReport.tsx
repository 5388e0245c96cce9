import { Alert, Badge, Button, Code, Group, SimpleGrid, Stack, Switch, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { Schemas } from '../../api/client';
import { DateTime } from '../../components/DateTime';
import { formatBytes, formatNumber } from '../../format';

/** What a run removed (or, dry, would remove) from one store count. */
export interface Purged {
  items: number;
  rows: number;
  blobs: number;
  bytes: number;
  index_entries: number;
}

/** One data class of a run's report. */
export interface ClassReport extends Purged {
  class: string;
  /** The period applied; `null`: kept forever. */
  days: number | null;
  held: { hold_id: string; name: string; items: number }[];
  duration_ms: number;
  error: string | null;
}

export interface RunReport {
  dry_run: boolean;
  classes: ClassReport[];
  totals: Purged;
  duration_ms: number;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function purged(v: Record<string, unknown>): Purged {
  return { items: num(v.items), rows: num(v.rows), blobs: num(v.blobs), bytes: num(v.bytes), index_entries: num(v.index_entries) };
}

/**
 * A run's report as the server stores it (the API types it only as JSON: per class `items`,
 * `rows`, `blobs`, `bytes`, `index_entries`, `held`, `duration_ms`, `error`, and `totals`), read
 * defensively: a missing field is 0, a running run's `{}` is an empty report.
 */
export function parseReport(raw: unknown): RunReport {
  const o = raw && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const classes = (Array.isArray(o.classes) ? o.classes : [])
    .filter((c): c is Record<string, unknown> => !!c && typeof c === 'object')
    .map((c) => ({
      ...purged(c),
      class: String(c.class ?? ''),
      days: typeof c.days === 'number' ? c.days : null,
      held: (Array.isArray(c.held) ? c.held : [])
        .filter((h): h is Record<string, unknown> => !!h && typeof h === 'object')
        .map((h) => ({ hold_id: String(h.hold_id ?? ''), name: String(h.name ?? ''), items: num(h.items) })),
      duration_ms: num(c.duration_ms),
      error: typeof c.error === 'string' && c.error ? c.error : null,
    }));
  const totals = o.totals && typeof o.totals === 'object' ? purged(o.totals as Record<string, unknown>) : null;
  return {
    dry_run: o.dry_run === true,
    classes,
    totals:
      totals ??
      classes.reduce<Purged>(
        (a, c) => ({
          items: a.items + c.items,
          rows: a.rows + c.rows,
          blobs: a.blobs + c.blobs,
          bytes: a.bytes + c.bytes,
          index_entries: a.index_entries + c.index_entries,
        }),
        { items: 0, rows: 0, blobs: 0, bytes: 0, index_entries: 0 },
      ),
    duration_ms: num(o.duration_ms),
  };
}

/** A class worth a line: something removed, kept back by a hold, or failed. */
export function eventful(c: ClassReport): boolean {
  return c.items > 0 || c.rows > 0 || c.blobs > 0 || c.index_entries > 0 || c.held.some((h) => h.items > 0) || !!c.error;
}

function seconds(ms: number, lang: string): string {
  return `${formatNumber(Math.round(ms / 100) / 10, lang)} s`;
}

/** A retention run's report: totals, a table per data class, the raw JSON behind a toggle. */
export function RunReportView({ run }: { run: Schemas['RetentionRun'] }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'en';
  const [all, setAll] = useState(false);
  const [raw, setRaw] = useState(false);
  const report = parseReport(run.report);
  const rows = all ? report.classes : report.classes.filter(eventful);
  const n = (v: number) => formatNumber(v, lang);
  const dry = run.dry_run || report.dry_run;
  return (
    <Stack data-testid="run-report">
      <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="xs">
        <Text size="sm">
          {t('runReport.status')}:{' '}
          <Badge variant="light" color={run.status === 'failed' ? 'red' : run.status === 'done' ? 'green' : 'blue'}>
            {t(`runReport.st.${run.status}`, { defaultValue: run.status })}
          </Badge>{' '}
          {dry && (
            <Badge size="sm" variant="outline">
              {t('retention.dryRun')}
            </Badge>
          )}
        </Text>
        <Text size="sm">
          {t('runReport.trigger')}: {t(`runReport.tr.${run.trigger}`, { defaultValue: run.trigger })}
        </Text>
        <Text size="sm">
          {t('retention.started')}: <DateTime value={run.started_at} />
        </Text>
        <Text size="sm">
          {t('runReport.finished')}: <DateTime value={run.finished_at} />
        </Text>
        <Text size="sm">
          {t('runReport.asOf')}: <DateTime value={run.as_of} />
        </Text>
        <Text size="sm">
          {t('runReport.duration')}: {seconds(report.duration_ms, lang)}
        </Text>
      </SimpleGrid>
      {run.error && (
        <Alert color="red" variant="light" title={t('runReport.failed')}>
          <Text size="sm">{run.error}</Text>
        </Alert>
      )}
      <Text fw={600} data-testid="run-report-total">
        {t(dry ? 'runReport.wouldRemove' : 'runReport.removed', {
          count: report.totals.items,
          n: n(report.totals.items),
          size: formatBytes(report.totals.bytes, lang),
        })}
      </Text>
      <Group justify="space-between">
        <Text size="xs" c="dimmed">
          {t('runReport.classesShown', { shown: rows.length, total: report.classes.length })}
        </Text>
        <Switch size="xs" label={t('runReport.allClasses')} checked={all} onChange={(e) => setAll(e.currentTarget.checked)} />
      </Group>
      <Table.ScrollContainer minWidth={820}>
        <Table striped withTableBorder aria-label={t('runReport.table')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('retention.class')}</Table.Th>
              <Table.Th>{t('retention.period')}</Table.Th>
              <Table.Th ta="right">{dry ? t('runReport.itemsDue') : t('runReport.itemsRemoved')}</Table.Th>
              <Table.Th ta="right">{t('runReport.rows')}</Table.Th>
              <Table.Th ta="right">{t('runReport.blobs')}</Table.Th>
              <Table.Th ta="right">{t('retention.bytes')}</Table.Th>
              <Table.Th ta="right">{t('runReport.index')}</Table.Th>
              <Table.Th>{t('retention.held')}</Table.Th>
              <Table.Th ta="right">{t('runReport.time')}</Table.Th>
              <Table.Th>{t('runReport.error')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rows.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={10}>{t('runReport.nothing')}</Table.Td>
              </Table.Tr>
            )}
            {rows.map((c) => (
              <Table.Tr key={c.class} data-testid={`report-${c.class}`}>
                <Table.Td>
                  <code>{c.class}</code>
                </Table.Td>
                <Table.Td>{c.days === null ? t('retention.forever') : `${n(c.days)} ${t('common.days')}`}</Table.Td>
                <Table.Td ta="right" data-testid={`report-items-${c.class}`}>
                  {n(c.items)}
                </Table.Td>
                <Table.Td ta="right">{n(c.rows)}</Table.Td>
                <Table.Td ta="right">{n(c.blobs)}</Table.Td>
                <Table.Td ta="right">{formatBytes(c.bytes, lang)}</Table.Td>
                <Table.Td ta="right">{n(c.index_entries)}</Table.Td>
                <Table.Td>
                  {c.held.length === 0
                    ? '—'
                    : c.held.map((h) => (
                        <Text size="xs" key={h.hold_id}>
                          {h.name || h.hold_id}: {n(h.items)}
                        </Text>
                      ))}
                </Table.Td>
                <Table.Td ta="right">{seconds(c.duration_ms, lang)}</Table.Td>
                <Table.Td>
                  {c.error ? (
                    <Text size="xs" c="red">
                      {c.error}
                    </Text>
                  ) : (
                    '—'
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
          <Table.Tfoot>
            <Table.Tr>
              <Table.Th colSpan={2}>{t('runReport.totals')}</Table.Th>
              <Table.Th ta="right" data-testid="report-items-total">
                {n(report.totals.items)}
              </Table.Th>
              <Table.Th ta="right">{n(report.totals.rows)}</Table.Th>
              <Table.Th ta="right">{n(report.totals.blobs)}</Table.Th>
              <Table.Th ta="right">{formatBytes(report.totals.bytes, lang)}</Table.Th>
              <Table.Th ta="right">{n(report.totals.index_entries)}</Table.Th>
              <Table.Th colSpan={3} />
            </Table.Tr>
          </Table.Tfoot>
        </Table>
      </Table.ScrollContainer>
      <Group>
        <Button variant="subtle" size="compact-sm" onClick={() => setRaw((v) => !v)} aria-expanded={raw}>
          {raw ? t('runReport.hideJson') : t('runReport.showJson')}
        </Button>
      </Group>
      {raw && (
        <Code block data-testid="run-report-json">
          {JSON.stringify(run.report, null, 2)}
        </Code>
      )}
    </Stack>
  );
}
