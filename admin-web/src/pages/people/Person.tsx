import { Alert, Anchor, Button, Card, Checkbox, Group, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, ApiError, call, idem, type Schemas } from '../../api/client';
import { useSession } from '../../auth/session';
import { Confirm } from '../../components/Confirm';
import { DateTime } from '../../components/DateTime';
import { Loading } from '../../components/Loading';
import { Page } from '../../components/Page';
import { ProblemAlert } from '../../components/ProblemAlert';
import { SessionsTable } from '../../components/SessionsTable';
import { CancelDeletion } from './Deletions';
import { DeleteDialog } from './DeleteDialog';
import { ErasureReportModal } from './ErasureReports';
import { InvitationResult } from './InviteDialog';
import { StatusBadge } from './People';
import { PersonExports } from './PersonExports';

function Details({ user }: { user: Schemas['User'] }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const s = useSession();
  const [f, setF] = useState({
    display_name: user.display_name,
    email: user.email ?? '',
    phone: user.phone ?? '',
    title: user.title ?? '',
    department: user.department ?? '',
  });
  useEffect(() => {
    setF({
      display_name: user.display_name,
      email: user.email ?? '',
      phone: user.phone ?? '',
      title: user.title ?? '',
      department: user.department ?? '',
    });
  }, [user]);
  const m = useMutation({
    mutationFn: () =>
      call(
        api.PATCH('/users/{id}', {
          params: { path: { id: user.id } },
          body: {
            display_name: f.display_name.trim(),
            email: f.email.trim() || undefined,
            phone: f.phone.trim() || undefined,
            title: f.title.trim(),
            department: f.department.trim(),
          },
          headers: idem(),
        }),
      ),
    onSuccess: (u) => {
      qc.setQueryData(['users', 'one', user.id], u);
      void qc.invalidateQueries({ queryKey: ['users', 'list'] });
      notifications.show({ message: t('common.saved'), color: 'green' });
    },
  });
  const set = (k: keyof typeof f) => (e: React.ChangeEvent<HTMLInputElement>) => setF({ ...f, [k]: e.currentTarget.value });
  const editable = s.can('users.manage') && user.status !== 'erased';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate();
  };
  return (
    <Card withBorder>
      <form onSubmit={submit}>
        <Stack>
          <Title order={2} size="h4">
            {t('person.details')}
          </Title>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label={t('people.name')} required value={f.display_name} onChange={set('display_name')} readOnly={!editable} />
            <TextInput label={t('people.email')} type="email" value={f.email} onChange={set('email')} readOnly={!editable} />
            <TextInput label={t('people.phone')} value={f.phone} onChange={set('phone')} readOnly={!editable} />
            <TextInput label={t('people.jobTitle')} value={f.title} onChange={set('title')} readOnly={!editable} />
            <TextInput label={t('people.department')} value={f.department} onChange={set('department')} readOnly={!editable} />
          </SimpleGrid>
          <Text size="xs" c="dimmed">
            {t('person.created')} <DateTime value={user.created_at} /> · {t('person.updated')} <DateTime value={user.updated_at} />
          </Text>
          <ProblemAlert error={m.error} />
          {editable && (
            <Group justify="flex-end">
              <Button type="submit" loading={m.isPending}>
                {t('common.save')}
              </Button>
            </Group>
          )}
        </Stack>
      </form>
    </Card>
  );
}

