import { Badge, Button, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, call, idem } from '../api/client';
import { useSession } from '../auth/session';
import { DateTime } from '../components/DateTime';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemAlert } from '../components/ProblemAlert';

/** The signed-in admin's own sessions: where they are signed in, ending one or all. */
export function Account() {
  const { t } = useTranslation();
  const s = useSession();
  const qc = useQueryClient();
  const sessions = useQuery({ queryKey: ['me', 'sessions'], queryFn: () => call(api.GET('/me/sessions')) });
  const end = useMutation({
    mutationFn: (id: string) => call(api.DELETE('/me/sessions/{id}', { params: { path: { id } }, headers: idem() })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['me', 'sessions'] }),
  });
  return (
    <Page
      title={t('account.title')}
      actions={
        <Button color="red" variant="light" onClick={() => void s.signOut(true)}>
          {t('account.everywhere')}
        </Button>
      }
    >
      <Text>
        {s.me?.user.display_name} · {s.me?.user.email ?? s.me?.user.phone} · {s.me?.roles.map((r) => r.name).join(', ')}
      </Text>
      <Stack gap="xs">
        <Title order={2} size="h4">
          {t('account.sessions')}
        </Title>
        {sessions.isLoading && <Loading />}
        <ProblemAlert error={sessions.error ?? end.error} />
        {sessions.data && (
          <Table.ScrollContainer minWidth={600}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('account.device')}</Table.Th>
                  <Table.Th>{t('account.address')}</Table.Th>
                  <Table.Th>{t('account.lastSeen')}</Table.Th>
                  <Table.Th>{t('account.expires')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {sessions.data.map((x) => (
                  <Table.Tr key={x.id}>
                    <Table.Td>
                      {x.device}{' '}
                      {x.current && (
                        <Badge size="xs" variant="light">
                          {t('account.this')}
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>{x.ip}</Table.Td>
                    <Table.Td>
                      <DateTime value={x.last_seen_at} />
                    </Table.Td>
                    <Table.Td>
                      <DateTime value={x.expires_at} />
                    </Table.Td>
                    <Table.Td>
                      {!x.current && (
                        <Button size="compact-xs" variant="light" color="red" onClick={() => end.mutate(x.id)}>
                          {t('account.end')}
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </Page>
  );
}
