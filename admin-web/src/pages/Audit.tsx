import { Alert, Button, Code, Group, Modal, Select, SimpleGrid, TextInput } from '@mantine/core';
import { IconDownload, IconShieldCheck } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../api/client';
import { QueryTable, usePaged } from '../components/DataTable';
import { DateTime } from '../components/DateTime';
import { download } from '../components/download';
import { Page } from '../components/Page';
import { ProblemAlert } from '../components/ProblemAlert';

interface Filters {
  action: string;
  actor_id: string;
  target_id: string;
  outcome: string;
  since: string;
  until: string;
}

const EMPTY: Filters = { action: '', actor_id: '', target_id: '', outcome: '', since: '', until: '' };

/** The filters as API query parameters; a datetime-local value is the admin's local time. */
export function toQuery(f: Filters) {
  const iso = (v: string) => (v ? new Date(v).toISOString() : undefined);
  return {
    action: f.action.trim() || undefined,
    actor_id: f.actor_id.trim() || undefined,
    target_id: f.target_id.trim() || undefined,
    outcome: f.outcome || undefined,
    since: iso(f.since),
    until: iso(f.until),
  };
}

export function Audit() {
  const { t } = useTranslation();
  const [form, setForm] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [open, setOpen] = useState<Schemas['AuditEntry'] | null>(null);
  const { query: list, pages } = usePaged(['audit', 'list', applied], (cursor) =>
    call(api.GET('/audit', { params: { query: { ...toQuery(applied), cursor, limit: 50 } } })),
  );
  const exp = useMutation({
    mutationFn: (format: 'jsonl' | 'csv') =>
      download(api.GET('/audit/export', { params: { query: { ...toQuery(applied), format } }, parseAs: 'blob' }), `audit.${format}`),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['audit'] }),
  });
  const qc = useQueryClient();
  // Checking and exporting are audited themselves: the list shows them afterwards.
  const verify = useMutation({
    mutationFn: () => call(api.GET('/audit/verify')),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['audit'] }),
  });
  const set = (k: keyof Filters) => (e: React.ChangeEvent<HTMLInputElement>) => setForm({ ...form, [k]: e.currentTarget.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setApplied(form);
    pages.reset();
  };

  return (
    <Page
      title={t('audit.title')}
      actions={
        <>
          <Button variant="default" leftSection={<IconShieldCheck size={16} />} onClick={() => verify.mutate()} loading={verify.isPending}>
            {t('audit.verify')}
          </Button>
          <Button variant="default" leftSection={<IconDownload size={16} />} onClick={() => exp.mutate('jsonl')} loading={exp.isPending && exp.variables === 'jsonl'}>
            {t('audit.exportJsonl')}
          </Button>
          <Button variant="default" leftSection={<IconDownload size={16} />} onClick={() => exp.mutate('csv')} loading={exp.isPending && exp.variables === 'csv'}>
            {t('audit.exportCsv')}
          </Button>
        </>
      }
    >
      <form onSubmit={submit} aria-label={t('audit.filters')}>
        <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }}>
          <TextInput label={t('audit.action')} placeholder="user.disabled" value={form.action} onChange={set('action')} />
          <TextInput label={t('audit.actor')} value={form.actor_id} onChange={set('actor_id')} />
          <TextInput label={t('audit.target')} value={form.target_id} onChange={set('target_id')} />
          <Select
            label={t('audit.outcome')}
            data={[
              { value: '', label: t('audit.anyOutcome') },
              { value: 'success', label: t('audit.success') },
              { value: 'failure', label: t('audit.failure') },
            ]}
            value={form.outcome}
            onChange={(v) => setForm({ ...form, outcome: v ?? '' })}
            allowDeselect={false}
          />
          <TextInput type="datetime-local" label={t('audit.since')} value={form.since} onChange={set('since')} />
          <TextInput type="datetime-local" label={t('audit.until')} value={form.until} onChange={set('until')} />
        </SimpleGrid>
        <Group justify="flex-end" mt="sm">
          <Button variant="default" onClick={() => (setForm(EMPTY), setApplied(EMPTY), pages.reset())}>
            {t('audit.clear')}
          </Button>
          <Button type="submit">{t('audit.apply')}</Button>
        </Group>
      </form>
      <ProblemAlert error={exp.error ?? verify.error} />
      {verify.data && (
        <Alert
          color={verify.data.intact ? 'green' : 'red'}
          title={verify.data.intact ? t('audit.intact') : t('audit.broken')}
          role="status"
          data-testid="chain-result"
          withCloseButton
          closeButtonLabel={t('common.close')}
          onClose={() => verify.reset()}
        >
          {verify.data.intact
            ? t('audit.intactDetail', { n: verify.data.entries })
            : t('audit.brokenDetail', { seq: verify.data.broken_at, reason: verify.data.reason })}{' '}
          <DateTime value={verify.data.checked_at} />
        </Alert>
      )}
      <QueryTable
        query={list}
        pages={pages}
        label={t('audit.title')}
        hover
        minWidth={760}
        rowKey={(e) => e.id}
        columns={[
          { key: 'seq', header: '#', render: (e) => e.seq },
          { key: 'at', header: t('audit.at'), render: (e) => <DateTime value={e.at} /> },
          { key: 'action', header: t('audit.action'), render: (e) => <code>{e.action}</code> },
          { key: 'actor', header: t('audit.actor'), render: (e) => `${e.actor_kind} ${e.actor_id}` },
          { key: 'target', header: t('audit.target'), render: (e) => `${e.target_kind} ${e.target_id}` },
          { key: 'outcome', header: t('audit.outcome'), render: (e) => e.outcome },
          {
            key: 'details',
            header: '',
            render: (e) => (
              <Button size="compact-xs" variant="subtle" onClick={() => setOpen(e)}>
                {t('audit.details')}
              </Button>
            ),
          },
        ]}
      />
      <Modal opened={!!open} onClose={() => setOpen(null)} title={open?.action} size="lg">
        {open && <Code block>{JSON.stringify(open, null, 2)}</Code>}
      </Modal>
    </Page>
  );
}
