import { Badge, Button, Group, Select, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { IconSearch } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { Confirm } from '../../components/Confirm';
import { QueryTable, usePaged } from '../../components/DataTable';
import { DateTime } from '../../components/DateTime';
import { FormModal } from '../../components/FormModal';
import { Page } from '../../components/Page';
import { PersonName } from '../people/PersonName';

type Post = Schemas['Post'];

export const CATEGORIES = ['documents', 'wallet', 'keys', 'phone', 'electronics', 'bag', 'clothing', 'jewelry', 'pet', 'vehicle', 'other'] as const;

/** "Detail, Commune, District, Province": the parts given, most precise first. */
export function placeText(p: Schemas['Place']): string {
  return [p.detail, p.commune, p.district, p.province].filter((x) => x && x.trim()).join(', ');
}

function Removal({ post, onClose }: { post: Post; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [reason, setReason] = useState('');
  const m = useMutation({
    mutationFn: () =>
      call(api.POST('/bulletin/posts/{id}/removal', { params: { path: { id: post.id } }, body: { reason: reason.trim() }, headers: idem() })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['bulletin'] });
      notifications.show({ message: t('bulletin.removed'), color: 'green' });
      onClose();
    },
  });
  return (
    <FormModal
      opened
      onClose={onClose}
      title={t('bulletin.removeTitle', { title: post.title })}
      submitLabel={t('bulletin.remove')}
      onSubmit={() => m.mutate()}
      pending={m.isPending}
      error={m.error}
      disabled={!reason.trim()}
    >
      <Stack gap={4}>
        <Text size="sm" fw={600}>
          {post.title}
        </Text>
        <Text size="sm" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }} lineClamp={6}>
          {post.description}
        </Text>
        <Text size="xs" c="dimmed">
          {t('bulletin.by')} {post.author.display_name ?? t('bulletin.formerAuthor')} · {t('bulletin.photos', { count: post.photos.length })}
        </Text>
      </Stack>
      <Text size="sm" c="red">
        {t('bulletin.removeIntro')}
      </Text>
      <Textarea
        label={t('bulletin.reason')}
        description={t('bulletin.reasonHint')}
        required
        maxLength={500}
        value={reason}
        onChange={(e) => setReason(e.currentTarget.value)}
        data-autofocus
      />
    </FormModal>
  );
}

