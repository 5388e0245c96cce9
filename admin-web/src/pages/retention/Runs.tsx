import { Badge, Button, Checkbox, Code, Group, Modal, Stack, Table, Text } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { Confirm } from '../../components/Confirm';
import { DateTime } from '../../components/DateTime';
import { Loading } from '../../components/Loading';
import { Pager } from '../../components/Pager';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useCursor } from '../../components/useCursor';

export function Runs() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const pages = useCursor();
  const [dry, setDry] = useState(true);
  const [confirm, setConfirm] = useState(false);
  const [open, setOpen] = useState<Schemas['RetentionRun'] | null>(null);
  const list = useQuery({
    queryKey: ['retention', 'runs', pages.cursor],
    queryFn: () => call(api.GET('/retention/runs', { params: { query: { cursor: pages.cursor } } })),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((r) => r.status === 'running') ? 2000 : false),
  });
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
      {list.isLoading && <Loading />}
      <ProblemAlert error={list.error} />
      {list.data && (
        <>
          <Table.ScrollContainer minWidth={600}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('retention.started')}</Table.Th>
                  <Table.Th>{t('retention.trigger')}</Table.Th>
                  <Table.Th>{t('retention.status')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.length === 0 && (
                  <Table.Tr>
                    <Table.Td colSpan={4}>{t('common.none')}</Table.Td>
                  </Table.Tr>
                )}
                {list.data.items.map((r) => (
                  <Table.Tr key={r.id}>
                    <Table.Td>
                      <DateTime value={r.started_at} />
                    </Table.Td>
                    <Table.Td>
                      {r.trigger} {r.dry_run && <Badge size="xs" variant="outline">{t('retention.dryRun')}</Badge>}
                    </Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={r.status === 'failed' ? 'red' : r.status === 'done' ? 'green' : 'blue'}>
                        {r.status}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Button size="compact-xs" variant="subtle" onClick={() => setOpen(r)}>
                        {t('retention.report')}
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Pager hasPrev={pages.hasPrev} next={list.data.next_cursor} onPrev={pages.prev} onNext={pages.next} />
        </>
      )}
      <Confirm
        opened={confirm}
        onClose={() => setConfirm(false)}
        title={t('retention.runTitle')}
        confirmLabel={t('retention.runNow')}
        onConfirm={() => start.mutate()}
        pending={start.isPending}
        error={start.error}
      >
        <Text size="sm">{t('retention.runIntro')}</Text>
        {preview.isLoading && <Loading />}
        <ProblemAlert error={preview.error} />
        {preview.data && (
          <Text size="sm" fw={600} data-testid="run-preview">
            {t('retention.previewTotal', { count: preview.data.items, n: preview.data.items })}
          </Text>
        )}
      </Confirm>
      <Modal opened={!!open} onClose={() => setOpen(null)} title={t('retention.report')} size="xl">
        {open && (
          <Stack>
            {open.error && <ProblemAlert error={new Error(open.error)} />}
            <Code block>{JSON.stringify(open.report, null, 2)}</Code>
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}
