import { Badge, Button, Checkbox, Group, Modal, Stack, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { Confirm } from '../../components/Confirm';
import { QueryTable, usePaged } from '../../components/DataTable';
import { DateTime } from '../../components/DateTime';
import { ProblemAlert } from '../../components/ProblemAlert';
import { serverText } from '../../serverText';
import { formatDateTime, formatNumber } from '../../format';
import { parseReport, RunReportView } from './RunReport';

export function Runs() {
  const { t, i18n } = useTranslation();
  const qc = useQueryClient();
  const [dry, setDry] = useState(true);
  const [confirm, setConfirm] = useState(false);
  const [open, setOpen] = useState<Schemas['RetentionRun'] | null>(null);
  const { query: list, pages } = usePaged(
    ['retention', 'runs'],
    (cursor) => call(api.GET('/retention/runs', { params: { query: { cursor } } })),
    { refetchInterval: (data) => (data?.items.some((r) => r.status === 'running') ? 2000 : false) },
  );
  // What a real run removes now: the current policy's preview, shown before it is confirmed.
  const preview = useQuery({
    queryKey: ['retention', 'preview', 'current-for-run'],
    enabled: confirm,
    queryFn: () => call(api.POST('/retention/preview', { body: { set: [], reset: [] } })),
  });
  const start = useMutation({
    mutationFn: () => call(api.POST('/retention/runs', { body: { dry_run: dry }, headers: idem() })),
    onSuccess: () => {
      setConfirm(false);
      void qc.invalidateQueries({ queryKey: ['retention', 'runs'] });
    },
  });
  return (
    <Stack>
      <Group justify="flex-end">
        <Checkbox label={t('retention.dryRun')} checked={dry} onChange={(e) => setDry(e.currentTarget.checked)} />
        <Button color={dry ? undefined : 'red'} onClick={() => (dry ? start.mutate() : setConfirm(true))} loading={start.isPending && dry}>
          {t('retention.runNow')}
        </Button>
      </Group>
      <ProblemAlert error={start.error} />
      <QueryTable
        query={list}
        pages={pages}
        minWidth={600}
        label={t('retention.runs')}
        rowKey={(r) => r.id}
        columns={[
          { key: 'started', header: t('retention.started'), render: (r) => <DateTime value={r.started_at} /> },
          {
            key: 'trigger',
            header: t('retention.trigger'),
            render: (r) => (
              <>
                {serverText(t, 'runTrigger', r.trigger)} {r.dry_run && <Badge size="xs" variant="outline">{t('retention.dryRun')}</Badge>}
              </>
            ),
          },
          {
            key: 'status',
            header: t('retention.status'),
            render: (r) => (
              <Badge variant="light" color={r.status === 'failed' ? 'red' : r.status === 'done' ? 'green' : 'blue'}>
                {serverText(t, 'runStatus', r.status)}
              </Badge>
            ),
          },
          {
            key: 'items',
            header: t('runReport.itemsCol'),
            render: (r) => (r.status === 'running' ? '…' : formatNumber(parseReport(r.report).totals.items, i18n.resolvedLanguage ?? 'en')),
          },
          {
            key: 'report',
            header: '',
            render: (r) => (
              <Button size="compact-xs" variant="subtle" onClick={() => setOpen(r)} aria-label={t('runReport.openNamed', { at: formatDateTime(r.started_at, i18n.resolvedLanguage ?? 'en') })}>
                {t('retention.report')}
              </Button>
            ),
          },
        ]}
      />
      <Confirm
        opened={confirm}
        onClose={() => setConfirm(false)}
        title={t('retention.runTitle')}
        confirmLabel={t('retention.runNow')}
        onConfirm={() => start.mutate()}
        pending={start.isPending}
        error={start.error}
        previewLoading={preview.isLoading}
        previewError={preview.error}
        consequences={preview.data?.classes
          .filter((c) => c.items > 0)
          .map((c) => ({ label: <code>{c.class}</code>, value: c.items }))}
      >
        <Text size="sm">{t('retention.runIntro')}</Text>
        {preview.data && (
          <Text size="sm" fw={600} data-testid="run-preview">
            {t('retention.previewTotal', { count: preview.data.items, n: preview.data.items })}
          </Text>
        )}
      </Confirm>
      <Modal opened={!!open} onClose={() => setOpen(null)} title={t('retention.report')} size="xl">
        {open && <RunReportView run={list.data?.items.find((r) => r.id === open.id) ?? open} />}
      </Modal>
    </Stack>
  );
}
