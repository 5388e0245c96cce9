import { Alert, Button, Card, FileInput, Group, Select, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconDownload, IconUpload } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { Confirm } from '../../components/Confirm';
import { DataTable } from '../../components/DataTable';
import { download } from '../../components/download';
import { FormModal } from '../../components/FormModal';
import { Loading } from '../../components/Loading';
import { ProblemAlert } from '../../components/ProblemAlert';
import { formatNumber } from '../../format';
import { PersonPicker } from '../people/PersonPicker';

type Node = Schemas['ChartNode'];

/** A department and everything below it (the chart is in pre-order with depths). */
export function subtreeIds(nodes: Node[], id: string): Set<string> {
  const out = new Set<string>();
  const i = nodes.findIndex((n) => n.id === id);
  if (i < 0) return out;
  out.add(id);
  for (let j = i + 1; j < nodes.length && nodes[j].depth > nodes[i].depth; j++) out.add(nodes[j].id);
  return out;
}

/** Departments as options ("Sales › North"), without `except`. */
function options(nodes: Node[], except: Set<string>) {
  const path: string[] = [];
  return nodes.flatMap((n) => {
    path.length = n.depth;
    path.push(n.name);
    return except.has(n.id) ? [] : [{ value: n.id, label: path.join(' › ') }];
  });
}

function useDone(onClose: () => void) {
  const qc = useQueryClient();
  const { t } = useTranslation();
  return () => {
    void qc.invalidateQueries({ queryKey: ['directory'] });
    notifications.show({ message: t('common.saved'), color: 'green' });
    onClose();
  };
}

/** Rename a department or change its head. */
export function EditDepartment({ node, onClose }: { node: Node; onClose: () => void }) {
  const { t } = useTranslation();
  const [name, setName] = useState(node.name);
  const [head, setHead] = useState<string | null>(node.head?.id ?? null);
  const done = useDone(onClose);
  const m = useMutation({
    mutationFn: () =>
      call(
        api.PATCH('/directory/departments/{id}', {
          params: { path: { id: node.id } },
          body: { name: name.trim(), ...(head !== (node.head?.id ?? null) ? { head_id: head } : {}) },
          headers: idem(),
        }),
      ),
    onSuccess: done,
  });
  return (
    <FormModal
      opened
      onClose={onClose}
      title={t('dirAdmin.editTitle', { name: node.name })}
      submitLabel={t('common.save')}
      onSubmit={() => m.mutate()}
      pending={m.isPending}
      error={m.error}
      disabled={!name.trim()}
    >
      <TextInput label={t('directory.name')} required value={name} onChange={(e) => setName(e.currentTarget.value)} data-autofocus />
      <PersonPicker
        label={t('directory.head')}
        value={head}
        onChange={setHead}
        extra={node.head ? [{ value: node.head.id, label: node.head.display_name }] : []}
        placeholder={t('dirAdmin.noHead')}
      />
    </FormModal>
  );
}

/** Move a department (with everything below it) under another, or to the top level. */
export function MoveDepartment({ node, nodes, onClose }: { node: Node; nodes: Node[]; onClose: () => void }) {
  const { t } = useTranslation();
  const [parent, setParent] = useState<string | null>(node.parent_id ?? null);
  const done = useDone(onClose);
  const m = useMutation({
    mutationFn: () =>
      call(api.POST('/directory/departments/{id}/move', { params: { path: { id: node.id } }, body: { parent_id: parent }, headers: idem() })),
    onSuccess: done,
  });
  return (
    <FormModal
      opened
      onClose={onClose}
      title={t('dirAdmin.moveTitle', { name: node.name })}
      submitLabel={t('dirAdmin.move')}
      onSubmit={() => m.mutate()}
      pending={m.isPending}
      error={m.error}
      disabled={parent === (node.parent_id ?? null)}
    >
      <Text size="sm">{t('dirAdmin.moveIntro', { count: node.descendant_count })}</Text>
      <Select
        label={t('dirAdmin.newParent')}
        placeholder={t('directory.topLevel')}
        data={options(nodes, subtreeIds(nodes, node.id))}
        value={parent}
        onChange={setParent}
        searchable
        clearable
        data-autofocus
      />
    </FormModal>
  );
}

