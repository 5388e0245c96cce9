import { MultiSelect, Select, Text } from '@mantine/core';
import { useQueries, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';

// Rooms and spaces picked by name. The API lists no tenant's every room or space for an admin:
// the admin's own rooms (`GET /rooms`), every channel (`GET /rooms/channels`) and the admin's
// own spaces (`GET /spaces`) are what can be listed; anything else is entered by its id, and
// named when `GET /rooms/{id}` or `GET /spaces/{id}` lets the admin read it.

export type ScopeKind = 'room' | 'space';

export interface ScopeItem {
  id: string;
  name: string;
  /** room: `channel`, `group`, `direct`; space: `personal`, `team`, `company`. */
  sub: string;
}

const CHANNEL_PAGES = 10;

async function listRooms(): Promise<ScopeItem[]> {
  const mine = await call(api.GET('/rooms'));
  const out = new Map<string, ScopeItem>();
  for (const r of mine) out.set(r.id, { id: r.id, name: r.name, sub: r.kind });
  let cursor: string | undefined;
  for (let i = 0; i < CHANNEL_PAGES; i++) {
    const page: Schemas['ChannelPage'] = await call(api.GET('/rooms/channels', { params: { query: { cursor, limit: 100 } } }));
    for (const c of page.items) if (!out.has(c.id)) out.set(c.id, { id: c.id, name: c.name, sub: 'channel' });
    cursor = page.next_cursor ?? undefined;
    if (!cursor) break;
  }
  return [...out.values()];
}

async function listSpaces(): Promise<ScopeItem[]> {
  return (await call(api.GET('/spaces'))).map((s) => ({ id: s.id, name: s.name, sub: s.kind }));
}

/** The rooms or spaces the admin can list. */
export function useScopeList(kind: ScopeKind, enabled = true) {
  return useQuery({
    queryKey: ['retention', 'scope', kind],
    queryFn: kind === 'room' ? listRooms : listSpaces,
    enabled,
    staleTime: 60_000,
  });
}

/** An id typed in full: offered as itself when no listed room or space has it. */
export function looksLikeId(s: string): boolean {
  return /^[0-9A-Za-z_-]{8,64}$/.test(s.trim());
}

function useLabel() {
  const { t } = useTranslation();
  return (kind: ScopeKind, item: ScopeItem) => {
    const name = item.name || (item.sub === 'direct' ? t('scopePick.direct') : item.id);
    return `${name} (${t(`scopePick.sub.${kind}.${item.sub}`, { defaultValue: item.sub })})`;
  };
}

/** Options grouped by sub-kind, plus the typed id and the chosen ids the lists lack. */
export function scopeData(
  items: ScopeItem[],
  label: (i: ScopeItem) => string,
  groupOf: (sub: string) => string,
  extraIds: string[],
  idLabel: (id: string) => string,
) {
  const groups = new Map<string, { value: string; label: string }[]>();
  for (const i of items) {
    const g = groupOf(i.sub);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push({ value: i.id, label: label(i) });
  }
  const known = new Set(items.map((i) => i.id));
  const extra = [...new Set(extraIds.map((x) => x.trim()).filter((x) => x && !known.has(x)))].map((id) => ({ value: id, label: idLabel(id) }));
  return [...(extra.length ? [{ group: '#', items: extra }] : []), ...[...groups.entries()].map(([group, items]) => ({ group, items }))];
}

function usePickerData(kind: ScopeKind, search: string, chosen: string[]) {
  const { t } = useTranslation();
  const label = useLabel();
  const list = useScopeList(kind);
  const names = useScopeNames(chosen.map((id) => ({ kind, id })));
  const typed = looksLikeId(search) ? [search.trim()] : [];
  const data = scopeData(
    list.data ?? [],
    (i) => label(kind, i),
    (sub) => t(`scopePick.group.${kind}.${sub}`, { defaultValue: sub }),
    [...chosen, ...typed],
    (id) => {
      const n = names(kind, id);
      return n ? `${n} (${id})` : t('scopePick.byId', { id });
    },
  ).map((g) => (g.group === '#' ? { ...g, group: t('scopePick.byIdGroup') } : g));
  return { data, list };
}

/** One room or space, searched by name (or entered by id). */
export function ScopeSelect({
  kind,
  label,
  value,
  onChange,
  required,
}: {
  kind: ScopeKind;
  label: string;
  value: string | null;
  onChange: (v: string | null) => void;
  required?: boolean;
}) {
  // The hint how to search goes under the form (a description here would unalign the row).
  const { t } = useTranslation();
  const [search, setSearch] = useState('');
  const { data, list } = usePickerData(kind, search, value ? [value] : []);
  return (
    <Select
      label={label}
      required={required}
      searchable
      clearable
      data={data}
      value={value}
      onChange={onChange}
      searchValue={search}
      onSearchChange={setSearch}
      placeholder={t(`scopePick.search.${kind}`)}
      nothingFoundMessage={list.isLoading ? t('common.loading') : t('scopePick.nothing')}
      error={list.error ? (list.error as Error).message : undefined}
      w={{ base: '100%', sm: 320 }}
    />
  );
}

/** Several rooms or spaces, searched by name (or entered by id). */
export function ScopeMultiSelect({
  kind,
  label,
  value,
  onChange,
}: {
  kind: ScopeKind;
  label: string;
  value: string[];
  onChange: (v: string[]) => void;
}) {
  const { t } = useTranslation();
  const [search, setSearch] = useState('');
  const { data, list } = usePickerData(kind, search, value);
  return (
    <MultiSelect
      label={label}
      searchable
      clearable
      data={data}
      value={value}
      onChange={(v) => {
        onChange(v);
        setSearch('');
      }}
      searchValue={search}
      onSearchChange={setSearch}
      placeholder={t(`scopePick.search.${kind}`)}
      nothingFoundMessage={list.isLoading ? t('common.loading') : t('scopePick.nothing')}
      error={list.error ? (list.error as Error).message : undefined}
      description={t('scopePick.hint')}
    />
  );
}

/**
 * Names of rooms and spaces by id: from the lists the admin can read, else from the room or
 * space itself when the admin may read it; `undefined` when neither tells.
 */
export function useScopeNames(refs: { kind: ScopeKind; id: string }[]) {
  const label = useLabel();
  const wantRooms = refs.some((r) => r.kind === 'room');
  const wantSpaces = refs.some((r) => r.kind === 'space');
  const rooms = useScopeList('room', wantRooms);
  const spaces = useScopeList('space', wantSpaces);
  const listed = (kind: ScopeKind, id: string) => (kind === 'room' ? rooms.data : spaces.data)?.find((i) => i.id === id);
  const listsDone = (!wantRooms || !rooms.isLoading) && (!wantSpaces || !spaces.isLoading);
  const unknown = listsDone ? [...new Map(refs.filter((r) => !listed(r.kind, r.id)).map((r) => [`${r.kind}:${r.id}`, r])).values()] : [];
  const one = useQueries({
    queries: unknown.map((r) => ({
      queryKey: ['retention', 'scope', r.kind, 'one', r.id],
      staleTime: 60_000,
      retry: false,
      queryFn: async (): Promise<ScopeItem> => {
        if (r.kind === 'room') {
          const x = await call(api.GET('/rooms/{id}', { params: { path: { id: r.id } } }));
          return { id: x.id, name: x.name, sub: x.kind };
        }
        const x = await call(api.GET('/spaces/{id}', { params: { path: { id: r.id } } }));
        return { id: x.space.id, name: x.space.name, sub: x.space.kind };
      },
    })),
  });
  return (kind: ScopeKind, id: string): string | undefined => {
    const hit = listed(kind, id) ?? one[unknown.findIndex((u) => u.kind === kind && u.id === id)]?.data;
    return hit ? label(kind, hit) : undefined;
  };
}

/** A room or space by name, its id underneath; just the id when the name cannot be read. */
export function ScopeName({ kind, id, name }: { kind: ScopeKind; id: string; name: string | undefined }) {
  const { t } = useTranslation();
  return (
    <>
      <Text size="sm" span fw={500}>
        {name ?? t(`retention.${kind}`)}
      </Text>{' '}
      <Text size="xs" c="dimmed" span>
        <code>{id}</code>
      </Text>
    </>
  );
}
