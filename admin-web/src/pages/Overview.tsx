import { Anchor, Badge, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call, type Schemas } from '../api/client';
import { useSession } from '../auth/session';
import { DateTime } from '../components/DateTime';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemAlert } from '../components/ProblemAlert';
import { adminZone, formatBytes, formatDateTime, formatNumber } from '../format';

/** One status's count, linked to the people it counts. */
function Stat({ label, value, to, testId }: { label: string; value: number | undefined; to?: string; testId: string }) {
  const { i18n } = useTranslation();
  const shown = value === undefined ? '…' : formatNumber(value, i18n.resolvedLanguage ?? 'en');
  return (
    <Card withBorder padding="md">
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text size="xl" fw={700} data-testid={testId}>
        {to ? (
          <Anchor component={Link} to={to} inherit>
            {shown}
          </Anchor>
        ) : (
          shown
        )}
      </Text>
    </Card>
  );
}

/** How many people there are in each status, counted by the server (`GET /users/counts`). */
export function PeopleCounts() {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'en';
  const counts = useQuery({ queryKey: ['users', 'counts'], queryFn: () => call(api.GET('/users/counts')) });
  const c = counts.data;
  return (
    <section aria-labelledby="ov-people">
      <Title order={2} size="h4" id="ov-people" mb="xs">
        {t('overview.people')}
      </Title>
      <ProblemAlert error={counts.error} />
      {!counts.error && (
        <SimpleGrid cols={{ base: 2, sm: 4 }}>
          <Stat label={t('status.active')} value={c?.active} to="/people?status=active" testId="stat-active" />
          <Stat label={t('status.invited')} value={c?.invited} to="/people?status=invited" testId="stat-invited" />
          <Stat label={t('status.disabled')} value={c?.disabled} to="/people?status=disabled" testId="stat-disabled" />
          <Stat label={t('status.pending_erasure')} value={c?.pending_erasure} to="/people?tab=deletions" testId="stat-pending_erasure" />
        </SimpleGrid>
      )}
      {c && (
        <Text size="xs" c="dimmed" mt="xs" data-testid="stat-total">
          {t('overview.countsTotal', { total: formatNumber(c.total, lang), erased: formatNumber(c.erased, lang) })}
        </Text>
      )}
    </section>
  );
}

/** The search backend's state; since when it is down, in the admin's zone. */
export function SearchState({ search }: { search: Schemas['SearchHealth'] }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'en';
  const up = search.state === 'up';
  return (
    <Badge
      color={up ? 'green' : 'red'}
      variant="light"
      title={!up && search.down_since ? `${search.down_since} (${adminZone()})` : undefined}
      data-testid="search-state"
    >
      {up
        ? t('overview.searchUp')
        : search.down_since
          ? t('overview.searchDown', { since: formatDateTime(search.down_since, lang) })
          : t('overviewMore.searchDown')}
    </Badge>
  );
}