function Roles({ user }: { user: Schemas['User'] }) {
  const { t } = useTranslation();
  const s = useSession();
  const qc = useQueryClient();
  const all = useQuery({ queryKey: ['roles'], queryFn: () => call(api.GET('/roles')), enabled: s.can('roles.read') });
  const held = useQuery({
    queryKey: ['users', 'roles', user.id],
    queryFn: () => call(api.GET('/users/{id}/roles', { params: { path: { id: user.id } } })),
  });
  const [sel, setSel] = useState<string[] | null>(null);
  const current = sel ?? held.data?.map((r) => r.id) ?? [];
  const m = useMutation({
    mutationFn: () =>
      call(api.PUT('/users/{id}/roles', { params: { path: { id: user.id } }, body: { role_ids: current }, headers: idem() })),
    onSuccess: (r) => {
      qc.setQueryData(['users', 'roles', user.id], r);
      void qc.invalidateQueries({ queryKey: ['roles'] });
      void qc.invalidateQueries({ queryKey: ['me'] });
      setSel(null);
      notifications.show({ message: t('common.saved'), color: 'green' });
    },
  });
  const options = all.data ?? held.data ?? [];
  return (
    <Card withBorder>
      <Stack>
        <Title order={2} size="h4">
          {t('people.roles')}
        </Title>
        {held.isLoading && <Loading />}
        <ProblemAlert error={held.error ?? all.error} />
        <Checkbox.Group value={current} onChange={setSel} aria-label={t('people.roles')}>
          <Group>
            {options.map((r) => (
              <Checkbox key={r.id} value={r.id} label={r.name} disabled={!s.can('users.manage')} />
            ))}
          </Group>
        </Checkbox.Group>
        <ProblemAlert error={m.error} />
        {s.can('users.manage') && (
          <Group justify="flex-end">
            <Button onClick={() => m.mutate()} loading={m.isPending} disabled={sel === null}>
              {t('person.saveRoles')}
            </Button>
          </Group>
        )}
      </Stack>
    </Card>
  );
}

function Actions({ user }: { user: Schemas['User'] }) {
  const { t } = useTranslation();
  const s = useSession();
  const qc = useQueryClient();
  const [confirm, setConfirm] = useState<null | 'disable' | 'reset2fa'>(null);
  const [deleting, setDeleting] = useState(false);
  const [report, setReport] = useState<string | null>(null);
  const done = (u?: Schemas['User']) => {
    if (u) qc.setQueryData(['users', 'one', user.id], u);
    void qc.invalidateQueries({ queryKey: ['users'] });
    setConfirm(null);
  };
  const disable = useMutation({
    mutationFn: () => call(api.POST('/users/{id}/disable', { params: { path: { id: user.id } }, headers: idem() })),
    onSuccess: done,
  });
  const enable = useMutation({
    mutationFn: () => call(api.POST('/users/{id}/enable', { params: { path: { id: user.id } }, headers: idem() })),
    onSuccess: done,
  });
  const invite = useMutation({
    mutationFn: () => call(api.POST('/users/{id}/invitation', { params: { path: { id: user.id } }, headers: idem() })),
  });
  const reset = useMutation({
    mutationFn: () => call(api.POST('/users/{id}/two-factor/reset', { params: { path: { id: user.id } }, headers: idem() })),
    onSuccess: () => {
      setConfirm(null);
      notifications.show({ message: t('person.resetDone'), color: 'green' });
    },
  });
  const deletion = useQuery({
    queryKey: ['deletion', user.id],
    enabled: s.can('users.delete'),
    retry: false,
    queryFn: async () => {
      try {
        return await call(api.GET('/users/{id}/deletion', { params: { path: { id: user.id } } }));
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) return null;
        throw e;
      }
    },
  });
  const manage = s.can('users.manage');
  const self = s.me?.user.id === user.id;
  const d = deletion.data;
  return (
    <Card withBorder>
      <Stack>
        <Title order={2} size="h4">
          {t('person.actions')}
        </Title>
        <Group>
          {manage && user.status === 'active' && !self && (
            <Button variant="default" onClick={() => setConfirm('disable')}>
              {t('person.disable')}
            </Button>
          )}
          {manage && user.status === 'disabled' && (
            <Button variant="default" onClick={() => enable.mutate()} loading={enable.isPending}>
              {t('person.enable')}
            </Button>
          )}
          {manage && (user.status === 'invited' || user.status === 'active') && (
            <Button variant="default" onClick={() => invite.mutate()} loading={invite.isPending}>
              {user.status === 'invited' ? t('person.reinvite') : t('person.resetLink')}
            </Button>
          )}
          {manage && user.status === 'active' && (
            <Button variant="default" onClick={() => setConfirm('reset2fa')}>
              {t('person.reset2fa')}
            </Button>
          )}
          {s.can('users.delete') && !self && (user.status === 'active' || user.status === 'disabled' || user.status === 'invited') && (
            <Button color="red" onClick={() => setDeleting(true)}>
              {t('person.delete')}
            </Button>
          )}
        </Group>
        <ProblemAlert error={enable.error ?? invite.error} />
        {invite.data && <InvitationResult link={invite.data} />}
        <ProblemAlert error={deletion.error} />
        {d && (
          <Alert color={d.status === 'pending' ? 'orange' : 'gray'} title={t('person.deletionTitle')} data-testid="deletion-status">
            <Stack gap={4}>
              <Text size="sm">
                {t(`deletion.st.${d.status}`, { defaultValue: d.status })} · {t('deletion.eraseAt')} <DateTime value={d.erase_at} />
              </Text>
              {d.reason && <Text size="sm">{d.reason}</Text>}
              <Group>
                {d.status === 'pending' && <CancelDeletion deletion={d} onDone={() => void deletion.refetch()} />}
                {d.report_id && (
                  <Anchor component="button" onClick={() => setReport(d.report_id!)}>
                    {t('person.openReport')}
                  </Anchor>
                )}
              </Group>
            </Stack>
          </Alert>
        )}
      </Stack>
      <Confirm
        opened={confirm === 'disable'}
        onClose={() => setConfirm(null)}
        title={t('person.disableTitle', { name: user.display_name })}
        confirmLabel={t('person.disable')}
        onConfirm={() => disable.mutate()}
        pending={disable.isPending}
        error={disable.error}
      >
        <Text size="sm">{t('person.disableIntro')}</Text>
      </Confirm>
      <Confirm
        opened={confirm === 'reset2fa'}
        onClose={() => setConfirm(null)}
        title={t('person.reset2fa')}
        confirmLabel={t('person.reset2fa')}
        onConfirm={() => reset.mutate()}
        pending={reset.isPending}
        error={reset.error}
      >
        <Text size="sm">{t('person.reset2faIntro')}</Text>
      </Confirm>
      <DeleteDialog user={user} opened={deleting} onClose={() => setDeleting(false)} />
      <ErasureReportModal id={report} onClose={() => setReport(null)} />
    </Card>
  );
}