/** The lost-and-found board as a moderator sees it: search it, remove what does not belong. */
export function BulletinModeration() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [q, setQ] = useState('');
  const [debounced] = useDebouncedValue(q, 250);
  const [kind, setKind] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [category, setCategory] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Post | null>(null);
  const [resolving, setResolving] = useState<Post | null>(null);
  const { query, pages } = usePaged(['bulletin', 'posts', debounced, kind, status, category], (cursor) =>
    call(
      api.GET('/bulletin/posts', {
        params: {
          query: {
            q: debounced.trim() || undefined,
            kind: kind ?? undefined,
            status: status ?? undefined,
            category: category ?? undefined,
            cursor,
            limit: 50,
          },
        },
      }),
    ),
  );
  const resolve = useMutation({
    mutationFn: (p: Post) => call(api.POST('/bulletin/posts/{id}/resolve', { params: { path: { id: p.id } }, headers: idem() })),
    onSuccess: () => {
      setResolving(null);
      void qc.invalidateQueries({ queryKey: ['bulletin'] });
    },
  });
  const filter = (set: (v: string | null) => void) => (v: string | null) => {
    set(v);
    pages.reset();
  };
  return (
    <Page title={t('bulletin.title')}>
      <Text size="sm" c="dimmed">
        {t('bulletin.intro')}
      </Text>
      <Group align="flex-end" wrap="wrap" role="search" aria-label={t('bulletin.filters')}>
        <TextInput
          label={t('bulletin.search')}
          leftSection={<IconSearch size={16} />}
          type="search"
          value={q}
          onChange={(e) => {
            setQ(e.currentTarget.value);
            pages.reset();
          }}
          w={{ base: '100%', sm: 260 }}
        />
        <Select
          label={t('bulletin.kind')}
          placeholder={t('bulletin.any')}
          data={[
            { value: 'lost', label: t('bulletin.kinds.lost') },
            { value: 'found', label: t('bulletin.kinds.found') },
          ]}
          value={kind}
          onChange={filter(setKind)}
          clearable
          w={{ base: '100%', sm: 150 }}
        />
        <Select
          label={t('bulletin.category')}
          placeholder={t('bulletin.any')}
          data={CATEGORIES.map((c) => ({ value: c, label: t(`bulletin.categories.${c}`) }))}
          value={category}
          onChange={filter(setCategory)}
          clearable
          w={{ base: '100%', sm: 180 }}
        />
        <Select
          label={t('bulletin.status')}
          placeholder={t('bulletin.any')}
          data={[
            { value: 'open', label: t('bulletin.statuses.open') },
            { value: 'resolved', label: t('bulletin.statuses.resolved') },
          ]}
          value={status}
          onChange={filter(setStatus)}
          clearable
          w={{ base: '100%', sm: 150 }}
        />
      </Group>
      <QueryTable
        query={query}
        pages={pages}
        label={t('bulletin.posts')}
        minWidth={860}
        rowKey={(p) => p.id}
        columns={[
          {
            key: 'post',
            header: t('bulletin.post'),
            render: (p) => (
              <Stack gap={2} maw={360}>
                <Text size="sm" fw={500}>
                  {p.title}
                </Text>
                <Text size="xs" c="dimmed" lineClamp={2} style={{ overflowWrap: 'anywhere' }}>
                  {p.description}
                </Text>
              </Stack>
            ),
          },
          {
            key: 'kind',
            header: t('bulletin.kind'),
            render: (p) => (
              <Stack gap={2}>
                <Badge variant="light" color={p.kind === 'lost' ? 'orange' : 'teal'}>
                  {t(`bulletin.kinds.${p.kind}`, { defaultValue: p.kind })}
                </Badge>
                <Text size="xs">{t(`bulletin.categories.${p.category}`, { defaultValue: p.category })}</Text>
              </Stack>
            ),
          },
          { key: 'place', header: t('bulletin.place'), render: (p) => <Text size="xs">{placeText(p.place)}</Text> },
          {
            key: 'author',
            header: t('bulletin.author'),
            render: (p) => (p.author.display_name ? <PersonName id={p.author.id} /> : <Text size="xs">{t('bulletin.formerAuthor')}</Text>),
          },
          {
            key: 'dates',
            header: t('bulletin.posted'),
            render: (p) => (
              <Stack gap={2}>
                <Text size="xs">
                  <DateTime value={p.created_at} />
                </Text>
                <Text size="xs" c="dimmed">
                  {t('bulletin.expires')} <DateTime value={p.expires_at} />
                </Text>
              </Stack>
            ),
          },
          {
            key: 'status',
            header: t('bulletin.status'),
            render: (p) => (
              <Badge variant="outline" color={p.status === 'resolved' ? 'green' : 'gray'}>
                {t(`bulletin.statuses.${p.status}`, { defaultValue: p.status })}
              </Badge>
            ),
          },
          {
            key: 'actions',
            header: '',
            render: (p) => (
              <Group gap={4} wrap="nowrap" justify="flex-end">
                {p.mine && p.status === 'open' && (
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    onClick={() => {
                      resolve.reset();
                      setResolving(p);
                    }}
                    aria-label={t('bulletin.resolveNamed', { title: p.title })}
                  >
                    {t('bulletin.resolve')}
                  </Button>
                )}
                <Button size="compact-xs" variant="subtle" color="red" onClick={() => setRemoving(p)} aria-label={t('bulletin.removeNamed', { title: p.title })}>
                  {t('bulletin.remove')}
                </Button>
              </Group>
            ),
          },
        ]}
      />
      {removing && <Removal post={removing} onClose={() => setRemoving(null)} />}
      {resolving && (
        <Confirm
          opened
          color="blue"
          onClose={() => setResolving(null)}
          title={t('bulletin.resolveTitle', { title: resolving.title })}
          confirmLabel={t('bulletin.resolve')}
          onConfirm={() => resolve.mutate(resolving)}
          pending={resolve.isPending}
          error={resolve.error}
        >
          <Text size="sm">{t('bulletin.resolveIntro')}</Text>
        </Confirm>
      )}
    </Page>
  );
}
