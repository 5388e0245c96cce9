import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { ApiError } from './api/client';
import { SessionProvider, useSession } from './auth/session';
import { Loading } from './components/Loading';
import { Shell } from './layout/Shell';
import { SignIn } from './pages/SignIn';
import { SsoDone } from './pages/SsoDone';
import { Overview } from './pages/Overview';
import { People } from './pages/people/People';
import { Person } from './pages/people/Person';
import { Roles } from './pages/Roles';
import { Retention } from './pages/retention/Retention';
import { Audit } from './pages/Audit';
import { Privacy } from './pages/Privacy';
import { Settings } from './pages/Settings';
import { Storage } from './pages/Storage';
import { Directory } from './pages/directory/Directory';
import { Announcements } from './pages/announcements/Announcements';
import { Attendance } from './pages/attendance/Attendance';
import { ApprovalTemplates } from './pages/approvals/ApprovalTemplates';
import { Operator } from './pages/Operator';
import { MeetingResources } from './pages/meetings/MeetingResources';
import { BulletinModeration } from './pages/bulletin/BulletinModeration';
import { AcceptInvitation } from './pages/AcceptInvitation';
import { Account } from './pages/Account';
import { Consent } from './pages/Consent';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { cssVariablesResolver, makeTheme } from './theme';

export function makeQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // A 4xx will not get better by asking again.
        retry: (n, e) => n < 2 && !(e instanceof ApiError && e.status >= 400 && e.status < 500),
        refetchOnWindowFocus: false,
      },
    },
  });
}

const queryClient = makeQueryClient();

function Protected() {
  const s = useSession();
  if (s.loading) return <Loading />;
  if (!s.me && s.error?.code === 'consent_required') return <Consent />;
  if (!s.me) return <SignIn problem={s.error?.status === 401 ? undefined : s.error} />;
  return (
    <Shell>
      <Routes>
        <Route index element={<Overview />} />
        <Route path="people" element={<People />} />
        <Route path="people/:id" element={<Person />} />
        <Route path="roles" element={<Roles />} />
        <Route path="retention" element={<Retention />} />
        <Route path="audit" element={<Audit />} />
        <Route path="privacy" element={<Privacy />} />
        <Route path="settings" element={<Settings />} />
        <Route path="storage" element={<Storage />} />
        <Route path="directory" element={<Directory />} />
        <Route path="announcements" element={<Announcements />} />
        <Route path="attendance" element={<Attendance />} />
        <Route path="approvals" element={<ApprovalTemplates />} />
        <Route path="meeting-resources" element={<MeetingResources />} />
        <Route path="bulletin" element={<BulletinModeration />} />
        <Route path="account" element={<Account />} />
        <Route path="*" element={<Navigate to="/" replace />} />
      </Routes>
    </Shell>
  );
}

export function App() {
  const { t, i18n } = useTranslation();
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const theme = useMemo(() => makeTheme({ close: t('common.close'), clear: t('common.clear') }), [t, i18n.resolvedLanguage]);
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} defaultColorScheme="light">
      <Notifications position="top-right" />
      <QueryClientProvider client={queryClient}>
        <BrowserRouter basename="/admin">
          <SessionProvider>
            <Routes>
              <Route path="/operator/*" element={<Operator />} />
              <Route path="/sso" element={<SsoDone />} />
              <Route path="/invitation" element={<AcceptInvitation />} />
              <Route path="/*" element={<Protected />} />
            </Routes>
          </SessionProvider>
        </BrowserRouter>
      </QueryClientProvider>
    </MantineProvider>
  );
}