/** Merge a department into another: its members, sub-departments and (maybe) head move; it goes. */
export function MergeDepartment({ node, nodes, onClose }: { node: Node; nodes: Node[]; onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.resolvedLanguage ?? 'en';
  const [into, setInto] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const done = useDone(onClose);
  const target = nodes.find((n) => n.id === into);
  const m = useMutation({
    mutationFn: () =>
      call(api.POST('/directory/departments/{id}/merge', { params: { path: { id: node.id } }, body: { into_id: into! }, headers: idem() })),
    onSuccess: done,
  });
  const opts = options(nodes, subtreeIds(nodes, node.id));
  if (confirming && target) {
    return (
      <Confirm
        opened
        onClose={() => setConfirming(false)}
        title={t('dirAdmin.mergeConfirmTitle', { from: node.name, into: target.name })}
        confirmLabel={t('dirAdmin.merge')}
        onConfirm={() => m.mutate()}
        pending={m.isPending}
        error={m.error}
        consequences={[
          { label: t('dirAdmin.movingMembers', { into: target.name }), value: formatNumber(node.member_count, lang), testId: 'merge-members' },
          { label: t('dirAdmin.movingChildren', { into: target.name }), value: formatNumber(node.child_count, lang), testId: 'merge-children' },
          { label: t('dirAdmin.movingBelow'), value: formatNumber(node.total_member_count, lang), testId: 'merge-below' },
          {
            label: t('directory.head'),
            value: node.head
              ? target.head
                ? t('dirAdmin.headStays', { head: target.head.display_name })
                : t('dirAdmin.headMoves', { head: node.head.display_name })
              : '—',
            testId: 'merge-head',
          },
        ]}
      >
        <Text size="sm">{t('dirAdmin.mergeConfirmIntro', { from: node.name })}</Text>
      </Confirm>
    );
  }
  return (
    <FormModal
      opened
      onClose={onClose}
      title={t('dirAdmin.mergeTitle', { name: node.name })}
      submitLabel={t('dirAdmin.next')}
      onSubmit={() => setConfirming(true)}
      disabled={!into}
    >
      <Text size="sm">{t('dirAdmin.mergeIntro')}</Text>
      <Select label={t('dirAdmin.mergeInto')} data={opts} value={into} onChange={setInto} searchable data-autofocus />
    </FormModal>
  );
}

/** Who sees work email and phone in the address book. */
export function DirectorySettings() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const q = useQuery({ queryKey: ['directory', 'settings'], queryFn: () => call(api.GET('/settings/directory')) });
  const [draft, setDraft] = useState<Schemas['DirectorySettings'] | null>(null);
  useEffect(() => {
    if (q.data) setDraft(q.data);
  }, [q.data]);
  const m = useMutation({
    mutationFn: (v: Schemas['DirectorySettings']) => call(api.PUT('/settings/directory', { body: v, headers: idem() })),
    onSuccess: (v) => {
      qc.setQueryData(['directory', 'settings'], v);
      notifications.show({ message: t('common.saved'), color: 'green' });
    },
  });
  const visibility = [
    { value: 'everyone', label: t('dirAdmin.vis.everyone') },
    { value: 'same_department', label: t('dirAdmin.vis.same_department') },
    { value: 'nobody', label: t('dirAdmin.vis.nobody') },
  ];
  return (
    <Card withBorder>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (draft) m.mutate(draft);
        }}
      >
        <Stack>
          <Title order={2} size="h4">
            {t('dirAdmin.settingsTitle')}
          </Title>
          <Text size="sm" c="dimmed">
            {t('dirAdmin.settingsIntro')}
          </Text>
          {q.isLoading && <Loading />}
          <ProblemAlert error={q.error} />
          {draft && (
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <Select
                label={t('dirAdmin.emailVisible')}
                data={visibility}
                value={draft.email}
                onChange={(v) => v && setDraft({ ...draft, email: v as Schemas['Visibility'] })}
                allowDeselect={false}
              />
              <Select
                label={t('dirAdmin.phoneVisible')}
                data={visibility}
                value={draft.phone}
                onChange={(v) => v && setDraft({ ...draft, phone: v as Schemas['Visibility'] })}
                allowDeselect={false}
              />
            </SimpleGrid>
          )}
          <ProblemAlert error={m.error} />
          {draft && (
            <Group justify="flex-end">
              <Button type="submit" loading={m.isPending}>
                {t('common.save')}
              </Button>
            </Group>
          )}
        </Stack>
      </form>
    </Card>
  );
}

