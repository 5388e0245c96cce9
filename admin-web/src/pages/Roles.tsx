import { Anchor, Badge, Button, Checkbox, Group, Modal, Stack, Table, Text, TextInput, Textarea, Tooltip } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useMemo, useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call, idem, type Schemas } from '../api/client';
import { useSession } from '../auth/session';
import { Confirm } from '../components/Confirm';
import { QueryTable, usePaged } from '../components/DataTable';
import { Loading } from '../components/Loading';
import { Page } from '../components/Page';
import { ProblemAlert } from '../components/ProblemAlert';
import { serverText } from '../serverText';
import { StatusBadge } from './people/People';

/** Permissions grouped by feature, in catalogue order. */
export function groupByFeature(perms: Schemas['Permission'][]): [string, Schemas['Permission'][]][] {
  const m = new Map<string, Schemas['Permission'][]>();
  for (const p of perms) {
    const g = m.get(p.feature) ?? [];
    g.push(p);
    m.set(p.feature, g);
  }
  return [...m.entries()];
}

/** The draft: role id → its permission set, for roles the admin has touched. */
type Draft = Record<string, Set<string>>;

function NewRole({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const m = useMutation({
    mutationFn: () => call(api.POST('/roles', { body: { name: name.trim(), description, permissions: [] }, headers: idem() })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['roles'] });
      setName('');
      setDescription('');
      onClose();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate();
  };
  return (
    <Modal opened={opened} onClose={onClose} title={t('roles.new')}>
      <form onSubmit={submit}>
        <Stack>
          <TextInput label={t('roles.name')} required value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
          <Textarea label={t('roles.description')} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
          <Text size="xs" c="dimmed">
            {t('roles.newHint')}
          </Text>
          <ProblemAlert error={m.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={m.isPending}>
              {t('roles.create')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** Who holds a role: its holders, paged, each linked to their page. */
function Holders({ role, onClose }: { role: Schemas['Role']; onClose: () => void }) {
  const { t } = useTranslation();
  const { query, pages } = usePaged(['users', 'holders', role.id], (cursor) =>
    call(api.GET('/users', { params: { query: { role_id: role.id, cursor, limit: 50 } } })),
  );
  return (
    <Modal opened onClose={onClose} title={t('roles.holdersOf', { name: role.name })} size="lg">
      <QueryTable
        query={query}
        pages={pages}
        label={t('roles.holdersOf', { name: role.name })}
        minWidth={420}
        rowKey={(u) => u.id}
        columns={[
          {
            key: 'name',
            header: t('people.name'),
            render: (u) => (
              <Anchor component={Link} to={`/people/${u.id}`} size="sm">
                {u.display_name}
              </Anchor>
            ),
          },
          { key: 'email', header: t('people.email'), render: (u) => u.email ?? u.phone ?? '—' },
          { key: 'status', header: t('people.status'), render: (u) => <StatusBadge status={u.status} /> },
        ]}
      />
    </Modal>
  );
}

export function Roles() {
  const { t } = useTranslation();
  const s = useSession();
  const qc = useQueryClient();
  const canManage = s.can('roles.manage');
  const perms = useQuery({ queryKey: ['permissions'], queryFn: () => call(api.GET('/permissions')) });
  const roles = useQuery({ queryKey: ['roles'], queryFn: () => call(api.GET('/roles')) });
  const [draft, setDraft] = useState<Draft>({});
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Schemas['Role'] | null>(null);
  const [holders, setHolders] = useState<Schemas['Role'] | null>(null);
  const groups = useMemo(() => groupByFeature(perms.data ?? []), [perms.data]);

  const has = (r: Schemas['Role'], key: string) => (draft[r.id] ? draft[r.id].has(key) : r.permissions.includes(key));
  const toggle = (r: Schemas['Role'], key: string, on: boolean) =>
    setDraft((d) => {
      const cur = new Set(d[r.id] ?? r.permissions);
      if (on) cur.add(key);
      else cur.delete(key);
      return { ...d, [r.id]: cur };
    });

  const save = useMutation({
    mutationFn: async (r: Schemas['Role']) =>
      call(
        api.PATCH('/roles/{id}', {
          params: { path: { id: r.id } },
          body: { permissions: [...(draft[r.id] ?? r.permissions)].sort() },
          headers: idem(),
        }),
      ),
    onSuccess: (r) => {
      setDraft((d) => {
        const n = { ...d };
        delete n[r.id];
        return n;
      });
      void qc.invalidateQueries({ queryKey: ['roles'] });
      void qc.invalidateQueries({ queryKey: ['me'] });
      notifications.show({ message: t('roles.saved', { name: r.name }), color: 'green' });
    },
  });
  const del = useMutation({
    mutationFn: (r: Schemas['Role']) => call(api.DELETE('/roles/{id}', { params: { path: { id: r.id } }, headers: idem() })),
    onSuccess: () => {
      setDeleting(null);
      void qc.invalidateQueries({ queryKey: ['roles'] });
    },
  });

  const list = roles.data ?? [];
  return (
    <Page
      title={t('roles.title')}
      actions={canManage && <Button onClick={() => setCreating(true)}>{t('roles.new')}</Button>}
    >
      <Text size="sm" c="dimmed">
        {t('roles.intro')}
      </Text>
      {(perms.isLoading || roles.isLoading) && <Loading />}
      <ProblemAlert error={perms.error ?? roles.error} />
      <ProblemAlert error={save.error} />
      {perms.data && roles.data && (
        <Table.ScrollContainer minWidth={320 + list.length * 120}>
          <Table withTableBorder withColumnBorders stickyHeader aria-label={t('roles.matrix')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('roles.permission')}</Table.Th>
                {list.map((r) => (
                  <Table.Th key={r.id} style={{ textAlign: 'center', minWidth: 110 }}>
                    <Stack gap={2} align="center">
                      <Text fw={600} size="sm">
                        {r.name}
                      </Text>
                      {s.can('users.read') && r.members > 0 ? (
                        <Button
                          size="compact-xs"
                          variant="subtle"
                          onClick={() => setHolders(r)}
                          data-testid={`holders-${r.name}`}
                          aria-label={t('roles.holdersOf', { name: r.name })}
                        >
                          {t('roles.holders', { count: r.members })}
                        </Button>
                      ) : (
                        <Text size="xs" c="dimmed" data-testid={`holders-${r.name}`}>
                          {t('roles.holders', { count: r.members })}
                        </Text>
                      )}
                      {r.builtin && <Badge size="xs" variant="outline">{t('roles.builtin')}</Badge>}
                    </Stack>
                  </Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {groups.map(([feature, ps]) => (
                <Fragment key={feature}>
                  <Table.Tr>
                    <Table.Th colSpan={list.length + 1} scope="colgroup" bg="var(--mantine-color-gray-1)">
                      {serverText(t, 'feature', feature)}
                    </Table.Th>
                  </Table.Tr>
                  {ps.map((p) => (
                    <Table.Tr key={p.key}>
                      <Table.Td>
                        <Tooltip label={p.description} multiline w={300}>
                          <Text size="sm" component="span">
                            <code>{p.key}</code>
                          </Text>
                        </Tooltip>
                        <Text size="xs" c="dimmed">
                          {p.description}
                        </Text>
                      </Table.Td>
                      {list.map((r) => (
                        <Table.Td key={r.id} style={{ textAlign: 'center' }}>
                          <Checkbox
                            aria-label={`${r.name}: ${p.key}`}
                            checked={has(r, p.key)}
                            disabled={!canManage || r.builtin === 'admin'}
                            onChange={(e) => toggle(r, p.key, e.currentTarget.checked)}
                            style={{ display: 'inline-block' }}
                          />
                        </Table.Td>
                      ))}
                    </Table.Tr>
                  ))}
                </Fragment>
              ))}
            </Table.Tbody>
            {canManage && (
              <Table.Tfoot>
                <Table.Tr>
                  <Table.Td />
                  {list.map((r) => (
                    <Table.Td key={r.id} style={{ textAlign: 'center' }}>
                      <Stack gap={4} align="center">
                        <Button
                          size="xs"
                          disabled={!draft[r.id]}
                          loading={save.isPending && save.variables?.id === r.id}
                          onClick={() => save.mutate(r)}
                        >
                          {t('common.save')}
                        </Button>
                        {!r.builtin && (
                          <Button size="xs" color="red" variant="subtle" onClick={() => setDeleting(r)}>
                            {t('common.delete')}
                          </Button>
                        )}
                      </Stack>
                    </Table.Td>
                  ))}
                </Table.Tr>
              </Table.Tfoot>
            )}
          </Table>
        </Table.ScrollContainer>
      )}
      <NewRole opened={creating} onClose={() => setCreating(false)} />
      {holders && <Holders role={holders} onClose={() => setHolders(null)} />}
      {deleting && (
        <Confirm
          opened
          onClose={() => setDeleting(null)}
          title={t('roles.deleteTitle', { name: deleting.name })}
          confirmLabel={t('common.delete')}
          onConfirm={() => del.mutate(deleting)}
          pending={del.isPending}
          error={del.error}
          consequences={[{ label: t('roles.holdersLosing'), value: deleting.members }]}
        >
          <Text size="sm">{t('roles.deleteIntro', { count: deleting.members })}</Text>
        </Confirm>
      )}
    </Page>
  );
}
