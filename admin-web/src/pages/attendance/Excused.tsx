import { Badge, Button, Group, Select, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { Confirm } from '../../components/Confirm';
import { DataTable } from '../../components/DataTable';
import { Loading } from '../../components/Loading';
import { Pager } from '../../components/Pager';
import { ProblemAlert } from '../../components/ProblemAlert';
import { useCursor } from '../../components/useCursor';
import { PersonName } from '../people/PersonName';
import { PersonPicker } from '../people/PersonPicker';

type Excused = Schemas['Excused'];
const KINDS = ['leave', 'trip', 'other'] as const;

/** `2026-03-02 – 2026-03-04` (or one day), and how many calendar days the span covers. */
export function spanText(e: Pick<Excused, 'first_date' | 'last_date'>): string {
  return e.first_date === e.last_date ? e.first_date : `${e.first_date} – ${e.last_date}`;
}

export function spanDays(e: Pick<Excused, 'first_date' | 'last_date'>): number {
  const a = Date.parse(`${e.first_date}T00:00:00Z`);
  const b = Date.parse(`${e.last_date}T00:00:00Z`);
  return Number.isNaN(a) || Number.isNaN(b) ? 0 : Math.round((b - a) / 86_400_000) + 1;
}

function AddExcused({ onAdded }: { onAdded: () => void }) {
  const { t } = useTranslation();
  const [person, setPerson] = useState<string | null>(null);
  const [first, setFirst] = useState('');
  const [last, setLast] = useState('');
  const [kind, setKind] = useState<string>('leave');
  const [note, setNote] = useState('');
  const add = useMutation({
    mutationFn: () =>
      call(
        api.POST('/attendance/excused', {
          body: { user_id: person!, first_date: first, last_date: last || first, kind, note: note.trim() || undefined },
          headers: idem(),
        }),
      ),
    onSuccess: () => {
      setNote('');
      onAdded();
    },
  });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate();
      }}
    >
      <Stack gap="xs">
        <Text size="sm">{t('attendance.excusedIntro')}</Text>
        <Group align="flex-end" wrap="wrap">
          <PersonPicker label={t('attendance.person')} value={person} onChange={setPerson} />
          <TextInput type="date" label={t('attendance.firstDate')} required value={first} onChange={(e) => setFirst(e.currentTarget.value)} />
          <TextInput type="date" label={t('attendance.lastDate')} value={last} onChange={(e) => setLast(e.currentTarget.value)} />
          <Select
            label={t('attendance.kind')}
            data={KINDS.map((k) => ({ value: k, label: t(`attendance.kinds.${k}`) }))}
            value={kind}
            onChange={(v) => setKind(v ?? 'leave')}
            allowDeselect={false}
            w={160}
          />
        </Group>
        <Textarea label={t('attendance.note')} value={note} onChange={(e) => setNote(e.currentTarget.value)} maxLength={1000} />
        <Group justify="flex-end">
          <Button type="submit" loading={add.isPending} disabled={!person || !first}>
            {t('attendance.addExcused')}
          </Button>
        </Group>
        <ProblemAlert error={add.error} />
      </Stack>
    </form>
  );
}

/** Excused days: add them, list everyone's or one person's (paged, by dates), remove them. */
export function ExcusedDays() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const pages = useCursor();
  const [person, setPerson] = useState<string | null>(null);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [removing, setRemoving] = useState<Excused | null>(null);
  const filter = { user_id: person ?? undefined, from: from || undefined, to: to || undefined };
  const list = useQuery({
    queryKey: ['attendance', 'excused', filter, pages.cursor],
    queryFn: () => call(api.GET('/attendance/excused', { params: { query: { ...filter, cursor: pages.cursor, limit: 25 } } })),
  });
  const refresh = () => void qc.invalidateQueries({ queryKey: ['attendance', 'excused'] });
  const remove = useMutation({
    mutationFn: (e: Excused) => call(api.DELETE('/attendance/excused/{id}', { params: { path: { id: e.id } }, headers: idem() })),
    onSuccess: () => {
      setRemoving(null);
      refresh();
    },
  });
  const refilter = (f: () => void) => {
    f();
    pages.reset();
  };
  return (
    <Stack>
      <AddExcused
        onAdded={() => {
          pages.reset();
          refresh();
        }}
      />
      <Group align="flex-end" wrap="wrap" role="search" aria-label={t('attendance.excusedFilter')}>
        <PersonPicker label={t('attendance.person')} placeholder={t('attendance.everyone')} value={person} onChange={(v) => refilter(() => setPerson(v))} />
        <TextInput type="date" label={t('attendance.from')} value={from} onChange={(e) => refilter(() => setFrom(e.currentTarget.value))} />
        <TextInput type="date" label={t('attendance.to')} value={to} onChange={(e) => refilter(() => setTo(e.currentTarget.value))} />
      </Group>
      {list.isLoading && <Loading />}
      <ProblemAlert error={list.error} />
      {list.data && (
        <>
          <DataTable
            rows={list.data.items}
            rowKey={(e) => e.id}
            label={t('attendance.excused')}
            minWidth={640}
            columns={[
              { key: 'person', header: t('attendance.person'), render: (e) => <PersonName id={e.user_id} /> },
              { key: 'dates', header: t('attendance.dates'), render: (e) => spanText(e) },
              { key: 'kind', header: t('attendance.kind'), render: (e) => t(`attendance.kinds.${e.kind}`, { defaultValue: e.kind }) },
              {
                key: 'source',
                header: t('attendance.source'),
                render: (e) => (
                  <Badge variant="light" color={e.source === 'manual' ? 'gray' : 'blue'}>
                    {e.source === 'manual' ? t('attendance.sourceManual') : e.source}
                  </Badge>
                ),
              },
              { key: 'note', header: t('attendance.note'), render: (e) => e.note || '—' },
              {
                key: 'actions',
                header: '',
                render: (e) => (
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    color="red"
                    onClick={() => setRemoving(e)}
                    aria-label={t('attendance.removeExcusedNamed', { dates: spanText(e) })}
                  >
                    {t('common.delete')}
                  </Button>
                ),
              },
            ]}
          />
          <Pager hasPrev={pages.hasPrev} next={list.data.next_cursor} onPrev={pages.prev} onNext={pages.next} />
        </>
      )}
      {removing && (
        <Confirm
          opened
          onClose={() => setRemoving(null)}
          title={t('attendance.removeExcused')}
          confirmLabel={t('common.delete')}
          onConfirm={() => remove.mutate(removing)}
          pending={remove.isPending}
          error={remove.error}
          consequences={[
            { label: t('attendance.person'), value: <PersonName id={removing.user_id} /> },
            { label: t('attendance.dates'), value: spanText(removing), testId: 'excused-span' },
            { label: t('attendance.daysCount'), value: spanDays(removing) },
          ]}
        >
          <Text size="sm">{t('attendance.removeExcusedIntro')}</Text>
          {removing.source !== 'manual' && (
            <Text size="sm" c="orange">
              {t('attendance.removeFromSource', { source: removing.source })}
            </Text>
          )}
        </Confirm>
      )}
    </Stack>
  );
}