/** Where the person is signed in, for someone who manages accounts; ending one signs that app out. */
function Sessions({ user }: { user: Schemas['User'] }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const list = useQuery({
    queryKey: ['users', 'sessions', user.id],
    queryFn: () => call(api.GET('/users/{id}/sessions', { params: { path: { id: user.id } } })),
  });
  const end = useMutation({
    mutationFn: (sid: string) =>
      call(api.DELETE('/users/{id}/sessions/{session_id}', { params: { path: { id: user.id, session_id: sid } }, headers: idem() })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['users', 'sessions', user.id] }),
  });
  return (
    <Card withBorder>
      <Stack>
        <Title order={2} size="h4">
          {t('person.sessions')}
        </Title>
        {list.isLoading && <Loading />}
        <ProblemAlert error={list.error ?? end.error} />
        {list.data && (
          <SessionsTable
            sessions={list.data}
            label={t('person.sessions')}
            onEnd={(x) => end.mutate(x.id)}
            ending={end.isPending ? end.variables : undefined}
          />
        )}
      </Stack>
    </Card>
  );
}

export function Person() {
  const { t } = useTranslation();
  const s = useSession();
  const { id = '' } = useParams();
  const u = useQuery({
    queryKey: ['users', 'one', id],
    queryFn: () => call(api.GET('/users/{id}', { params: { path: { id } } })),
  });
  return (
    <Page
      title={u.data?.display_name ?? t('people.title')}
      actions={
        <Anchor component={Link} to="/people" size="sm">
          {t('person.back')}
        </Anchor>
      }
    >
      {u.isLoading && <Loading />}
      <ProblemAlert error={u.error} />
      {u.data && (
        <>
          <Group>
            <StatusBadge status={u.data.status} />
          </Group>
          <Details user={u.data} />
          <Roles user={u.data} />
          <Actions user={u.data} />
          {s.can('users.manage') && u.data.status !== 'erased' && <Sessions user={u.data} />}
          {s.can('users.manage') && u.data.status !== 'erased' && <PersonExports user={u.data} />}
        </>
      )}
    </Page>
  );
}
