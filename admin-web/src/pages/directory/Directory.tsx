import { ActionIcon, Anchor, Badge, Button, Group, Menu, Select, Stack, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconArrowMerge, IconArrowsMove, IconDots, IconPencil, IconPlus, IconSearch } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, call, idem, type Schemas } from '../../api/client';
import { useSession } from '../../auth/session';
import { Confirm } from '../../components/Confirm';
import { DataTable, QueryTable, usePaged } from '../../components/DataTable';
import { FormModal } from '../../components/FormModal';
import { Loading } from '../../components/Loading';
import { Page } from '../../components/Page';
import { PageTabs } from '../../components/PageTabs';
import { ProblemAlert } from '../../components/ProblemAlert';
import { PersonPicker } from '../people/PersonPicker';
import { DirectorySettings, EditDepartment, ImportExport, MergeDepartment, MoveDepartment } from './DirectoryAdmin';

type Node = Schemas['ChartNode'];

/** The department tree (pre-order, with depths) as options: "Sales › North". */
export function departmentOptions(nodes: Node[]): { value: string; label: string }[] {
  const path: string[] = [];
  return nodes.map((n) => {
    path.length = n.depth;
    path.push(n.name);
    return { value: n.id, label: path.join(' › ') };
  });
}

function useChart() {
  return useQuery({ queryKey: ['directory', 'chart'], queryFn: () => call(api.GET('/directory/chart')) });
}

function NewDepartment({ opened, onClose, nodes }: { opened: boolean; onClose: () => void; nodes: Node[] }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [parent, setParent] = useState<string | null>(null);
  const [head, setHead] = useState<string | null>(null);
  const m = useMutation({
    mutationFn: () =>
      call(
        api.POST('/directory/departments', {
          body: { name: name.trim(), parent_id: parent ?? undefined, head_id: head ?? undefined },
          headers: idem(),
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['directory'] });
      setName('');
      setParent(null);
      setHead(null);
      onClose();
    },
  });
  return (
    <FormModal
      opened={opened}
      onClose={onClose}
      title={t('directory.newDepartment')}
      submitLabel={t('directory.create')}
      onSubmit={() => m.mutate()}
      pending={m.isPending}
      error={m.error}
      disabled={!name.trim()}
    >
      <TextInput label={t('directory.name')} required value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
      <Select
        label={t('directory.parent')}
        placeholder={t('directory.topLevel')}
        data={departmentOptions(nodes)}
        value={parent}
        onChange={setParent}
        searchable
        clearable
      />
      <PersonPicker label={t('directory.head')} value={head} onChange={setHead} />
    </FormModal>
  );
}

function Departments() {
  const { t } = useTranslation();
  const s = useSession();
  const qc = useQueryClient();
  const chart = useChart();
  const [creating, setCreating] = useState(false);
  const [removing, setRemoving] = useState<Node | null>(null);
  const [acting, setActing] = useState<{ node: Node; action: 'edit' | 'move' | 'merge' } | null>(null);
  const del = useMutation({
    mutationFn: (n: Node) => call(api.DELETE('/directory/departments/{id}', { params: { path: { id: n.id } }, headers: idem() })),
    onSuccess: () => {
      setRemoving(null);
      void qc.invalidateQueries({ queryKey: ['directory'] });
    },
  });
  const manage = s.can('directory.manage');
  return (
    <Stack>
      {manage && (
        <Group justify="flex-end">
          <Button leftSection={<IconPlus size={16} />} onClick={() => setCreating(true)}>
            {t('directory.newDepartment')}
          </Button>
        </Group>
      )}
      {chart.isLoading && <Loading />}
      <ProblemAlert error={chart.error} />
      {chart.data && (
        <DataTable
          rows={chart.data.nodes}
          rowKey={(n) => n.id}
          label={t('directory.departments')}
          columns={[
            {
              key: 'name',
              header: t('directory.name'),
              render: (n) => (
                <Text size="sm" fw={n.depth === 0 ? 600 : 400} pl={n.depth * 20} data-testid={`dept-${n.name}`}>
                  {n.depth > 0 && '└ '}
                  {n.name}
                </Text>
              ),
            },
            { key: 'head', header: t('directory.head'), render: (n) => n.head?.display_name ?? '—' },
            {
              key: 'members',
              header: t('directory.members'),
              render: (n) => t('directory.memberCounts', { direct: n.member_count, total: n.total_member_count }),
            },
            {
              key: 'actions',
              header: '',
              render: (n) =>
                manage && (
                  <Group gap={4} wrap="nowrap" justify="flex-end">
                    <Menu position="bottom-end" withinPortal>
                      <Menu.Target>
                        <ActionIcon variant="subtle" aria-label={t('dirAdmin.actionsFor', { name: n.name })}>
                          <IconDots size={16} />
                        </ActionIcon>
                      </Menu.Target>
                      <Menu.Dropdown>
                        <Menu.Item leftSection={<IconPencil size={14} />} onClick={() => setActing({ node: n, action: 'edit' })}>
                          {t('dirAdmin.edit')}
                        </Menu.Item>
                        <Menu.Item leftSection={<IconArrowsMove size={14} />} onClick={() => setActing({ node: n, action: 'move' })}>
                          {t('dirAdmin.move')}
                        </Menu.Item>
                        <Menu.Item leftSection={<IconArrowMerge size={14} />} onClick={() => setActing({ node: n, action: 'merge' })}>
                          {t('dirAdmin.merge')}
                        </Menu.Item>
                      </Menu.Dropdown>
                    </Menu>
                    <Button size="compact-xs" variant="subtle" color="red" onClick={() => setRemoving(n)} aria-label={t('directory.deleteNamed', { name: n.name })}>
                      {t('common.delete')}
                    </Button>
                  </Group>
                ),
            },
          ]}
        />
      )}
      <NewDepartment opened={creating} onClose={() => setCreating(false)} nodes={chart.data?.nodes ?? []} />
      {acting?.action === 'edit' && <EditDepartment node={acting.node} onClose={() => setActing(null)} />}
      {acting?.action === 'move' && <MoveDepartment node={acting.node} nodes={chart.data?.nodes ?? []} onClose={() => setActing(null)} />}
      {acting?.action === 'merge' && <MergeDepartment node={acting.node} nodes={chart.data?.nodes ?? []} onClose={() => setActing(null)} />}
      {removing && (
        <Confirm
          opened
          onClose={() => setRemoving(null)}
          title={t('directory.deleteTitle', { name: removing.name })}
          confirmLabel={t('common.delete')}
          onConfirm={() => del.mutate(removing)}
          pending={del.isPending}
          error={del.error}
          consequences={[
            { label: t('directory.members'), value: removing.total_member_count },
            { label: t('directory.subDepartments'), value: removing.descendant_count },
          ]}
        >
          <Text size="sm">{t('directory.deleteIntro')}</Text>
        </Confirm>
      )}
    </Stack>
  );
}

