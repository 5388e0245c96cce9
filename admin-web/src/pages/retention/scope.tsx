import { MultiSelect, Select, Stack, Text, type ComboboxItem, type SelectProps } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useInfiniteQuery, useQueries, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';

// Rooms and spaces picked by name. `GET /retention/containers` lists every group room and
// channel (`kind=room`) or every space (`kind=space`) of the tenant whose name contains the typed
// text, not only the admin's, paged by cursor; a direct conversation is not listed and is
// entered by its id. Lists name a room or space from that listing, else from `GET /rooms/{id}`
// or `GET /spaces/{id}` when the admin may read it.

export type ScopeKind = 'room' | 'space';

export interface ScopeItem {
  id: string;
  name: string;
}

/** Results per page of a search. */
const SEARCH_PAGE = 50;
/** For naming lists: the listing's first pages (of the largest size the API allows). */
const NAME_PAGE = 200;
const NAME_PAGES = 10;

/** The tenant's rooms or spaces whose name contains `q`, a page more each time the list ends. */
export function useContainerSearch(kind: ScopeKind, q: string) {
  return useInfiniteQuery({
    queryKey: ['retention', 'containers', kind, 'search', q],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      call(api.GET('/retention/containers', { params: { query: { kind, q: q || undefined, limit: SEARCH_PAGE, cursor: pageParam } } })),
    getNextPageParam: (last: Schemas['RetentionContainerPage']) => last.next_cursor ?? undefined,
    staleTime: 30_000,
  });
}

/** Every room or space of the tenant by id (the listing's first 2,000), for naming lists. */
function useContainerNames(kind: ScopeKind, enabled: boolean) {
  return useQuery({
    queryKey: ['retention', 'containers', kind, 'names'],
    enabled,
    staleTime: 60_000,
    queryFn: async () => {
      const out = new Map<string, string>();
      let cursor: string | undefined;
      for (let i = 0; i < NAME_PAGES; i++) {
        const page = await call(api.GET('/retention/containers', { params: { query: { kind, limit: NAME_PAGE, cursor } } }));
        for (const c of page.items) out.set(c.id, c.name);
        cursor = page.next_cursor ?? undefined;
        if (!cursor) break;
      }
      return out;
    },
  });
}

/** An id typed in full: offered as itself when no listed room or space has it. */
export function looksLikeId(s: string): boolean {
  return /^[0-9A-Za-z_-]{8,64}$/.test(s.trim());
}

/** A picker's option: the name, and the id to tell two of the same name apart. */
type Option = ComboboxItem & { id?: string };

/**
 * Options: the chosen rooms or spaces the results lack (so their names stay shown), the typed id
 * when no result has it, what the search found, and a last line saying more results follow.
 */
export function scopeData(
  found: ScopeItem[],
  chosen: string[],
  typed: string | null,
  idLabel: (id: string) => string,
  groups: { chosen: string; byId: string; found: string; more: string },
  hasMore: boolean,
): { group: string; items: Option[] }[] {
  const known = new Set(found.map((i) => i.id));
  const kept = [...new Set(chosen.map((x) => x.trim()).filter((x) => x && !known.has(x)))];
  const id = typed?.trim();
  const byId = id && !known.has(id) && !kept.includes(id) ? [{ value: id, label: idLabel(id) }] : [];
  const items: Option[] = found.map((i) => ({ value: i.id, label: i.name || i.id, id: i.id }));
  if (hasMore) items.push({ value: '…more', label: groups.more, disabled: true });
  return [
    ...(kept.length ? [{ group: groups.chosen, items: kept.map((x) => ({ value: x, label: idLabel(x) })) }] : []),
    ...(byId.length ? [{ group: groups.byId, items: byId }] : []),
    ...(items.length ? [{ group: groups.found, items }] : []),
  ];
}

const renderOption: SelectProps['renderOption'] = ({ option }) => {
  const o = option as Option;
  return o.id ? (
    <Stack gap={0}>
      <Text size="sm">{o.label}</Text>
      <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
        {o.id}
      </Text>
    </Stack>
  ) : (
    <Text size="sm" c={o.disabled ? 'dimmed' : undefined}>
      {o.label}
    </Text>
  );
};

