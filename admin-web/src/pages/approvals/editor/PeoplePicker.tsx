import { MultiSelect } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQueries, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../../../api/client';

/** Pick several active people by searching; the chosen keep their names while the search moves on. */
export function PeoplePicker({
  label,
  value,
  onChange,
  error,
  required,
}: {
  label: string;
  value: string[];
  onChange: (ids: string[]) => void;
  error?: string;
  required?: boolean;
}) {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 250);
  const found = useQuery({
    queryKey: ['users', 'pick', q],
    queryFn: () => call(api.GET('/users', { params: { query: { q: q || undefined, status: 'active', limit: 20 } } })),
  });
  const chosen = useQueries({
    queries: value.map((id) => ({
      queryKey: ['users', 'one', id],
      queryFn: () => call(api.GET('/users/{id}', { params: { path: { id } } })),
      staleTime: 60_000,
      retry: false,
    })),
  });
  const labels = new Map<string, string>();
  value.forEach((id, i) => labels.set(id, chosen[i]?.data?.display_name ?? id));
  for (const u of found.data?.items ?? []) labels.set(u.id, `${u.display_name}${u.email ? ` <${u.email}>` : ''}`);
  return (
    <MultiSelect
      label={label}
      required={required}
      searchable
      data={[...labels].map(([v, l]) => ({ value: v, label: l }))}
      value={value}
      onChange={onChange}
      searchValue={search}
      onSearchChange={setSearch}
      filter={({ options }) => options}
      nothingFoundMessage="—"
      error={error}
      miw={260}
    />
  );
}
