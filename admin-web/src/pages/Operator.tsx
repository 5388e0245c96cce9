import { Anchor, Badge, Button, Center, Container, Group, Modal, PasswordInput, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import createClient from 'openapi-fetch';
import { useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { API_BASE, call, idem, type Schemas } from '../api/client';
import type { paths } from '../api/schema';
import { Confirm } from '../components/Confirm';
import { DateTime } from '../components/DateTime';
import { Loading } from '../components/Loading';
import { Pager } from '../components/Pager';
import { ProblemAlert } from '../components/ProblemAlert';
import { useCursor } from '../components/useCursor';
import { LanguageSelect } from '../layout/Shell';
import { InvitationResult } from './people/InviteDialog';

/**
 * The operator credential, in this page's memory only: nothing a script could read from storage,
 * and a reload asks for it again. Kept at module level so that leaving the operator area for the
 * console and coming back (no reload) does not ask again.
 */
let remembered = '';
// Earlier consoles kept it in sessionStorage: drop any such copy.
try {
  sessionStorage.removeItem('stoa.admin.operator');
} catch {
  // storage unavailable: nothing to drop
}

/** A client carrying the install's operator credential. */
function operatorClient(token: string) {
  const c = createClient<paths>({ baseUrl: API_BASE, credentials: 'omit' });
  c.use({
    onRequest({ request }) {
      request.headers.set('Authorization', `Bearer ${token}`);
      return request;
    },
  });
  return c;
}
type OpClient = ReturnType<typeof operatorClient>;

function CreateTenant({ client, opened, onClose }: { client: OpClient; opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [f, setF] = useState({ slug: '', name: '', admin_email: '', admin_name: '' });
  const m = useMutation({
    mutationFn: () =>
      call(
        client.POST('/operator/tenants', {
          body: { slug: f.slug.trim(), name: f.name.trim(), admin_email: f.admin_email.trim(), admin_name: f.admin_name.trim() || null },
          headers: idem(),
        }),
      ),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['operator'] }),
  });
  const set = (k: keyof typeof f) => (e: React.ChangeEvent<HTMLInputElement>) => setF({ ...f, [k]: e.currentTarget.value });
  const close = () => {
    m.reset();
    setF({ slug: '', name: '', admin_email: '', admin_name: '' });
    onClose();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate();
  };
  return (
    <Modal opened={opened} onClose={close} title={t('operator.create')}>
      {m.data ? (
        <Stack>
          <Text size="sm">{t('operator.created', { slug: m.data.tenant.slug })}</Text>
          {m.data.invitation && <InvitationResult link={m.data.invitation} />}
          <Button onClick={close}>{t('common.done')}</Button>
        </Stack>
      ) : (
        <form onSubmit={submit}>
          <Stack>
            <TextInput label={t('operator.slug')} description={t('operator.slugHint')} required value={f.slug} onChange={set('slug')} data-autofocus />
            <TextInput label={t('operator.name')} required value={f.name} onChange={set('name')} />
            <TextInput label={t('operator.adminEmail')} type="email" required value={f.admin_email} onChange={set('admin_email')} />
            <TextInput label={t('operator.adminName')} value={f.admin_name} onChange={set('admin_name')} />
            <ProblemAlert error={m.error} />
            <Group justify="flex-end">
              <Button variant="default" onClick={close}>
                {t('common.cancel')}
              </Button>
              <Button type="submit" loading={m.isPending}>
                {t('operator.create')}
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

function Tenants({ client, onSignOut }: { client: OpClient; onSignOut: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const pages = useCursor();
  const [creating, setCreating] = useState(false);
  const [suspending, setSuspending] = useState<Schemas['TenantSummary'] | null>(null);
  const list = useQuery({
    queryKey: ['operator', 'tenants', pages.cursor],
    queryFn: () => call(client.GET('/operator/tenants', { params: { query: { cursor: pages.cursor } } })),
    placeholderData: keepPreviousData,
    retry: false,
  });
  const act = useMutation({
    mutationFn: ({ id, op }: { id: string; op: 'suspend' | 'resume' }) =>
      op === 'suspend'
        ? call(client.POST('/operator/tenants/{id}/suspend', { params: { path: { id } }, headers: idem() }))
        : call(client.POST('/operator/tenants/{id}/resume', { params: { path: { id } }, headers: idem() })),
    onSuccess: () => {
      setSuspending(null);
      void qc.invalidateQueries({ queryKey: ['operator'] });
    },
  });
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={1} size="h2">
          {t('operator.tenants')}
        </Title>
        <Group>
          <Button onClick={() => setCreating(true)}>{t('operator.create')}</Button>
          <Button variant="default" onClick={onSignOut}>
            {t('operator.forget')}
          </Button>
        </Group>
      </Group>
      {list.isLoading && <Loading />}
      <ProblemAlert error={list.error ?? act.error} />
      {list.data && (
        <>
          <Table.ScrollContainer minWidth={640}>
            <Table striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('operator.slug')}</Table.Th>
                  <Table.Th>{t('operator.name')}</Table.Th>
                  <Table.Th>{t('operator.users')}</Table.Th>
                  <Table.Th>{t('operator.status')}</Table.Th>
                  <Table.Th>{t('operator.createdAt')}</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.map((x) => (
                  <Table.Tr key={x.id}>
                    <Table.Td>
                      <code>{x.slug}</code>
                    </Table.Td>
                    <Table.Td>{x.name}</Table.Td>
                    <Table.Td>{x.users}</Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={x.status === 'active' ? 'green' : 'red'}>
                        {t(`operator.st.${x.status}`, { defaultValue: x.status })}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <DateTime value={x.created_at} />
                    </Table.Td>
                    <Table.Td>
                      {x.status === 'active' ? (
                        <Button size="compact-xs" color="red" variant="light" onClick={() => setSuspending(x)}>
                          {t('operator.suspend')}
                        </Button>
                      ) : (
                        <Button size="compact-xs" variant="light" onClick={() => act.mutate({ id: x.id, op: 'resume' })} loading={act.isPending}>
                          {t('operator.resume')}
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Pager hasPrev={pages.hasPrev} next={list.data.next_cursor} onPrev={pages.prev} onNext={pages.next} />
        </>
      )}
      <CreateTenant client={client} opened={creating} onClose={() => setCreating(false)} />
      {suspending && (
        <Confirm
          opened
          onClose={() => setSuspending(null)}
          title={t('operator.suspendTitle', { slug: suspending.slug })}
          confirmLabel={t('operator.suspend')}
          onConfirm={() => act.mutate({ id: suspending.id, op: 'suspend' })}
          pending={act.isPending}
          error={act.error}
          typeToConfirm={suspending.slug}
        >
          <Text size="sm">{t('operator.suspendIntro', { count: suspending.users })}</Text>
        </Confirm>
      )}
    </Stack>
  );
}

/** The install's operator area: its own credential, apart from any tenant session. */
export function Operator() {
  const { t } = useTranslation();
  const [token, setToken] = useState(() => remembered);
  const [typed, setTyped] = useState('');
  const client = useMemo(() => (token ? operatorClient(token) : null), [token]);
  const keep = (v: string) => {
    remembered = v;
    setToken(v);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    keep(typed.trim());
    setTyped('');
  };
  const forget = () => keep('');
  return (
    <Container size="lg" py="md" component="main">
      <Group justify="space-between" mb="md">
        <Text fw={700}>{t('operator.title')}</Text>
        <Group>
          <LanguageSelect />
          <Anchor component={Link} to="/" size="sm">
            {t('operator.toConsole')}
          </Anchor>
        </Group>
      </Group>
      {client ? (
        <Tenants client={client} onSignOut={forget} />
      ) : (
        <Center>
          <form onSubmit={submit} style={{ width: '100%', maxWidth: 420 }}>
            <Stack>
              <Title order={1} size="h3">
                {t('operator.signIn')}
              </Title>
              <Text size="sm">{t('operator.intro')}</Text>
              <PasswordInput label={t('operator.token')} required value={typed} onChange={(e) => setTyped(e.currentTarget.value)} name="operator_token" />
              <Button type="submit">{t('operator.continue')}</Button>
            </Stack>
          </form>
        </Center>
      )}
    </Container>
  );
}