export function Overview() {
  const { t, i18n } = useTranslation();
  const s = useSession();
  const lang = i18n.resolvedLanguage ?? 'en';
  const canUsers = s.can('users.read');
  const storage = useQuery({ queryKey: ['storage'], queryFn: () => call(api.GET('/storage')) });
  const files = useQuery({
    queryKey: ['files', 'usage'],
    enabled: s.can('files.manage'),
    queryFn: () => call(api.GET('/files/usage')),
  });
  const audit = useQuery({
    queryKey: ['audit', 'recent'],
    enabled: s.can('audit.read'),
    queryFn: () => call(api.GET('/audit', { params: { query: { limit: 10 } } })),
  });
  const canSettings = s.can('settings.manage');
  const work = useQuery({
    queryKey: ['health'],
    enabled: canSettings,
    queryFn: () => call(api.GET('/health')),
    refetchInterval: 30_000,
  });
  const ready = useQuery({
    queryKey: ['readyz'],
    queryFn: async () => {
      const r = await fetch('/readyz');
      return { ok: r.ok, text: (await r.text()).slice(0, 200) };
    },
  });

  return (
    <Page title={t('overview.title')}>
      {canUsers && <PeopleCounts />}
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            {t('overview.storage')}
          </Title>
          {storage.isLoading && <Loading />}
          <ProblemAlert error={storage.error} />
          {storage.data && (
            <Text>
              {t('overview.storageUsed', {
                used: formatBytes(storage.data.used_bytes, lang),
                quota: storage.data.quota_bytes ? formatBytes(storage.data.quota_bytes, lang) : t('common.unlimited'),
              })}
            </Text>
          )}
          {s.can('files.manage') && (
            <>
              <ProblemAlert error={files.error} />
              {files.data && (
                <Text size="sm" mt="xs" data-testid="overview-files">
                  {t('storageFiles.overview', {
                    used: formatBytes(files.data.used_bytes, lang),
                    quota: files.data.quota_bytes ? formatBytes(files.data.quota_bytes, lang) : t('common.unlimited'),
                  })}
                </Text>
              )}
            </>
          )}
          <Anchor component={Link} to="/storage" size="sm" mt="xs" display="inline-block">
            {t('storageFiles.details')}
          </Anchor>
        </Card>
        <Card withBorder>
          <Title order={2} size="h4" mb="xs">
            {t('overview.health')}
          </Title>
          {ready.isLoading && <Loading />}
          <ProblemAlert error={ready.error} />
          {ready.data && (
            <Group gap="xs">
              <Badge color={ready.data.ok ? 'green' : 'red'} variant="light">{ready.data.ok ? t('overview.ready') : t('overview.notReady')}</Badge>
              {!ready.data.ok && <Text size="sm">{ready.data.text}</Text>}
            </Group>
          )}
          <Text size="xs" c="dimmed" mt="xs">
            {t('overview.healthNote')}
          </Text>
        </Card>
      </SimpleGrid>
      {canSettings && (
        <Card withBorder component="section" aria-labelledby="ov-work">
          <Title order={2} size="h4" id="ov-work" mb="xs">
            {t('overview.work')}
          </Title>
          {work.isLoading && <Loading />}
          <ProblemAlert error={work.error} />
          {work.data && (
            <Stack gap="xs">
              <Group gap="xs">
                <Text size="sm">{t('overview.search')}</Text>
                <SearchState search={work.data.search} />
                <Text size="xs" c="dimmed">
                  {work.data.search.backend}
                </Text>
              </Group>
              <SimpleGrid cols={{ base: 3 }}>
                <Text size="sm">
                  {t('overview.pending')}: <strong>{work.data.outbox.pending}</strong>
                </Text>
                <Text size="sm" c={work.data.outbox.dead > 0 ? 'red' : undefined}>
                  {t('overview.dead')}: <strong>{work.data.outbox.dead}</strong>
                </Text>
                <Text size="sm">
                  {t('overview.lag')}: <strong>{t('overview.seconds', { n: work.data.outbox.lag_seconds })}</strong>
                </Text>
              </SimpleGrid>
              {work.data.outbox.topics.length === 0 ? (
                <Text size="sm" c="dimmed">
                  {t('overview.allDelivered')}
                </Text>
              ) : (
                <Table.ScrollContainer minWidth={400}>
                  <Table>
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th>{t('overview.topic')}</Table.Th>
                        <Table.Th>{t('overview.pending')}</Table.Th>
                        <Table.Th>{t('overview.dead')}</Table.Th>
                        <Table.Th>{t('overview.lag')}</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {work.data.outbox.topics.map((tp) => (
                        <Table.Tr key={tp.topic}>
                          <Table.Td>{tp.topic}</Table.Td>
                          <Table.Td>{tp.pending}</Table.Td>
                          <Table.Td>{tp.dead}</Table.Td>
                          <Table.Td>{tp.oldest_pending_at ? <DateTime value={tp.oldest_pending_at} /> : '—'}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </Table.ScrollContainer>
              )}
            </Stack>
          )}
        </Card>
      )}
      {s.can('audit.read') && (
        <Stack gap="xs">
          <Group justify="space-between">
            <Title order={2} size="h4">
              {t('overview.recentAudit')}
            </Title>
            <Anchor component={Link} to="/audit" size="sm">
              {t('overview.allAudit')}
            </Anchor>
          </Group>
          {audit.isLoading && <Loading />}
          <ProblemAlert error={audit.error} />
          {audit.data && (
            <Table.ScrollContainer minWidth={500}>
              <Table striped>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('audit.at')}</Table.Th>
                    <Table.Th>{t('audit.action')}</Table.Th>
                    <Table.Th>{t('audit.outcome')}</Table.Th>
                    <Table.Th>{t('audit.target')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {audit.data.items.map((e) => (
                    <Table.Tr key={e.id}>
                      <Table.Td>
                        <DateTime value={e.at} />
                      </Table.Td>
                      <Table.Td>{e.action}</Table.Td>
                      <Table.Td>{e.outcome}</Table.Td>
                      <Table.Td>
                        {e.target_kind} {e.target_id}
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Stack>
      )}
    </Page>
  );
}
