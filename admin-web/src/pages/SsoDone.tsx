import { Button, Center, Paper, Stack, Text, Title } from '@mantine/core';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useNavigate } from 'react-router';
import { api, ApiError, call, type Schemas } from '../api/client';
import { SignIn } from './SignIn';
import { useSession } from '../auth/session';
import { Loading } from '../components/Loading';
import { ProblemAlert } from '../components/ProblemAlert';

/** Where single sign-on returns: `#code=` is exchanged for a session, `#error=` is shown. */
export function SsoDone() {
  const { t } = useTranslation();
  const s = useSession();
  const nav = useNavigate();
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const started = useRef(false);
  const [challenge, setChallenge] = useState<Schemas['SecondFactorChallenge'] | null>(null);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const h = new URLSearchParams(window.location.hash.slice(1));
    window.history.replaceState(null, '', window.location.pathname);
    const code = h.get('code');
    const err = h.get('error');
    if (err || !code) {
      setError(new ApiError(401, { code: err ?? 'missing_code', detail: t('sso.failed', { reason: err ?? '—' }) }));
      return;
    }
    call(api.POST('/auth/browser/sso/exchange', { body: { code, device: 'admin console' } }))
      .then(async (a) => {
        if ('challenge' in a) {
          setChallenge(a);
          return;
        }
        await s.signedIn(a);
        setDone(true);
      })
      .catch(setError);
  }, [s, t]);

  if (done || s.me) return <Navigate to="/" replace />;
  // The tenant asks for a second factor after single sign-on too.
  if (challenge) return <SignIn challenge={challenge} />;
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder p="lg" maw={420} w="100%">
        <Stack>
          <Title order={1} size="h3">
            {t('sso.title')}
          </Title>
          {error ? (
            <>
              <ProblemAlert error={error} />
              <Button onClick={() => nav('/')}>{t('signIn.back')}</Button>
            </>
          ) : (
            <>
              <Text size="sm">{t('sso.working')}</Text>
              <Loading />
            </>
          )}
        </Stack>
      </Paper>
    </Center>
  );
}
