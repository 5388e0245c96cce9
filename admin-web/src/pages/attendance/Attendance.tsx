import { ActionIcon, Button, Checkbox, Group, MultiSelect, NumberInput, Select, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { IconDownload, IconPlus, IconTrash } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { useSession } from '../../auth/session';
import { Confirm } from '../../components/Confirm';
import { DataTable } from '../../components/DataTable';
import { DateTime } from '../../components/DateTime';
import { download } from '../../components/download';
import { FormModal } from '../../components/FormModal';
import { Loading } from '../../components/Loading';
import { Page } from '../../components/Page';
import { PageTabs } from '../../components/PageTabs';
import { ProblemAlert } from '../../components/ProblemAlert';
import { adminZone } from '../../format';
import { departmentOptions } from '../directory/Directory';
import { PersonPicker } from '../people/PersonPicker';
import { ExcusedDays } from './Excused';

type Schedule = Schemas['Schedule'];
const WEEKDAYS = [1, 2, 3, 4, 5, 6, 7] as const;

/** `YYYY-MM` of the month before `now` (the usual month to export). */
export function lastMonth(now = new Date()): string {
  const d = new Date(now.getFullYear(), now.getMonth() - 1, 1);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
}

function useDepartments() {
  const s = useSession();
  return useQuery({
    queryKey: ['directory', 'chart'],
    enabled: s.can('directory.read'),
    queryFn: () => call(api.GET('/directory/chart')),
  });
}

function Rules() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const view = useQuery({ queryKey: ['attendance', 'settings'], queryFn: () => call(api.GET('/attendance/settings')) });
  const [draft, setDraft] = useState<Schemas['Settings'] | null>(null);
  useEffect(() => {
    if (view.data && !draft)
      setDraft({
        geofence_required: view.data.geofence_required,
        network_required: view.data.network_required,
        geofences: view.data.geofences.map(({ name, latitude, longitude, radius_m }) => ({ name, latitude, longitude, radius_m })),
        networks: view.data.networks.map(({ cidr, label }) => ({ cidr, label })),
      });
  }, [view.data, draft]);
  const save = useMutation({
    mutationFn: (body: Schemas['Settings']) => call(api.PUT('/attendance/settings', { body, headers: idem() })),
    onSuccess: (v) => {
      qc.setQueryData(['attendance', 'settings'], v);
    },
  });
  if (view.isLoading) return <Loading />;
  if (view.error || !draft) return <ProblemAlert error={view.error} />;
  const num = (v: string | number) => (typeof v === 'number' ? v : Number(v) || 0);
  const setFence = (i: number, patch: Partial<Schemas['Geofence']>) =>
    setDraft({ ...draft, geofences: draft.geofences.map((g, j) => (j === i ? { ...g, ...patch } : g)) });
  const setNet = (i: number, patch: Partial<Schemas['Network']>) =>
    setDraft({ ...draft, networks: draft.networks.map((n, j) => (j === i ? { ...n, ...patch } : n)) });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(draft);
      }}
    >
      <Stack>
        <Switch
          label={t('attendance.geofenceRequired')}
          checked={draft.geofence_required}
          onChange={(e) => setDraft({ ...draft, geofence_required: e.currentTarget.checked })}
        />
        <Switch
          label={t('attendance.networkRequired')}
          checked={draft.network_required}
          onChange={(e) => setDraft({ ...draft, network_required: e.currentTarget.checked })}
        />
        <Title order={2} size="h4">
          {t('attendance.geofences')}
        </Title>
        {draft.geofences.map((g, i) => (
          <Group key={i} align="flex-end" wrap="wrap">
            <TextInput label={t('attendance.fenceName')} value={g.name} onChange={(e) => setFence(i, { name: e.currentTarget.value })} w={200} />
            <NumberInput label={t('attendance.latitude')} value={g.latitude} decimalScale={6} min={-90} max={90} onChange={(v) => setFence(i, { latitude: num(v) })} w={140} />
            <NumberInput label={t('attendance.longitude')} value={g.longitude} decimalScale={6} min={-180} max={180} onChange={(v) => setFence(i, { longitude: num(v) })} w={140} />
            <NumberInput label={t('attendance.radius')} value={g.radius_m} min={1} onChange={(v) => setFence(i, { radius_m: num(v) })} w={120} />
            <ActionIcon variant="subtle" color="red" size="lg" aria-label={t('attendance.removeNamed', { name: g.name || i + 1 })} onClick={() => setDraft({ ...draft, geofences: draft.geofences.filter((_, j) => j !== i) })}>
              <IconTrash size={16} />
            </ActionIcon>
          </Group>
        ))}
        <Group>
          <Button variant="default" size="xs" leftSection={<IconPlus size={14} />} onClick={() => setDraft({ ...draft, geofences: [...draft.geofences, { name: '', latitude: 0, longitude: 0, radius_m: 200 }] })}>
            {t('attendance.addGeofence')}
          </Button>
        </Group>
        <Title order={2} size="h4">
          {t('attendance.networks')}
        </Title>
        {draft.networks.map((n, i) => (
          <Group key={i} align="flex-end" wrap="wrap">
            <TextInput label={t('attendance.cidr')} placeholder="203.0.113.0/24" value={n.cidr} onChange={(e) => setNet(i, { cidr: e.currentTarget.value })} w={200} />
            <TextInput label={t('attendance.networkLabel')} value={n.label ?? ''} onChange={(e) => setNet(i, { label: e.currentTarget.value })} w={220} />
            <ActionIcon variant="subtle" color="red" size="lg" aria-label={t('attendance.removeNamed', { name: n.cidr || i + 1 })} onClick={() => setDraft({ ...draft, networks: draft.networks.filter((_, j) => j !== i) })}>
              <IconTrash size={16} />
            </ActionIcon>
          </Group>
        ))}
        <Group>
          <Button variant="default" size="xs" leftSection={<IconPlus size={14} />} onClick={() => setDraft({ ...draft, networks: [...draft.networks, { cidr: '', label: '' }] })}>
            {t('attendance.addNetwork')}
          </Button>
        </Group>
        <ProblemAlert error={save.error} />
        {save.isSuccess && (
          <Text size="sm" c="green" role="status">
            {t('common.saved')}
          </Text>
        )}
        <Group justify="space-between">
          <Text size="xs" c="dimmed">
            {t('attendance.updated')} <DateTime value={view.data?.updated_at} />
          </Text>
          <Button type="submit" loading={save.isPending}>
            {t('common.save')}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