function Placement({ person, onClose }: { person: Schemas['DirectoryPerson']; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const chart = useChart();
  const positions = useQuery({
    queryKey: ['directory', 'positions', 'all'],
    queryFn: () => call(api.GET('/directory/positions', { params: { query: { limit: 200 } } })),
  });
  const primary0 = person.departments.find((d) => d.primary)?.id ?? null;
  const [primary, setPrimary] = useState<string | null>(primary0);
  const [position, setPosition] = useState<string | null>(person.position?.id ?? null);
  const [manager, setManager] = useState<string | null>(person.manager?.id ?? null);
  const [email, setEmail] = useState(person.email ?? '');
  const [phone, setPhone] = useState(person.phone ?? '');
  const m = useMutation({
    mutationFn: () =>
      call(
        api.PUT('/directory/people/{id}', {
          params: { path: { id: person.id } },
          body: {
            primary_department_id: primary ?? undefined,
            department_ids: person.departments.filter((d) => !d.primary && d.id !== primary).map((d) => d.id),
            position_id: position ?? undefined,
            manager_id: manager ?? undefined,
            work_email: email.trim() || undefined,
            work_phone: phone.trim() || undefined,
          },
          headers: idem(),
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['directory'] });
      onClose();
    },
  });
  return (
    <FormModal
      opened
      onClose={onClose}
      title={t('directory.placementTitle', { name: person.display_name })}
      submitLabel={t('common.save')}
      onSubmit={() => m.mutate()}
      pending={m.isPending}
      error={m.error ?? chart.error ?? positions.error}
    >
      <Select
        label={t('directory.primaryDepartment')}
        data={departmentOptions(chart.data?.nodes ?? [])}
        value={primary}
        onChange={setPrimary}
        searchable
        clearable
        data-autofocus
      />
      <Select
        label={t('directory.position')}
        data={(positions.data?.items ?? []).map((p) => ({ value: p.id, label: p.name }))}
        value={position}
        onChange={setPosition}
        searchable
        clearable
      />
      <PersonPicker label={t('directory.manager')} value={manager} onChange={setManager} exclude={person.id} />
      <TextInput label={t('directory.workEmail')} type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} />
      <TextInput label={t('directory.workPhone')} type="tel" value={phone} onChange={(e) => setPhone(e.currentTarget.value)} />
    </FormModal>
  );
}

