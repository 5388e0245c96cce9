import { Badge, Button, Group, Modal, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { Confirm } from '../../components/Confirm';
import { DataTable } from '../../components/DataTable';
import { DateTime } from '../../components/DateTime';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { PersonName } from '../people/PersonName';
import { PersonPicker } from '../people/PersonPicker';
import { ScopeMultiSelect, useScopeNames } from './scope';

function NewHold({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [reason, setReason] = useState('');
  const [people, setPeople] = useState<string[]>([]);
  const [rooms, setRooms] = useState<string[]>([]);
  const [spaces, setSpaces] = useState<string[]>([]);
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const m = useMutation({
    mutationFn: () =>
      call(
        api.POST('/retention/holds', {
          body: {
            name: name.trim(),
            reason,
            people,
            rooms,
            spaces,
            from: from ? new Date(from).toISOString() : null,
            until: until ? new Date(until).toISOString() : null,
          },
          headers: idem(),
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['retention'] });
      onClose();
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate();
  };
  return (
    <Modal opened={opened} onClose={onClose} title={t('retention.newHold')} size="lg">
      <form onSubmit={submit}>
        <Stack>
          <TextInput label={t('retention.holdName')} required value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
          <Textarea label={t('retention.reason')} required value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
          <PersonPicker
            label={t('retention.addPerson')}
            value={null}
            onChange={(v) => v && !people.includes(v) && setPeople([...people, v])}
          />
          {people.length > 0 && (
            <Group gap="xs">
              {people.map((p) => (
                <Badge key={p} variant="light" rightSection={<button type="button" aria-label={t('common.delete')} onClick={() => setPeople(people.filter((x) => x !== p))} style={{ border: 0, background: 'none', cursor: 'pointer' }}>×</button>}>
                  <PersonName id={p} />
                </Badge>
              ))}
            </Group>
          )}
          <ScopeMultiSelect kind="room" label={t('scopePick.rooms')} value={rooms} onChange={setRooms} />
          <ScopeMultiSelect kind="space" label={t('scopePick.spaces')} value={spaces} onChange={setSpaces} />
          <Group grow wrap="wrap">
            <TextInput type="datetime-local" label={t('retention.from')} value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
            <TextInput type="datetime-local" label={t('retention.until')} value={until} onChange={(e) => setUntil(e.currentTarget.value)} />
          </Group>
          <ProblemAlert error={m.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              {t('common.cancel')}
            </Button>
            <Button type="submit" loading={m.isPending}>
              {t('retention.place')}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** The people, rooms and spaces a hold covers, by name. */
function HoldScope({ hold, name }: { hold: Schemas['LegalHold']; name: ReturnType<typeof useScopeNames> }) {
  const { t } = useTranslation();
  return (
    <Stack gap={2}>
      <Text size="xs">{t('retention.scopeCounts', { p: hold.people.length, r: hold.rooms.length, s: hold.spaces.length })}</Text>
      {hold.people.length > 0 && (
        <Group gap={4}>
          {hold.people.map((p) => (
            <PersonName key={p} id={p} />
          ))}
        </Group>
      )}
      {hold.rooms.map((id) => (
        <Text size="xs" key={`r:${id}`} title={id}>
          {name('room', id) ?? `${t('retention.room')} ${id}`}
        </Text>
      ))}
      {hold.spaces.map((id) => (
        <Text size="xs" key={`s:${id}`} title={id}>
          {name('space', id) ?? `${t('retention.space')} ${id}`}
        </Text>
      ))}
    </Stack>
  );
}

function ProtectsList({ hold }: { hold: Schemas['LegalHold'] }) {
  return hold.protects.map((p) => (
    <Text size="xs" key={p.class}>
      <code>{p.class}</code>: {p.items}
    </Text>
  ));
}

export function Holds() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['retention', 'holds'], queryFn: () => call(api.GET('/retention/holds')) });
  const names = useScopeNames(
    (list.data?.items ?? []).flatMap((h) => [
      ...h.rooms.map((id) => ({ kind: 'room' as const, id })),
      ...h.spaces.map((id) => ({ kind: 'space' as const, id })),
    ]),
  );
  const [creating, setCreating] = useState(false);
  const [releasing, setReleasing] = useState<Schemas['LegalHold'] | null>(null);
  const release = useMutation({
    mutationFn: (h: Schemas['LegalHold']) =>
      call(api.POST('/retention/holds/{id}/release', { params: { path: { id: h.id } }, headers: idem() })),
    onSuccess: () => {
      setReleasing(null);
      void qc.invalidateQueries({ queryKey: ['retention'] });
    },
  });
  return (
    <Stack>
      <Group justify="flex-end">
        <Button onClick={() => setCreating(true)}>{t('retention.newHold')}</Button>
      </Group>
      {list.isLoading && <Loading />}
      <ProblemAlert error={list.error} />
      {list.data && (
        <DataTable
          rows={list.data.items}
          minWidth={700}
          label={t('retention.holds')}
          rowKey={(h) => h.id}
          columns={[
            {
              key: 'name',
              header: t('retention.holdName'),
              render: (h) => (
                <>
                  <Text size="sm" fw={500}>
                    {h.name}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {h.reason}
                  </Text>
                </>
              ),
            },
            {
              key: 'scope',
              header: t('retention.scope'),
              render: (h) => <HoldScope hold={h} name={names} />,
            },
            { key: 'protects', header: t('retention.protects'), render: (h) => <ProtectsList hold={h} /> },
            { key: 'placed', header: t('retention.placed'), render: (h) => <DateTime value={h.created_at} /> },
            {
              key: 'actions',
              header: '',
              render: (h) =>
                h.active ? (
                  <Button size="compact-xs" color="red" variant="light" onClick={() => setReleasing(h)}>
                    {t('retention.release')}
                  </Button>
                ) : (
                  <Badge variant="light" color="gray">
                    {t('retention.released')}
                  </Badge>
                ),
            },
          ]}
        />
      )}
      <NewHold opened={creating} onClose={() => setCreating(false)} />
      {releasing && (
        <Confirm
          opened
          onClose={() => setReleasing(null)}
          title={t('retention.releaseTitle', { name: releasing.name })}
          confirmLabel={t('retention.release')}
          onConfirm={() => release.mutate(releasing)}
          pending={release.isPending}
          error={release.error}
          consequences={releasing.protects.map((p) => ({ label: <code>{p.class}</code>, value: p.items }))}
        >
          <Text size="sm">{t('retention.releaseIntro')}</Text>
        </Confirm>
      )}
    </Stack>
  );
}