function ScheduleForm({ schedule, onClose }: { schedule: Schedule | 'new'; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const depts = useDepartments();
  const s0 = schedule === 'new' ? null : schedule;
  const [name, setName] = useState(s0?.name ?? '');
  const [zone, setZone] = useState(s0?.zone ?? adminZone());
  const [days, setDays] = useState<string[]>((s0?.days ?? [1, 2, 3, 4, 5]).map(String));
  const [start, setStart] = useState(s0?.start ?? '08:30');
  const [end, setEnd] = useState(s0?.end ?? '17:30');
  const [grace, setGrace] = useState<number>(s0?.grace_minutes ?? 5);
  const [departments, setDepartments] = useState<string[]>(s0?.departments ?? []);
  const m = useMutation({
    mutationFn: () => {
      const body = {
        name: name.trim(),
        zone: zone.trim(),
        days: days.map(Number).sort(),
        start,
        end,
        grace_minutes: grace,
        departments,
        people: s0?.people ?? [],
      };
      return s0
        ? call(api.PUT('/attendance/schedules/{id}', { params: { path: { id: s0.id } }, body, headers: idem() }))
        : call(api.POST('/attendance/schedules', { body, headers: idem() }));
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['attendance', 'schedules'] });
      onClose();
    },
  });
  return (
    <FormModal
      opened
      onClose={onClose}
      title={s0 ? t('attendance.editSchedule', { name: s0.name }) : t('attendance.newSchedule')}
      submitLabel={t('common.save')}
      onSubmit={() => m.mutate()}
      pending={m.isPending}
      error={m.error}
      disabled={!name.trim() || days.length === 0}
    >
      <TextInput label={t('attendance.scheduleName')} required value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
      <TextInput label={t('attendance.zone')} description="Asia/Ho_Chi_Minh" required value={zone} onChange={(e) => setZone(e.currentTarget.value)} />
      <Checkbox.Group label={t('attendance.days')} value={days} onChange={setDays}>
        <Group gap="sm" mt={4}>
          {WEEKDAYS.map((d) => (
            <Checkbox key={d} value={String(d)} label={t(`attendance.wd.${d}`)} />
          ))}
        </Group>
      </Checkbox.Group>
      <Group grow>
        <TextInput type="time" label={t('attendance.start')} required value={start} onChange={(e) => setStart(e.currentTarget.value)} />
        <TextInput type="time" label={t('attendance.end')} required value={end} onChange={(e) => setEnd(e.currentTarget.value)} />
        <NumberInput label={t('attendance.grace')} min={0} max={240} value={grace} onChange={(v) => setGrace(typeof v === 'number' ? v : 0)} />
      </Group>
      <MultiSelect
        label={t('attendance.departments')}
        data={departmentOptions(depts.data?.nodes ?? [])}
        value={departments}
        onChange={setDepartments}
        searchable
      />
    </FormModal>
  );
}

