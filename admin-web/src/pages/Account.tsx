import { Button, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, call, idem } from '../api/client';
import { useSession } from '../auth/session';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemAlert } from '../components/ProblemAlert';
import { SessionsTable } from '../components/SessionsTable';

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
          <SessionsTable
            sessions={sessions.data}
            label={t('account.sessions')}
            onEnd={(x) => end.mutate(x.id)}
            ending={end.isPending ? end.variables : undefined}
          />
        )}
      </Stack>
    </Page>
  );
}
