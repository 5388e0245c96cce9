import { Button, Card, Group, Modal, NumberInput, Progress, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useSession } from '../auth/session';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../api/client';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemAlert } from '../components/ProblemAlert';
import { formatBytes, formatNumber } from '../format';
import { PersonName } from './people/PersonName';

/**
 * Chat attachments (`/files`): the tenant's total against its quota, the largest upload allowed,
 * and who uploaded how much. Needs `files.manage`; the caller hides it without.
 */
function ChatFiles() {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'en';
  const q = useQuery({ queryKey: ['files', 'usage'], queryFn: () => call(api.GET('/files/usage')) });
  const d = q.data;
  return (
    <Card withBorder component="section" aria-labelledby="storage-files" data-testid="files-usage">
      <Stack gap="xs">
        <Title order={2} size="h4" id="storage-files">
          {t('storageFiles.title')}
        </Title>
        {q.isLoading && <Loading />}
        <ProblemAlert error={q.error} />
        {d && (
          <>
            <Text data-testid="files-used">
              {t('overview.storageUsed', {
                used: formatBytes(d.used_bytes, lang),
                quota: d.quota_bytes ? formatBytes(d.quota_bytes, lang) : t('common.unlimited'),
              })}
            </Text>
            {d.quota_bytes > 0 && (
              <Progress value={Math.min(100, (100 * d.used_bytes) / d.quota_bytes)} aria-label={t('storageFiles.title')} />
            )}
            <Text size="sm" c="dimmed">
              {t('storageFiles.maxUpload', { size: formatBytes(d.max_upload_bytes, lang) })}
            </Text>
            <Table.ScrollContainer minWidth={360}>
              <Table striped aria-label={t('storageFiles.byUser')}>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{t('storageFiles.uploader')}</Table.Th>
                    <Table.Th>{t('storageFiles.files')}</Table.Th>
                    <Table.Th>{t('storage.size')}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {d.by_user.length === 0 && (
                    <Table.Tr>
                      <Table.Td colSpan={3}>{t('common.none')}</Table.Td>
                    </Table.Tr>
                  )}
                  {d.by_user.map((u) => (
                    <Table.Tr key={u.user_id}>
                      <Table.Td>
                        <PersonName id={u.user_id} />
                      </Table.Td>
                      <Table.Td>{formatNumber(u.files, lang)}</Table.Td>
                      <Table.Td>{formatBytes(u.bytes, lang)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          </>
        )}
      </Stack>
    </Card>
  );
}

/** One person's quota in MiB: a number, 0 for none, or back to the tenant's setting. */
function QuotaDialog({ person, onClose }: { person: Schemas['PersonUsage'] | null; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [mib, setMib] = useState<number | ''>('');
  const m = useMutation({
    mutationFn: (quota: number | null) =>
      call(
        api.PUT('/storage/users/{user_id}', {
          params: { path: { user_id: person!.user_id } },
          body: { quota_bytes: quota },
          headers: idem(),
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['storage'] });
      onClose();
    },
  });
  return (
    <Modal opened={!!person} onClose={onClose} title={t('storage.setQuota', { name: person?.display_name })}>
      <Stack>
        <NumberInput
          label={t('storage.quotaMib')}
          description={t('settings.userQuotaHint')}
          min={0}
          value={mib}
          onChange={(v) => setMib(typeof v === 'number' ? v : '')}
          data-autofocus
        />
        <ProblemAlert error={m.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={() => m.mutate(null)} loading={m.isPending && m.variables === null}>
            {t('storage.followTenant')}
          </Button>
          <Button disabled={mib === ''} onClick={() => m.mutate(Number(mib) * 1048576)} loading={m.isPending && m.variables !== null}>
            {t('common.save')}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

export function Storage() {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'en';
  const q = useQuery({ queryKey: ['storage'], queryFn: () => call(api.GET('/storage')) });
  const s = useSession();
  const [editing, setEditing] = useState<Schemas['PersonUsage'] | null>(null);
  const d = q.data;
  return (
    <Page title={t('storage.title')}>
      {q.isLoading && <Loading />}
      <ProblemAlert error={q.error} />
      {d && (
        <Stack>
          <Card withBorder>
            <Text>
              {t('overview.storageUsed', {
                used: formatBytes(d.used_bytes, lang),
                quota: d.quota_bytes ? formatBytes(d.quota_bytes, lang) : t('common.unlimited'),
              })}
            </Text>
            {d.quota_bytes > 0 && (
              <Progress value={Math.min(100, (100 * d.used_bytes) / d.quota_bytes)} mt="xs" aria-label={t('storage.title')} />
            )}
          </Card>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Stack gap="xs">
              <Title order={2} size="h4">
                {t('storage.spaces')}
              </Title>
              <Table.ScrollContainer minWidth={360}>
                <Table striped>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('storage.space')}</Table.Th>
                      <Table.Th>{t('storage.documents')}</Table.Th>
                      <Table.Th>{t('storage.size')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {d.spaces.length === 0 && (
                      <Table.Tr>
                        <Table.Td colSpan={3}>{t('common.none')}</Table.Td>
                      </Table.Tr>
                    )}
                    {d.spaces.map((s) => (
                      <Table.Tr key={s.space_id}>
                        <Table.Td>
                          {s.name} <Text span size="xs" c="dimmed">({s.kind})</Text>
                        </Table.Td>
                        <Table.Td>{formatNumber(s.documents, lang)}</Table.Td>
                        <Table.Td>{formatBytes(s.bytes, lang)}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </Stack>
            <Stack gap="xs">
              <Title order={2} size="h4">
                {t('storage.people')}
              </Title>
              <Table.ScrollContainer minWidth={360}>
                <Table striped>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>{t('storage.person')}</Table.Th>
                      <Table.Th>{t('storage.size')}</Table.Th>
                      <Table.Th>{t('storage.quota')}</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {d.users.length === 0 && (
                      <Table.Tr>
                        <Table.Td colSpan={3}>{t('common.none')}</Table.Td>
                      </Table.Tr>
                    )}
                    {d.users.map((u) => (
                      <Table.Tr key={u.user_id}>
                        <Table.Td>
                          {u.display_name}
                        </Table.Td>
                        <Table.Td>{formatBytes(u.used_bytes, lang)}</Table.Td>
                        <Table.Td>
                          {u.quota_bytes ? formatBytes(u.quota_bytes, lang) : t('common.unlimited')}{' '}
                          {s.can('documents.manage') && (
                            <Button size="compact-xs" variant="subtle" onClick={() => setEditing(u)}>
                              {t('storage.change')}
                            </Button>
                          )}
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </Stack>
          </SimpleGrid>
        </Stack>
      )}
      {s.can('files.manage') && <ChatFiles />}
      <QuotaDialog key={editing?.user_id ?? 'none'} person={editing} onClose={() => setEditing(null)} />
    </Page>
  );
}
