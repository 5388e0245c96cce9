import { Button, Group, NumberInput, Select, Stack, Text, TextInput } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlus } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { Confirm } from '../../components/Confirm';
import { DataTable } from '../../components/DataTable';
import { FormModal } from '../../components/FormModal';
import { Loading } from '../../components/Loading';
import { Page } from '../../components/Page';
import { ProblemAlert } from '../../components/ProblemAlert';
import { formatNumber } from '../../format';

type Resource = Schemas['MeetingResource'];

export const RESOURCE_KINDS = ['room', 'equipment', 'vehicle'] as const;

interface Draft {
  name: string;
  kind: string;
  capacity: number | '';
  location: string;
}

/** What a draft sends: trimmed text, no capacity as `null` (which the PATCH takes as "remove"). */
export function resourceBody(d: Draft) {
  return { name: d.name.trim(), kind: d.kind, capacity: d.capacity === '' ? null : d.capacity, location: d.location.trim() };
}

function ResourceForm({ editing, onClose }: { editing: Resource | null; onClose: () => void }) {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [d, setD] = useState<Draft>({
    name: editing?.name ?? '',
    kind: editing?.kind ?? 'room',
    capacity: editing?.capacity ?? '',
    location: editing?.location ?? '',
  });
  const m = useMutation({
    mutationFn: () =>
      editing
        ? call(api.PATCH('/meeting-resources/{id}', { params: { path: { id: editing.id } }, body: resourceBody(d), headers: idem() }))
        : call(api.POST('/meeting-resources', { body: resourceBody(d), headers: idem() })),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['meeting-resources'] });
      notifications.show({ message: t('common.saved'), color: 'green' });
      onClose();
    },
  });
  return (
    <FormModal
      opened
      onClose={onClose}
      title={editing ? t('resources.editTitle', { name: editing.name }) : t('resources.new')}
      submitLabel={editing ? t('common.save') : t('resources.create')}
      onSubmit={() => m.mutate()}
      pending={m.isPending}
      error={m.error}
      disabled={!d.name.trim()}
    >
      <TextInput label={t('resources.name')} required maxLength={200} value={d.name} onChange={(e) => setD({ ...d, name: e.currentTarget.value })} data-autofocus />
      <Select
        label={t('resources.kind')}
        data={RESOURCE_KINDS.map((k) => ({ value: k, label: t(`resources.kinds.${k}`) }))}
        value={d.kind}
        onChange={(v) => setD({ ...d, kind: v ?? 'room' })}
        allowDeselect={false}
      />
      <NumberInput
        label={t('resources.capacity')}
        description={t('resources.capacityHint')}
        min={1}
        max={100000}
        allowDecimal={false}
        value={d.capacity}
        onChange={(v) => setD({ ...d, capacity: typeof v === 'number' ? v : '' })}
      />
      <TextInput label={t('resources.location')} value={d.location} onChange={(e) => setD({ ...d, location: e.currentTarget.value })} />
    </FormModal>
  );
}

/** Meeting rooms, equipment and vehicles people book with their meetings (`meetings.manage`). */
export function MeetingResources() {
  const { t, i18n } = useTranslation();
  const qc = useQueryClient();
  const list = useQuery({ queryKey: ['meeting-resources'], queryFn: () => call(api.GET('/meeting-resources')) });
  const [form, setForm] = useState<{ editing: Resource | null } | null>(null);
  const [removing, setRemoving] = useState<Resource | null>(null);
  const del = useMutation({
    mutationFn: (r: Resource) => call(api.DELETE('/meeting-resources/{id}', { params: { path: { id: r.id } }, headers: idem() })),
    onSuccess: () => {
      setRemoving(null);
      void qc.invalidateQueries({ queryKey: ['meeting-resources'] });
    },
  });
  return (
    <Page
      title={t('resources.title')}
      actions={
        <Button leftSection={<IconPlus size={16} />} onClick={() => setForm({ editing: null })}>
          {t('resources.new')}
        </Button>
      }
    >
      <Text size="sm" c="dimmed">
        {t('resources.intro')}
      </Text>
      {list.isLoading && <Loading />}
      <ProblemAlert error={list.error} />
      {list.data && (
        <DataTable
          rows={list.data.items}
          rowKey={(r) => r.id}
          label={t('resources.title')}
          minWidth={640}
          columns={[
            { key: 'name', header: t('resources.name'), render: (r) => <Text size="sm" fw={500}>{r.name}</Text> },
            { key: 'kind', header: t('resources.kind'), render: (r) => t(`resources.kinds.${r.kind}`, { defaultValue: r.kind }) },
            {
              key: 'capacity',
              header: t('resources.capacity'),
              render: (r) => (r.capacity === null || r.capacity === undefined ? '—' : formatNumber(r.capacity, i18n.resolvedLanguage ?? 'en')),
            },
            { key: 'location', header: t('resources.location'), render: (r) => r.location || '—' },
            {
              key: 'actions',
              header: '',
              render: (r) => (
                <Group gap={4} wrap="nowrap" justify="flex-end">
                  <Button size="compact-xs" variant="subtle" onClick={() => setForm({ editing: r })} aria-label={t('resources.editNamed', { name: r.name })}>
                    {t('resources.edit')}
                  </Button>
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    color="red"
                    onClick={() => {
                      del.reset();
                      setRemoving(r);
                    }}
                    aria-label={t('resources.deleteNamed', { name: r.name })}
                  >
                    {t('common.delete')}
                  </Button>
                </Group>
              ),
            },
          ]}
        />
      )}
      {form && <ResourceForm editing={form.editing} onClose={() => setForm(null)} />}
      {removing && (
        <Confirm
          opened
          onClose={() => setRemoving(null)}
          title={t('resources.deleteTitle', { name: removing.name })}
          confirmLabel={t('common.delete')}
          onConfirm={() => del.mutate(removing)}
          pending={del.isPending}
          error={del.error}
        >
          <Stack gap="xs">
            <Text size="sm">{t('resources.deleteIntro')}</Text>
          </Stack>
        </Confirm>
      )}
    </Page>
  );
}
