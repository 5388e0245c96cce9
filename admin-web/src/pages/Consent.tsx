import { Button, Center, Group, Paper, ScrollArea, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, call, idem } from '../api/client';
import { useSession } from '../auth/session';
import { DateTime } from '../components/DateTime';
import { Loading } from '../components/Loading';
import { ProblemAlert } from '../components/ProblemAlert';

/** A privacy policy took effect that this person must accept before anything else works. */
export function Consent() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const s = useSession();
  const status = useQuery({ queryKey: ['privacy', 'mine'], queryFn: () => call(api.GET('/privacy/policy')) });
  const accept = useMutation({
    mutationFn: (id: string) => call(api.POST('/privacy/policy/accept', { body: { version_id: id }, headers: idem() })),
    onSuccess: () => {
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== 'me' });
      void qc.resetQueries({ queryKey: ['me'] });
    },
  });
  const cur = status.data?.current;
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder p="lg" maw={720} w="100%">
        <Stack>
          <Title order={1} size="h3">
            {t('consent.title')}
          </Title>
          {status.isLoading && <Loading />}
          <ProblemAlert error={status.error ?? accept.error} />
          {cur && (
            <>
              <Text size="sm">
                {cur.label} · {t('privacy.effective')} <DateTime value={cur.effective_at} />
              </Text>
              <ScrollArea.Autosize mah={400} type="auto">
                <Text size="sm" style={{ whiteSpace: 'pre-wrap' }} data-testid="policy-text">
                  {cur.body}
                </Text>
              </ScrollArea.Autosize>
              <Group justify="flex-end">
                <Button variant="default" onClick={() => void s.signOut()}>
                  {t('nav.signOut')}
                </Button>
                <Button onClick={() => accept.mutate(cur.id)} loading={accept.isPending}>
                  {t('consent.accept')}
                </Button>
              </Group>
            </>
          )}
        </Stack>
      </Paper>
    </Center>
  );
}
