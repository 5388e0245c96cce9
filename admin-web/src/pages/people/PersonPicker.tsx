import { Select } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, call } from '../../api/client';

/** Pick an active person by searching (accent-insensitive, on the server). */
export function PersonPicker({
  label,
  value,
  onChange,
  exclude,
  extra = [],
  placeholder,
}: {
  label: string;
  value: string | null;
  onChange: (v: string | null) => void;
  exclude?: string;
  extra?: { value: string; label: string }[];
  placeholder?: string;
}) {
  const [search, setSearch] = useState('');
  const [q] = useDebouncedValue(search, 250);
  const r = useQuery({
    queryKey: ['users', 'pick', q],
    queryFn: () => call(api.GET('/users', { params: { query: { q: q || undefined, status: 'active', limit: 20 } } })),
  });
  const data = [
    ...extra,
    ...(r.data?.items ?? [])
      .filter((u) => u.id !== exclude)
      .map((u) => ({ value: u.id, label: `${u.display_name}${u.email ? ` <${u.email}>` : ''}` })),
  ];
  return (
    <Select
      label={label}
      searchable
      clearable
      placeholder={placeholder}
      data={data}
      value={value}
      onChange={onChange}
      onSearchChange={setSearch}
      searchValue={search}
      filter={({ options }) => options}
      nothingFoundMessage="—"
    />
  );
}
