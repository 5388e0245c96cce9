import { Anchor } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { api, call } from '../../api/client';
import { useSession } from '../../auth/session';

/** A person's name linked to their page, or their id when it cannot be read. */
export function PersonName({ id }: { id: string | null | undefined }) {
  const s = useSession();
  const enabled = !!id && s.can('users.read');
  const u = useQuery({
    queryKey: ['users', 'one', id],
    enabled,
    queryFn: () => call(api.GET('/users/{id}', { params: { path: { id: id! } } })),
    staleTime: 60_000,
  });
  if (!id) return <>—</>;
  return (
    <Anchor component={Link} to={`/people/${id}`} size="sm">
      {u.data?.display_name ?? id}
    </Anchor>
  );
}
