import {
  Alert,
  Anchor,
  Button,
  Center,
  Code,
  Divider,
  Group,
  Image,
  Paper,
  PasswordInput,
  PinInput,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call, type Schemas } from '../api/client';
import { useSession } from '../auth/session';
import { ProblemAlert } from '../components/ProblemAlert';
import { LanguageSelect } from '../layout/Shell';

const TENANT_KEY = 'stoa.admin.tenant';

type Step =
  | { kind: 'password' }
  | { kind: 'totp'; challenge: string }
  | { kind: 'enrol'; challenge: string; enrolment?: Schemas['Enrolment'] }
  | { kind: 'recovery'; codes: string[]; session: Schemas['BrowserSession'] };

/** What a browser sign-in (password, SSO exchange) may answer. */
export type LoginAnswer = Schemas['BrowserSession'] | Schemas['SecondFactorChallenge'];

export function isChallenge(a: LoginAnswer): a is Schemas['SecondFactorChallenge'] {
  return 'challenge' in a;
}

/**
 * The sign-in page: tenant, password, then the second factor (or setting one up) when the tenant
 * asks for it, and single sign-on when the tenant offers it. `challenge`: a second-factor
 * challenge another way of signing in (single sign-on, an invitation) already got.
 */
export function SignIn({ problem, challenge }: { problem?: unknown; challenge?: Schemas['SecondFactorChallenge'] }) {
  const { t } = useTranslation();
  const s = useSession();
  const [tenant, setTenant] = useState(() => localStorage.getItem(TENANT_KEY) ?? '');
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [recovery, setRecovery] = useState(false);
  const [step, setStep] = useState<Step>({ kind: 'password' });
  const [error, setError] = useState<unknown>(problem ?? null);
  const [busy, setBusy] = useState(false);
  const [debouncedTenant] = useDebouncedValue(tenant.trim(), 300);
  // What the tenant offers (an unknown tenant answers like one that offers passwords only).
  const methods = useQuery({
    queryKey: ['sign-in-methods', debouncedTenant],
    enabled: !!debouncedTenant,
    queryFn: () => call(api.GET('/auth/sign-in/{tenant}', { params: { path: { tenant: debouncedTenant } } })),
    retry: false,
    staleTime: 60_000,
  });
  const started = useRef(false);
  useEffect(() => {
    if (!challenge || started.current) return;
    started.current = true;
    void run(() => answered(challenge));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [challenge]);

  async function run(f: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  async function answered(a: LoginAnswer) {
    if (isChallenge(a)) {
      setCode('');
      if (a.second_factor === 'enrol') {
        const enrolment = await call(api.POST('/auth/login/enrol', { body: { challenge: a.challenge } }));
        setStep({ kind: 'enrol', challenge: a.challenge, enrolment });
      } else setStep({ kind: 'totp', challenge: a.challenge });
    } else {
      await s.signedIn(a);
    }
  }

  const submitPassword = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      localStorage.setItem(TENANT_KEY, tenant.trim());
      const a = await call(
        api.POST('/auth/browser/login', { body: { tenant: tenant.trim(), login: login.trim(), password, device: 'admin console' } }),
      );
      await answered(a as LoginAnswer);
    });
  };

  const submitCode = (e: FormEvent) => {
    e.preventDefault();
    if (step.kind === 'totp') {
      void run(async () => {
        const body = recovery
          ? { challenge: step.challenge, recovery_code: code.trim() }
          : { challenge: step.challenge, code: code.trim() };
        await s.signedIn(await call(api.POST('/auth/browser/login/second-factor', { body })));
      });
    } else if (step.kind === 'enrol') {
      void run(async () => {
        const r = await call(api.POST('/auth/browser/login/enrol/confirm', { body: { challenge: step.challenge, code: code.trim() } }));
        setStep({ kind: 'recovery', codes: r.recovery_codes, session: r.session });
      });
    }
  };

  // Single sign-on navigates the whole page to the provider (never fetch): it comes back to
  // /admin/sso with a one-time code in the fragment.
  const sso = () => {
    if (methods.data?.sso_start) window.location.assign(methods.data.sso_start);
  };

  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="lg" w="100%" maw={420}>
        <Stack>
          <Group justify="space-between">
            <Title order={1} size="h3">
              {t('signIn.title')}
            </Title>
            <LanguageSelect />
          </Group>
          {s.expired && !error && (
            <Alert color="yellow" role="status" data-testid="expired">
              {t('signIn.expired')}
            </Alert>
          )}
          <ProblemAlert error={error} />
          {step.kind === 'password' && (
            <form onSubmit={submitPassword}>
              <Stack>
                <TextInput
                  label={t('signIn.tenant')}
                  name="tenant"
                  required
                  value={tenant}
                  onChange={(e) => setTenant(e.currentTarget.value)}
                  autoComplete="organization"
                />
                <TextInput
                  label={t('signIn.login')}
                  name="login"
                  required
                  value={login}
                  onChange={(e) => setLogin(e.currentTarget.value)}
                  autoComplete="username"
                />
                <PasswordInput
                  label={t('signIn.password')}
                  name="password"
                  required
                  value={password}
                  onChange={(e) => setPassword(e.currentTarget.value)}
                  autoComplete="current-password"
                />
                <Button type="submit" loading={busy}>
                  {t('signIn.submit')}
                </Button>
                {methods.data?.sso && methods.data.tenant === tenant.trim() && (
                  <>
                    <Divider label={t('signIn.or')} labelPosition="center" />
                    <Button variant="default" onClick={sso} disabled={busy}>
                      {t('signIn.sso')}
                    </Button>
                  </>
                )}
              </Stack>
            </form>
          )}
          {(step.kind === 'totp' || step.kind === 'enrol') && (
            <form onSubmit={submitCode}>
              <Stack>
                {step.kind === 'enrol' && step.enrolment && (
                  <>
                    <Text size="sm">{t('signIn.enrolIntro')}</Text>
                    <Image
                      src={`data:image/svg+xml;utf8,${encodeURIComponent(step.enrolment.qr_svg)}`}
                      alt={t('signIn.qrAlt')}
                      w={180}
                      h={180}
                    />
                    <Text size="sm">
                      {t('signIn.secret')} <Code>{step.enrolment.secret}</Code>
                    </Text>
                  </>
                )}
                {step.kind === 'totp' && <Text size="sm">{recovery ? t('signIn.recoveryIntro') : t('signIn.totpIntro')}</Text>}
                {recovery ? (
                  <TextInput
                    label={t('signIn.recoveryCode')}
                    name="recovery_code"
                    value={code}
                    onChange={(e) => setCode(e.currentTarget.value)}
                    autoComplete="one-time-code"
                    data-autofocus
                  />
                ) : (
                  <Stack gap={4}>
                    <Text size="sm" fw={500} id="code-label">
                      {t('signIn.code')}
                    </Text>
                    <PinInput
                      length={6}
                      type="number"
                      oneTimeCode
                      value={code}
                      onChange={setCode}
                      aria-labelledby="code-label"
                      name="code"
                      autoFocus
                      getInputProps={(i) => ({ 'aria-label': t('signIn.digit', { n: i + 1 }) })}
                    />
                  </Stack>
                )}
                <Button type="submit" loading={busy}>
                  {t('signIn.verify')}
                </Button>
                {step.kind === 'totp' && (
                  <Anchor component="button" type="button" size="sm" onClick={() => (setRecovery(!recovery), setCode(''))}>
                    {recovery ? t('signIn.useCode') : t('signIn.useRecovery')}
                  </Anchor>
                )}
                <Anchor component="button" type="button" size="sm" onClick={() => setStep({ kind: 'password' })}>
                  {t('signIn.back')}
                </Anchor>
              </Stack>
            </form>
          )}
          {step.kind === 'recovery' && (
            <Stack>
              <Text size="sm">{t('signIn.recoveryCodesIntro')}</Text>
              <Code block data-testid="recovery-codes">
                {step.codes.join('\n')}
              </Code>
              <Button onClick={() => void s.signedIn(step.session)}>{t('signIn.continue')}</Button>
            </Stack>
          )}
          <Anchor component={Link} to="/operator" size="xs" c="dimmed">
            {t('signIn.operator')}
          </Anchor>
        </Stack>
      </Paper>
    </Center>
  );
}
