import { Anchor, Badge, Button, Card, Group, Progress, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { useSession } from '../../auth/session';
import { DataTable } from '../../components/DataTable';
import { DateTime } from '../../components/DateTime';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { formatBytes } from '../../format';
import { PersonName } from './PersonName';

type Export = Schemas['DataExport'];
type Link = Schemas['DownloadLink'];

const inProgress = (e: Export) => e.status === 'queued' || e.status === 'running';

export function ExportStatus({ e }: { e: Export }) {
  const { t } = useTranslation();
  const color = e.status === 'ready' ? 'green' : e.status === 'failed' ? 'red' : e.status === 'expired' ? 'gray' : 'blue';
  return (
    <Stack gap={4}>
      <Badge color={color} variant="light" data-testid={`export-status-${e.id}`}>
        {t(`personExport.st.${e.status}`, { defaultValue: e.status })}
      </Badge>
      {e.status === 'running' && (
        <Progress value={e.progress} size="sm" aria-label={t('personExport.progress', { n: e.progress })} />
      )}
      {e.status === 'failed' && e.error && (
        <Text size="xs" c="red">
          {e.error}
        </Text>
      )}
    </Stack>
  );
}

/**
 * A person's data exports (for an access request): start one, follow its progress, and make a
 * short-lived download link for a ready one. The link is for the admin who asked for the export
 * (or the person themselves); another admin's export shows without one.
 */
export function PersonExports({ user }: { user: Schemas['User'] }) {
  const { t, i18n } = useTranslation();
  const s = useSession();
  const qc = useQueryClient();
  const lang = i18n.resolvedLanguage ?? 'en';
  const key = ['users', 'exports', user.id];
  const list = useQuery({
    queryKey: key,
    queryFn: () => call(api.GET('/users/{id}/exports', { params: { path: { id: user.id } } })),
    // While one is being prepared, follow its progress.
    refetchInterval: (q) => (q.state.data?.items.some(inProgress) ? 2000 : false),
  });
  const start = useMutation({
    mutationFn: () => call(api.POST('/users/{id}/export', { params: { path: { id: user.id } }, headers: idem() })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: key }),
  });
  const [links, setLinks] = useState<Record<string, Link>>({});
  const link = useMutation({
    mutationFn: (id: string) => call(api.POST('/exports/{id}/link', { params: { path: { id } }, headers: idem() })),
    onSuccess: (l, id) => setLinks((m) => ({ ...m, [id]: l })),
  });
  const me = s.me?.user.id;
  const busy = list.data?.items.some(inProgress) ?? false;
  return (
    <Card withBorder data-testid="person-exports">
      <Stack>
        <Group justify="space-between" wrap="wrap">
          <Title order={2} size="h4">
            {t('personExport.title')}
          </Title>
          <Button variant="default" onClick={() => start.mutate()} loading={start.isPending} disabled={busy}>
            {t('personExport.start')}
          </Button>
        </Group>
        <Text size="sm" c="dimmed">
          {t('personExport.intro')}
        </Text>
        <ProblemAlert error={start.error} />
        {list.isLoading && <Loading />}
        <ProblemAlert error={list.error} />
        <ProblemAlert error={link.error} />
        {list.data && (
          <DataTable
            rows={list.data.items}
            rowKey={(e) => e.id}
            minWidth={720}
            label={t('personExport.title')}
            columns={[
              { key: 'created', header: t('personExport.created'), render: (e) => <DateTime value={e.created_at} /> },
              { key: 'status', header: t('personExport.status'), render: (e) => <ExportStatus e={e} /> },
              {
                key: 'size',
                header: t('personExport.size'),
                render: (e) => (e.status === 'ready' ? formatBytes(e.size_bytes, lang) : '—'),
              },
              { key: 'expires', header: t('personExport.expires'), render: (e) => <DateTime value={e.expires_at} /> },
              { key: 'by', header: t('personExport.requestedBy'), render: (e) => <PersonName id={e.requested_by} /> },
              {
                key: 'download',
                header: t('personExport.download'),
                render: (e) => {
                  if (e.status !== 'ready') return '—';
                  if (e.requested_by !== me && e.user_id !== me) {
                    return (
                      <Text size="xs" c="dimmed">
                        {t('personExport.notYours')}
                      </Text>
                    );
                  }
                  const l = links[e.id];
                  if (l && new Date(l.expires_at).getTime() > Date.now()) {
                    return (
                      <Stack gap={2}>
                        <Anchor href={l.url} download data-testid={`export-link-${e.id}`}>
                          {t('personExport.downloadZip')}
                        </Anchor>
                        <Text size="xs" c="dimmed">
                          {t('personExport.linkUntil')} <DateTime value={l.expires_at} />
                        </Text>
                      </Stack>
                    );
                  }
                  return (
                    <Button
                      size="compact-sm"
                      variant="light"
                      onClick={() => link.mutate(e.id)}
                      loading={link.isPending && link.variables === e.id}
                    >
                      {t('personExport.makeLink')}
                    </Button>
                  );
                },
              },
            ]}
          />
        )}
      </Stack>
    </Card>
  );
}
