import { Badge, Button, Checkbox, Group, Modal, MultiSelect, Select, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { IconSpeakerphone } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { useSession } from '../../auth/session';
import { Confirm } from '../../components/Confirm';
import { QueryTable, usePaged } from '../../components/DataTable';
import { DateTime } from '../../components/DateTime';
import { FormModal } from '../../components/FormModal';
import { Page } from '../../components/Page';
import { departmentOptions } from '../directory/Directory';

type Announcement = Schemas['Announcement'];
type Kind = Schemas['AnnouncementKind'];

/** Who an announcement is for, as the API wants it: everyone, or departments with their sub-departments. */
export function audienceOf(everyone: boolean, departments: string[]): Schemas['AudienceTarget'][] {
  if (everyone) return [{ kind: 'everyone', subtree: null }];
  return departments.map((id) => ({ kind: 'department', id, subtree: true }));
}

function Publish({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const s = useSession();
  const qc = useQueryClient();
  const [kind, setKind] = useState<Kind>('normal');
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [everyone, setEveryone] = useState(true);
  const [departments, setDepartments] = useState<string[]>([]);
  const [pinned, setPinned] = useState(false);
  const [ack, setAck] = useState(false);
  const [expires, setExpires] = useState('');
  const chart = useQuery({
    queryKey: ['directory', 'chart'],
    enabled: opened && s.can('directory.read'),
    queryFn: () => call(api.GET('/directory/chart')),
  });
  const m = useMutation({
    mutationFn: () =>
      call(
        api.POST('/announcements', {
          body: {
            kind,
            title: title.trim(),
            body,
            audience: kind === 'normal' ? audienceOf(everyone, departments) : [],
            attachment_ids: [],
            pinned,
            ack_required: kind === 'normal' ? ack : true,
            expires_at: expires ? new Date(expires).toISOString() : undefined,
          },
          headers: idem(),
        }),
      ),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['announcements'] });
      setTitle('');
      setBody('');
      onClose();
    },
  });
  const fixed = kind !== 'normal';
  return (
    <FormModal
      opened={opened}
      onClose={onClose}
      title={t('announcements.new')}
      submitLabel={t('announcements.publish')}
      onSubmit={() => m.mutate()}
      pending={m.isPending}
      error={m.error}
      disabled={!title.trim() || !body.trim() || (!fixed && !everyone && departments.length === 0)}
      size="xl"
    >
      <Select
        label={t('announcements.kind')}
        data={(['normal', 'policy', 'breach'] as const).map((k) => ({ value: k, label: t(`announcements.kinds.${k}`) }))}
        value={kind}
        onChange={(v) => setKind((v as Kind) ?? 'normal')}
        allowDeselect={false}
        description={fixed ? t('announcements.fixedHint') : undefined}
      />
      <TextInput label={t('announcements.titleField')} required maxLength={200} value={title} onChange={(e) => setTitle(e.currentTarget.value)} data-autofocus />
      <Textarea label={t('announcements.body')} description={t('announcements.bodyHint')} required autosize minRows={4} maxRows={12} value={body} onChange={(e) => setBody(e.currentTarget.value)} />
      {!fixed && (
        <>
          <Checkbox label={t('announcements.everyone')} checked={everyone} onChange={(e) => setEveryone(e.currentTarget.checked)} />
          {!everyone && (
            <MultiSelect
              label={t('announcements.departments')}
              data={departmentOptions(chart.data?.nodes ?? [])}
              value={departments}
              onChange={setDepartments}
              searchable
            />
          )}
          <Checkbox label={t('announcements.ackRequired')} checked={ack} onChange={(e) => setAck(e.currentTarget.checked)} />
        </>
      )}
      <Checkbox label={t('announcements.pinned')} checked={pinned} onChange={(e) => setPinned(e.currentTarget.checked)} />
      <TextInput type="datetime-local" label={t('announcements.expires')} value={expires} onChange={(e) => setExpires(e.currentTarget.value)} />
    </FormModal>
  );
}

const STATUSES = ['unread', 'read', 'acknowledged'] as const;