function ImportReportView({ report }: { report: Schemas['ImportReport'] }) {
  const { t, i18n } = useTranslation();
  const n = (v: number) => formatNumber(v, i18n.resolvedLanguage ?? 'en');
  return (
    <Stack gap="xs" data-testid={report.dry_run ? 'import-check' : 'import-report'}>
      <Alert color={report.rejected.length ? 'orange' : 'green'} variant="light">
        <Text size="sm" fw={600}>
          {report.dry_run
            ? t('dirAdmin.checked', { rows: n(report.rows), applied: n(report.applied), rejected: n(report.rejected.length) })
            : t('dirAdmin.imported', { rows: n(report.rows), applied: n(report.applied), rejected: n(report.rejected.length) })}
        </Text>
      </Alert>
      <Table withTableBorder aria-label={t('dirAdmin.importCounts')}>
        <Table.Tbody>
          {(
            [
              ['rows', report.rows],
              ['applied', report.applied],
              ['departments', report.departments_created],
              ['positions', report.positions_created],
              ['people', report.people_updated],
            ] as const
          ).map(([k, v]) => (
            <Table.Tr key={k}>
              <Table.Td>{t(`dirAdmin.count.${k}`)}</Table.Td>
              <Table.Td ta="right" data-testid={`import-${k}`}>
                {n(v)}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {report.rejected.length > 0 && (
        <DataTable
          label={t('dirAdmin.rejected')}
          rows={report.rejected}
          rowKey={(r) => `${r.row}:${r.field}:${r.reason}`}
          minWidth={360}
          columns={[
            { key: 'row', header: t('dirAdmin.line'), render: (r) => r.row },
            { key: 'field', header: t('dirAdmin.column'), render: (r) => (r.field ? <code>{r.field}</code> : '—') },
            { key: 'reason', header: t('dirAdmin.why'), render: (r) => r.reason },
          ]}
        />
      )}
    </Stack>
  );
}

/** The org as CSV: exported as a download, imported after a dry run shows what it would do. */
export function ImportExport() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const exp = useMutation({
    mutationFn: () => download(api.GET('/directory/export', { parseAs: 'blob' }), 'directory.csv'),
  });
  const run = useMutation({
    mutationFn: async (dry: boolean) =>
      call(
        api.POST('/directory/import', {
          params: { query: { dry_run: dry } },
          body: await file!.text(),
          bodySerializer: (b: unknown) => b as string,
          headers: { 'Content-Type': 'text/csv', ...idem() },
        }),
      ),
    onSuccess: (r) => {
      if (!r.dry_run) void qc.invalidateQueries({ queryKey: ['directory'] });
    },
  });
  const checked = run.data?.dry_run ? run.data : null;
  return (
    <Stack>
      <Card withBorder>
        <Stack>
          <Title order={2} size="h4">
            {t('dirAdmin.exportTitle')}
          </Title>
          <Text size="sm">{t('dirAdmin.exportIntro')}</Text>
          <Group>
            <Button leftSection={<IconDownload size={16} />} loading={exp.isPending} onClick={() => exp.mutate()}>
              {t('dirAdmin.export')}
            </Button>
          </Group>
          <ProblemAlert error={exp.error} />
          {exp.data && (
            <Text size="sm" role="status" data-testid="directory-exported">
              {t('attendance.exported', { name: exp.data })}
            </Text>
          )}
        </Stack>
      </Card>
      <Card withBorder>
        <Stack>
          <Title order={2} size="h4">
            {t('dirAdmin.importTitle')}
          </Title>
          <Text size="sm">{t('dirAdmin.importIntro')}</Text>
          <FileInput
            label={t('dirAdmin.file')}
            description={t('dirAdmin.chooseFile')}
            accept=".csv,text/csv"
            value={file}
            onChange={(f) => {
              setFile(f);
              run.reset();
            }}
            leftSection={<IconUpload size={16} />}
            clearable
            clearButtonProps={{ 'aria-label': t('common.clear') }}
          />
          <Group>
            <Button variant="default" disabled={!file} loading={run.isPending && run.variables === true} onClick={() => run.mutate(true)}>
              {t('dirAdmin.check')}
            </Button>
            <Button disabled={!file || !checked || checked.applied === 0} loading={run.isPending && run.variables === false} onClick={() => run.mutate(false)}>
              {t('dirAdmin.apply', { count: checked?.applied ?? 0 })}
            </Button>
          </Group>
          <ProblemAlert error={run.error} />
          {run.data && <ImportReportView report={run.data} />}
        </Stack>
      </Card>
    </Stack>
  );
}