function People() {
  const { t } = useTranslation();
  const s = useSession();
  const chart = useChart();
  const [q, setQ] = useState('');
  const [debounced] = useDebouncedValue(q, 250);
  const [dept, setDept] = useState<string | null>(null);
  const [editing, setEditing] = useState<Schemas['DirectoryPerson'] | null>(null);
  const { query, pages } = usePaged(['directory', 'people', debounced, dept], (cursor) =>
    call(
      api.GET('/directory/people', {
        params: { query: { q: debounced || undefined, department_id: dept ?? undefined, subtree: true, cursor, limit: 50 } },
      }),
    ),
  );
  const manage = s.can('directory.manage');
  return (
    <Stack>
      <Group align="flex-end" wrap="wrap">
        <TextInput
          label={t('directory.search')}
          leftSection={<IconSearch size={16} />}
          type="search"
          value={q}
          onChange={(e) => {
            setQ(e.currentTarget.value);
            pages.reset();
          }}
          w={{ base: '100%', sm: 300 }}
        />
        <Select
          label={t('directory.department')}
          placeholder={t('directory.anyDepartment')}
          data={departmentOptions(chart.data?.nodes ?? [])}
          value={dept}
          onChange={(v) => {
            setDept(v);
            pages.reset();
          }}
          searchable
          clearable
          w={{ base: '100%', sm: 300 }}
        />
      </Group>
      <QueryTable
        query={query}
        pages={pages}
        label={t('directory.people')}
        minWidth={720}
        rowKey={(p) => p.id}
        columns={[
          {
            key: 'name',
            header: t('directory.name'),
            render: (p) =>
              s.can('users.read') ? (
                <Anchor component={Link} to={`/people/${p.id}`} size="sm">
                  {p.display_name}
                </Anchor>
              ) : (
                p.display_name
              ),
          },
          {
            key: 'departments',
            header: t('directory.departments'),
            render: (p) =>
              p.departments.length
                ? p.departments.map((d) => (
                    <Badge key={d.id} variant={d.primary ? 'filled' : 'light'} mr={4}>
                      {d.name}
                    </Badge>
                  ))
                : '—',
          },
          { key: 'position', header: t('directory.position'), render: (p) => p.position?.name ?? '—' },
          { key: 'manager', header: t('directory.manager'), render: (p) => p.manager?.display_name ?? '—' },
          { key: 'contact', header: t('directory.contact'), render: (p) => p.email ?? p.phone ?? '—' },
          {
            key: 'actions',
            header: '',
            render: (p) =>
              manage && (
                <Button size="compact-xs" variant="subtle" onClick={() => setEditing(p)} aria-label={t('directory.placeNamed', { name: p.display_name })}>
                  {t('directory.place')}
                </Button>
              ),
          },
        ]}
      />
      {editing && <Placement person={editing} onClose={() => setEditing(null)} />}
    </Stack>
  );
}

function Positions() {
  const { t } = useTranslation();
  const s = useSession();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [removing, setRemoving] = useState<Schemas['Position'] | null>(null);
  const { query, pages } = usePaged(['directory', 'positions'], (cursor) =>
    call(api.GET('/directory/positions', { params: { query: { cursor, limit: 50 } } })),
  );
  const create = useMutation({
    mutationFn: () => call(api.POST('/directory/positions', { body: { name: name.trim() }, headers: idem() })),
    onSuccess: () => {
      setName('');
      void qc.invalidateQueries({ queryKey: ['directory', 'positions'] });
    },
  });
  const del = useMutation({
    mutationFn: (p: Schemas['Position']) => call(api.DELETE('/directory/positions/{id}', { params: { path: { id: p.id } }, headers: idem() })),
    onSuccess: () => {
      setRemoving(null);
      void qc.invalidateQueries({ queryKey: ['directory'] });
    },
  });
  const manage = s.can('directory.manage');
  return (
    <Stack>
      {manage && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <Group align="flex-end">
            <TextInput label={t('directory.newPosition')} value={name} onChange={(e) => setName(e.currentTarget.value)} w={{ base: '100%', sm: 300 }} />
            <Button type="submit" loading={create.isPending} disabled={!name.trim()}>
              {t('directory.create')}
            </Button>
          </Group>
          <ProblemAlert error={create.error} />
        </form>
      )}
      <QueryTable
        query={query}
        pages={pages}
        label={t('directory.positions')}
        minWidth={400}
        rowKey={(p) => p.id}
        columns={[
          { key: 'name', header: t('directory.name'), render: (p) => p.name },
          {
            key: 'actions',
            header: '',
            render: (p) =>
              manage && (
                <Button size="compact-xs" variant="subtle" color="red" onClick={() => setRemoving(p)} aria-label={t('directory.deleteNamed', { name: p.name })}>
                  {t('common.delete')}
                </Button>
              ),
          },
        ]}
      />
      {removing && (
        <Confirm
          opened
          onClose={() => setRemoving(null)}
          title={t('directory.deleteTitle', { name: removing.name })}
          confirmLabel={t('common.delete')}
          onConfirm={() => del.mutate(removing)}
          pending={del.isPending}
          error={del.error}
        >
          <Text size="sm">{t('directory.deletePositionIntro')}</Text>
        </Confirm>
      )}
    </Stack>
  );
}

export function Directory() {
  const { t } = useTranslation();
  const s = useSession();
  const manage = s.can('directory.manage');
  return (
    <Page title={t('directory.title')}>
      <PageTabs
        tabs={[
          { value: 'departments', label: t('directory.departments'), content: <Departments /> },
          { value: 'people', label: t('directory.people'), content: <People /> },
          { value: 'positions', label: t('directory.positions'), content: <Positions /> },
          ...(manage
            ? [
                { value: 'import', label: t('dirAdmin.importExport'), content: <ImportExport /> },
                { value: 'settings', label: t('dirAdmin.settingsTab'), content: <DirectorySettings /> },
              ]
            : []),
        ]}
      />
    </Page>
  );
}