function Schedules() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const depts = useDepartments();
  const list = useQuery({ queryKey: ['attendance', 'schedules'], queryFn: () => call(api.GET('/attendance/schedules')) });
  const [editing, setEditing] = useState<Schedule | 'new' | null>(null);
  const [removing, setRemoving] = useState<Schedule | null>(null);
  const del = useMutation({
    mutationFn: (s: Schedule) => call(api.DELETE('/attendance/schedules/{id}', { params: { path: { id: s.id } }, headers: idem() })),
    onSuccess: () => {
      setRemoving(null);
      void qc.invalidateQueries({ queryKey: ['attendance', 'schedules'] });
    },
  });
  const deptName = new Map((depts.data?.nodes ?? []).map((n) => [n.id, n.name]));
  return (
    <Stack>
      <Group justify="flex-end">
        <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
          {t('attendance.newSchedule')}
        </Button>
      </Group>
      {list.isLoading && <Loading />}
      <ProblemAlert error={list.error} />
      {list.data && (
        <DataTable
          rows={list.data.items}
          rowKey={(s) => s.id}
          label={t('attendance.schedules')}
          minWidth={760}
          columns={[
            { key: 'name', header: t('attendance.scheduleName'), render: (s) => s.name },
            { key: 'hours', header: t('attendance.hours'), render: (s) => `${s.start}–${s.end} (${s.zone})` },
            { key: 'days', header: t('attendance.days'), render: (s) => s.days.map((d) => t(`attendance.wd.${d}`)).join(' ') },
            { key: 'grace', header: t('attendance.grace'), render: (s) => s.grace_minutes },
            {
              key: 'who',
              header: t('attendance.followers'),
              render: (s) =>
                [...s.departments.map((d) => deptName.get(d) ?? d), ...(s.people.length ? [t('attendance.peopleCount', { n: s.people.length })] : [])].join(', ') ||
                '—',
            },
            {
              key: 'actions',
              header: '',
              render: (s) => (
                <Group gap={4} wrap="nowrap">
                  <Button size="compact-xs" variant="subtle" onClick={() => setEditing(s)} aria-label={t('attendance.editSchedule', { name: s.name })}>
                    {t('attendance.edit')}
                  </Button>
                  <Button size="compact-xs" variant="subtle" color="red" onClick={() => setRemoving(s)} aria-label={t('attendance.deleteSchedule', { name: s.name })}>
                    {t('common.delete')}
                  </Button>
                </Group>
              ),
            },
          ]}
        />
      )}
      {editing && <ScheduleForm schedule={editing} onClose={() => setEditing(null)} />}
      {removing && (
        <Confirm
          opened
          onClose={() => setRemoving(null)}
          title={t('attendance.deleteSchedule', { name: removing.name })}
          confirmLabel={t('common.delete')}
          onConfirm={() => del.mutate(removing)}
          pending={del.isPending}
          error={del.error}
          consequences={[
            { label: t('attendance.departments'), value: removing.departments.length },
            { label: t('attendance.people'), value: removing.people.length },
          ]}
        >
          <Text size="sm">{t('attendance.deleteScheduleIntro')}</Text>
        </Confirm>
      )}
    </Stack>
  );
}

function Export() {
  const { t } = useTranslation();
  const depts = useDepartments();
  const [month, setMonth] = useState(lastMonth());
  const [dept, setDept] = useState<string | null>(null);
  const [person, setPerson] = useState<string | null>(null);
  const exp = useMutation({
    mutationFn: () =>
      download(
        api.GET('/attendance/export', {
          params: { query: { month, department_id: dept ?? undefined, user_id: person ?? undefined } },
          parseAs: 'blob',
        }),
        `attendance-${month}.csv`,
      ),
  });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        exp.mutate();
      }}
    >
      <Stack>
        <Text size="sm">{t('attendance.exportIntro')}</Text>
        <Group align="flex-end" wrap="wrap">
          <TextInput type="month" label={t('attendance.month')} required value={month} onChange={(e) => setMonth(e.currentTarget.value)} />
          <Select
            label={t('attendance.department')}
            placeholder={t('attendance.everyone')}
            data={departmentOptions(depts.data?.nodes ?? [])}
            value={dept}
            onChange={setDept}
            searchable
            clearable
            w={260}
          />
          <PersonPicker label={t('attendance.person')} placeholder={t('attendance.everyone')} value={person} onChange={setPerson} />
          <Button type="submit" leftSection={<IconDownload size={16} />} loading={exp.isPending} disabled={!month}>
            {t('attendance.exportCsv')}
          </Button>
        </Group>
        <ProblemAlert error={exp.error} />
        {exp.data && (
          <Text size="sm" role="status" data-testid="export-done">
            {t('attendance.exported', { name: exp.data })}
          </Text>
        )}
      </Stack>
    </form>
  );
}

export function Attendance() {
  const { t } = useTranslation();
  return (
    <Page title={t('attendance.title')}>
      <PageTabs
        tabs={[
          { value: 'schedules', label: t('attendance.schedules'), content: <Schedules /> },
          { value: 'rules', label: t('attendance.rules'), content: <Rules /> },
          { value: 'excused', label: t('attendance.excused'), content: <ExcusedDays /> },
          { value: 'export', label: t('attendance.export'), content: <Export /> },
        ]}
      />
    </Page>
  );
}
