import { Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, ApiError, call, type Schemas } from '../api/client';
import { SignIn } from './SignIn';
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
  const [challenge, setChallenge] = useState<Schemas['SecondFactorChallenge'] | null>(null);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (password !== again) {
      setError(new ApiError(422, { detail: t('invitation.mismatch'), field: 'password' }));
      return;
    }
    setBusy(true);
    setError(null);
    (async () => {
      const a = await call(
        api.POST('/auth/invitations/accept', { body: { token: tokenFrom(token), password, device: 'admin console' } }),
      );
      window.history.replaceState(null, '', window.location.pathname);
      if ('challenge' in a) {
        // The tenant requires a second factor: the password is set; sign in to set it up.
        setChallenge(a);
        return;
      }
      // Accepting answers a bearer session (for apps). The console signs in with the new
      // password instead, into a cookie session, and ends the bearer one at once.
      const bearer = { Authorization: `Bearer ${a.token}` };
      const me = await call(api.GET('/me', { headers: bearer }));
      await call(api.POST('/auth/logout', { headers: bearer })).catch(() => undefined);
      const login = me.user.email ?? me.user.phone ?? '';
      const b = await call(
        api.POST('/auth/browser/login', { body: { tenant: me.tenant.slug, login, password, device: 'admin console' } }),
      );
      if ('challenge' in b) {
        setChallenge(b);
        return;
      }
      await s.signedIn(b);
      nav('/', { replace: true });
    })()
      .catch(setError)
      .finally(() => setBusy(false));
  };

  if (challenge) return <SignIn challenge={challenge} />;
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