function Receipts({ a, onClose }: { a: Announcement; onClose: () => void }) {
  const { t } = useTranslation();
  const s = useSession();
  const [status, setStatus] = useState<string>('');
  const [reminding, setReminding] = useState(false);
  const { query, pages } = usePaged(['announcements', 'receipts', a.id, status], (cursor) =>
    call(
      api.GET('/announcements/{id}/receipts', {
        params: { path: { id: a.id }, query: { status: (status || undefined) as Schemas['ReceiptStatus'] | undefined, cursor, limit: 50 } },
      }),
    ),
  );
  const remind = useMutation({
    mutationFn: () => call(api.POST('/announcements/{id}/remind', { params: { path: { id: a.id } }, headers: idem() })),
    onSuccess: () => setReminding(false),
  });
  const totals = query.data;
  return (
    <Modal opened onClose={onClose} title={t('announcements.receiptsOf', { title: a.title })} size="xl">
      <Stack>
        {totals && (
          <SimpleGrid cols={{ base: 2, sm: 4 }} data-testid="receipt-totals">
            {(['audience', 'read', 'acknowledged', 'pending'] as const).map((k) => (
              <div key={k}>
                <Text size="xs" c="dimmed">
                  {t(`announcements.totals.${k}`)}
                </Text>
                <Text fw={700} data-testid={`receipts-${k}`}>
                  {totals[k]}
                </Text>
              </div>
            ))}
          </SimpleGrid>
        )}
        <Group align="flex-end" justify="space-between">
          <Select
            label={t('announcements.status')}
            data={[{ value: '', label: t('announcements.anyStatus') }, ...STATUSES.map((x) => ({ value: x, label: t(`announcements.st.${x}`) }))]}
            value={status}
            onChange={(v) => {
              setStatus(v ?? '');
              pages.reset();
            }}
            allowDeselect={false}
            w={220}
          />
          {s.can('announcements.publish') && (
            <Button variant="default" onClick={() => setReminding(true)} disabled={!totals?.pending}>
              {t('announcements.remind')}
            </Button>
          )}
        </Group>
        {remind.data && <Text size="sm" role="status">{t('announcements.reminded', { n: remind.data.reminded })}</Text>}
        <QueryTable
          query={query}
          pages={pages}
          label={t('announcements.receipts')}
          minWidth={520}
          rowKey={(r) => r.user_id}
          columns={[
            { key: 'name', header: t('announcements.person'), render: (r) => r.display_name },
            { key: 'status', header: t('announcements.status'), render: (r) => <Badge variant="light">{t(`announcements.st.${r.status}`)}</Badge> },
            { key: 'read', header: t('announcements.readAt'), render: (r) => <DateTime value={r.read_at} /> },
            { key: 'ack', header: t('announcements.ackAt'), render: (r) => <DateTime value={r.acknowledged_at} /> },
          ]}
        />
      </Stack>
      <Confirm
        opened={reminding}
        onClose={() => setReminding(false)}
        title={t('announcements.remind')}
        confirmLabel={t('announcements.remind')}
        onConfirm={() => remind.mutate()}
        pending={remind.isPending}
        error={remind.error}
        color="blue"
        consequences={[{ label: t('announcements.totals.pending'), value: totals?.pending ?? 0 }]}
      >
        <Text size="sm">{t('announcements.remindIntro')}</Text>
      </Confirm>
    </Modal>
  );
}

export function Announcements() {
  const { t } = useTranslation();
  const s = useSession();
  const qc = useQueryClient();
  const [publishing, setPublishing] = useState(false);
  const [receipts, setReceipts] = useState<Announcement | null>(null);
  const [removing, setRemoving] = useState<Announcement | null>(null);
  const publisher = s.can('announcements.publish');
  const reader = s.can('announcements.receipts.read');
  const { query, pages } = usePaged(['announcements', 'list', publisher || reader], (cursor) =>
    call(api.GET('/announcements', { params: { query: { all: publisher || reader, include_dismissed: true, cursor, limit: 25 } } })),
  );
  const del = useMutation({
    mutationFn: (a: Announcement) => call(api.DELETE('/announcements/{id}', { params: { path: { id: a.id } }, headers: idem() })),
    onSuccess: () => {
      setRemoving(null);
      void qc.invalidateQueries({ queryKey: ['announcements'] });
    },
  });
  return (
    <Page
      title={t('announcements.title')}
      actions={
        publisher && (
          <Button leftSection={<IconSpeakerphone size={16} />} onClick={() => setPublishing(true)}>
            {t('announcements.new')}
          </Button>
        )
      }
    >
      <QueryTable
        query={query}
        pages={pages}
        label={t('announcements.title')}
        minWidth={760}
        rowKey={(a) => a.id}
        columns={[
          {
            key: 'title',
            header: t('announcements.titleField'),
            render: (a) => (
              <>
                <Text size="sm" fw={500}>
                  {a.title}
                </Text>
                <Group gap={4}>
                  {a.kind !== 'normal' && (
                    <Badge size="xs" color="red" variant="light">
                      {t(`announcements.kinds.${a.kind}`)}
                    </Badge>
                  )}
                  {a.pinned && <Badge size="xs" variant="light">{t('announcements.pinned')}</Badge>}
                  {a.ack_required && <Badge size="xs" variant="outline">{t('announcements.ackRequired')}</Badge>}
                  {a.edited && <Badge size="xs" variant="outline" color="gray">{t('announcements.editedV', { v: a.version })}</Badge>}
                </Group>
              </>
            ),
          },
          { key: 'author', header: t('announcements.author'), render: (a) => a.author_name ?? a.author_id },
          { key: 'published', header: t('announcements.published'), render: (a) => <DateTime value={a.published_at} /> },
          { key: 'expires', header: t('announcements.expires'), render: (a) => <DateTime value={a.expires_at} /> },
          {
            key: 'actions',
            header: '',
            render: (a) => (
              <Group gap={4} wrap="nowrap">
                {reader && (
                  <Button size="compact-xs" variant="subtle" onClick={() => setReceipts(a)} aria-label={t('announcements.receiptsOf', { title: a.title })}>
                    {t('announcements.receipts')}
                  </Button>
                )}
                {publisher && a.kind === 'normal' && (
                  <Button size="compact-xs" variant="subtle" color="red" onClick={() => setRemoving(a)} aria-label={t('announcements.deleteTitle', { title: a.title })}>
                    {t('common.delete')}
                  </Button>
                )}
              </Group>
            ),
          },
        ]}
      />
      <Publish opened={publishing} onClose={() => setPublishing(false)} />
      {receipts && <Receipts a={receipts} onClose={() => setReceipts(null)} />}
      {removing && (
        <Confirm
          opened
          onClose={() => setRemoving(null)}
          title={t('announcements.deleteTitle', { title: removing.title })}
          confirmLabel={t('common.delete')}
          onConfirm={() => del.mutate(removing)}
          pending={del.isPending}
          error={del.error}
        >
          <Text size="sm">{t('announcements.deleteIntro')}</Text>
        </Confirm>
      )}
    </Page>
  );
}