function usePickerData(kind: ScopeKind, search: string, chosen: string[]) {
  const { t } = useTranslation();
  const [q] = useDebouncedValue(search.trim(), 250);
  const found = useContainerSearch(kind, q);
  const names = useScopeNames(chosen.map((id) => ({ kind, id })));
  const items = (found.data?.pages ?? []).flatMap((p) => p.items);
  const data = scopeData(
    items,
    chosen,
    looksLikeId(search) ? search : null,
    (id) => names(kind, id) ?? t('scopePick.byId', { id }),
    { chosen: t('scopePick.chosenGroup'), byId: t('scopePick.byIdGroup'), found: t(`scopePick.found.${kind}`), more: t(`scopePick.more.${kind}`) },
    !!found.hasNextPage,
  );
  const more = () => {
    if (found.hasNextPage && !found.isFetchingNextPage) void found.fetchNextPage();
  };
  const nothing = found.isFetching ? t('common.loading') : t('scopePick.nothing');
  return { data, found, more, nothing };
}

/** One room or space, searched by name among the tenant's (or entered by id). */
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
  const { data, found, more, nothing } = usePickerData(kind, search, value ? [value] : []);
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
      filter={({ options }) => options}
      renderOption={renderOption}
      scrollAreaProps={{ onBottomReached: more }}
      placeholder={t(`scopePick.search.${kind}`)}
      nothingFoundMessage={nothing}
      error={found.error ? (found.error as Error).message : undefined}
      w={{ base: '100%', sm: 320 }}
    />
  );
}

/** Several rooms or spaces, searched by name among the tenant's (or entered by id). */
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
  const { data, found, more, nothing } = usePickerData(kind, search, value);
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
      filter={({ options }) => options}
      renderOption={renderOption}
      scrollAreaProps={{ onBottomReached: more }}
      placeholder={t(`scopePick.search.${kind}`)}
      nothingFoundMessage={nothing}
      error={found.error ? (found.error as Error).message : undefined}
      description={t('scopePick.hint')}
    />
  );
}

/**
 * Names of rooms and spaces by id: from the tenant's listing, else from the room or space
 * itself when the admin may read it (a direct conversation the admin is in); `undefined` when
 * neither tells.
 */
export function useScopeNames(refs: { kind: ScopeKind; id: string }[]) {
  const { t } = useTranslation();
  const wantRooms = refs.some((r) => r.kind === 'room');
  const wantSpaces = refs.some((r) => r.kind === 'space');
  const rooms = useContainerNames('room', wantRooms);
  const spaces = useContainerNames('space', wantSpaces);
  const listed = (kind: ScopeKind, id: string) => (kind === 'room' ? rooms.data : spaces.data)?.get(id);
  const listsDone = (!wantRooms || !rooms.isLoading) && (!wantSpaces || !spaces.isLoading);
  const unknown = listsDone ? [...new Map(refs.filter((r) => listed(r.kind, r.id) === undefined).map((r) => [`${r.kind}:${r.id}`, r])).values()] : [];
  const one = useQueries({
    queries: unknown.map((r) => ({
      queryKey: ['retention', 'scope', r.kind, 'one', r.id],
      staleTime: 60_000,
      retry: false,
      queryFn: async (): Promise<string> => {
        if (r.kind === 'room') {
          const x = await call(api.GET('/rooms/{id}', { params: { path: { id: r.id } } }));
          return x.name || (x.kind === 'direct' ? t('scopePick.direct') : x.id);
        }
        const x = await call(api.GET('/spaces/{id}', { params: { path: { id: r.id } } }));
        return x.space.name;
      },
    })),
  });
  return (kind: ScopeKind, id: string): string | undefined =>
    listed(kind, id) ?? one[unknown.findIndex((u) => u.kind === kind && u.id === id)]?.data;
}

/** A room or space by name, its id underneath; just the id when the name cannot be read. */
export function ScopeName({ kind, id, name }: { kind: ScopeKind; id: string; name: string | null | undefined }) {
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
