import { Anchor, Badge, Button, Group, Select, Tabs, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconSearch, IconUserPlus } from '@tabler/icons-react';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { api, call } from '../../api/client';
import { useSession } from '../../auth/session';
import { QueryTable, usePaged } from '../../components/DataTable';
import { Page } from '../../components/Page';
import { Deletions } from './Deletions';
import { ErasureReports } from './ErasureReports';
import { InviteDialog } from './InviteDialog';

export const STATUSES = ['active', 'invited', 'disabled', 'pending_erasure', 'erased'] as const;

export function StatusBadge({ status }: { status: string }) {
  const { t } = useTranslation();
  const color =
    status === 'active' ? 'green' : status === 'invited' ? 'blue' : status === 'disabled' ? 'gray' : 'red';
  return (
    <Badge color={color} variant="light">
      {t(`status.${status}`, { defaultValue: status })}
    </Badge>
  );
}

function PeopleList() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const [q, setQ] = useState('');
  const [debounced] = useDebouncedValue(q, 250);
  const status = params.get('status') ?? '';
  const { query: list, pages } = usePaged(['users', 'list', debounced, status], (cursor) =>
    call(api.GET('/users', { params: { query: { q: debounced || undefined, status: status || undefined, cursor, limit: 50 } } })),
  );

  return (
    <>
      <Group align="flex-end" wrap="wrap">
        <TextInput
          label={t('people.search')}
          description={t('people.searchHint')}
          leftSection={<IconSearch size={16} />}
          value={q}
          onChange={(e) => {
            setQ(e.currentTarget.value);
            pages.reset();
          }}
          w={{ base: '100%', sm: 320 }}
          type="search"
        />
        <Select
          label={t('people.status')}
          data={[{ value: '', label: t('people.anyStatus') }, ...STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))]}
          value={status}
          onChange={(v) => {
            const p = new URLSearchParams(params);
            if (v) p.set('status', v);
            else p.delete('status');
            setParams(p);
            pages.reset();
          }}
          w={{ base: '100%', sm: 200 }}
          allowDeselect={false}
        />
      </Group>
      <QueryTable
        query={list}
        pages={pages}
        label={t('people.title')}
        hover
        rowKey={(u) => u.id}
        columns={[
          {
            key: 'name',
            header: t('people.name'),
            render: (u) => (
              <Anchor component={Link} to={`/people/${u.id}`}>
                {u.display_name}
              </Anchor>
            ),
          },
          { key: 'email', header: t('people.email'), render: (u) => u.email ?? u.phone ?? '—' },
          { key: 'department', header: t('people.department'), render: (u) => u.department || '—' },
          { key: 'status', header: t('people.status'), render: (u) => <StatusBadge status={u.status} /> },
        ]}
      />
    </>
  );
}

export function People() {
  const { t } = useTranslation();
  const s = useSession();
  const [params, setParams] = useSearchParams();
  const [inviting, setInviting] = useState(false);
  const tab = params.get('tab') ?? 'people';
  const canDelete = s.can('users.delete');
  return (
    <Page
      title={t('people.title')}
      actions={
        s.can('users.manage') && (
          <Button leftSection={<IconUserPlus size={16} />} onClick={() => setInviting(true)}>
            {t('people.invite')}
          </Button>
        )
      }
    >
      <Tabs
        value={tab}
        onChange={(v) => {
          const p = new URLSearchParams();
          if (v && v !== 'people') p.set('tab', v);
          setParams(p);
        }}
        keepMounted={false}
      >
        <Tabs.List>
          <Tabs.Tab value="people">{t('people.tabPeople')}</Tabs.Tab>
          {canDelete && <Tabs.Tab value="deletions">{t('people.tabDeletions')}</Tabs.Tab>}
          {canDelete && <Tabs.Tab value="reports">{t('people.tabReports')}</Tabs.Tab>}
        </Tabs.List>
        <Tabs.Panel value="people" pt="md">
          <PeopleList />
        </Tabs.Panel>
        {canDelete && (
          <Tabs.Panel value="deletions" pt="md">
            <Deletions />
          </Tabs.Panel>
        )}
        {canDelete && (
          <Tabs.Panel value="reports" pt="md">
            <ErasureReports />
          </Tabs.Panel>
        )}
      </Tabs>
      <InviteDialog opened={inviting} onClose={() => setInviting(false)} />
    </Page>
  );
}
