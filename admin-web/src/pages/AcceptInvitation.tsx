import { Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, ApiError, call } from '../api/client';
import { useSession } from '../auth/session';
import { ProblemAlert } from '../components/ProblemAlert';

/** Takes the token out of an invitation link (`…#token=…`), or the token itself. */
export function tokenFrom(input: string): string {
  const s = input.trim();
  const m = /[#?&]token=([^&#\s]+)/.exec(s);
  return m ? decodeURIComponent(m[1]) : s;
}

/** Accepting an invitation: choose a password, then the session starts (or a second factor). */
export function AcceptInvitation() {
  const { t } = useTranslation();
  const s = useSession();
  const nav = useNavigate();
  const [token, setToken] = useState(() => tokenFrom(window.location.hash));
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (password !== again) {
      setError(new ApiError(422, { detail: t('invitation.mismatch'), field: 'password' }));
      return;
    }
    setBusy(true);
    setError(null);
    call(api.POST('/auth/invitations/accept', { body: { token: tokenFrom(token), password, device: 'admin console' } }))
      .then(async (a) => {
        if ('challenge' in a) {
          // The tenant requires a second factor: set it up through the sign-in page.
          setError(new ApiError(202, { detail: t('invitation.secondFactor') }));
          return;
        }
        await s.signedIn(a);
        window.history.replaceState(null, '', window.location.pathname);
        nav('/', { replace: true });
      })
      .catch(setError)
      .finally(() => setBusy(false));
  };

  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder p="lg" maw={420} w="100%">
        <form onSubmit={submit}>
          <Stack>
            <Title order={1} size="h3">
              {t('invitation.title')}
            </Title>
            <Text size="sm">{t('invitation.intro')}</Text>
            <ProblemAlert error={error} />
            <TextInput
              label={t('invitation.token')}
              required
              value={token}
              onChange={(e) => setToken(e.currentTarget.value)}
            />
            <PasswordInput
              label={t('invitation.password')}
              description={t('invitation.passwordHint')}
              required
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              autoComplete="new-password"
            />
            <PasswordInput
              label={t('invitation.again')}
              required
              value={again}
              onChange={(e) => setAgain(e.currentTarget.value)}
              autoComplete="new-password"
            />
            <Button type="submit" loading={busy}>
              {t('invitation.submit')}
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
