import { Badge, Button, Code, Group, Modal, Select, Stack, Table, Tabs, Text, Textarea, Title } from '@mantine/core';
import { IconPlus } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, call, idem, type Schemas } from '../../api/client';
import { useSession } from '../../auth/session';
import { Confirm } from '../../components/Confirm';
import { DataTable } from '../../components/DataTable';
import { DateTime } from '../../components/DateTime';
import { Loading } from '../../components/Loading';
import { Page } from '../../components/Page';
import { ProblemAlert } from '../../components/ProblemAlert';
import { answersOf, sampleValues, valuesFrom, type Values } from './editor/answers';
import { AnswersForm } from './editor/AnswersForm';
import { parseJson, TemplateEditor, toJson } from './editor/TemplateEditor';

type Summary = Schemas['ApprovalTemplateSummary'];
type Template = Schemas['ApprovalTemplate'];
type Rule = Schemas['ApprovalRule'];

function RuleText({ rule }: { rule: Rule }) {
  const { t } = useTranslation();
  const extra = [
    rule.levels ? t('approvals.levels', { n: rule.levels }) : '',
    rule.up_to ? t('approvals.upTo') : '',
    rule.field ? `${t('approvals.field')} ${rule.field}` : '',
    rule.people?.length ? t('approvals.peopleCount', { n: rule.people.length }) : '',
    rule.max ? `≤ ${rule.max}` : '',
  ].filter(Boolean);
  return (
    <Text size="sm">
      {t(`approvals.rule.${rule.kind}`)}
      {extra.length > 0 && ` (${extra.join(', ')})`}
    </Text>
  );
}

function TemplateView({ tpl }: { tpl: Template }) {
  const { t } = useTranslation();
  return (
    <Stack>
      {tpl.description && <Text size="sm">{tpl.description}</Text>}
      <Title order={3} size="h5">
        {t('approvals.form')}
      </Title>
      <DataTable
        rows={tpl.form.fields}
        rowKey={(f) => f.id}
        label={t('approvals.form')}
        minWidth={480}
        columns={[
          { key: 'id', header: t('approvals.fieldId'), render: (f) => <code>{f.id}</code> },
          { key: 'label', header: t('approvals.label'), render: (f) => f.label },
          { key: 'kind', header: t('approvals.kind'), render: (f) => f.kind },
          { key: 'req', header: t('approvals.required'), render: (f) => (f.required ? t('common.yes') : t('common.no')) },
        ]}
      />
      <Title order={3} size="h5">
        {t('approvals.flow')}
      </Title>
      <DataTable
        rows={tpl.flow.nodes}
        rowKey={(n) => n.id}
        label={t('approvals.flow')}
        minWidth={560}
        columns={[
          { key: 'name', header: t('approvals.node'), render: (n) => n.name },
          { key: 'mode', header: t('approvals.mode'), render: (n) => t(`approvals.modes.${n.mode}`) },
          { key: 'cond', header: t('approvals.condition'), render: (n) => (n.condition ? <code>{n.condition}</code> : '—') },
          { key: 'who', header: t('approvals.approvers'), render: (n) => n.approvers.map((r, i) => <RuleText key={i} rule={r} />) },
        ]}
      />
    </Stack>
  );
}

function Preview({ tpl }: { tpl: Template }) {
  const { t } = useTranslation();
  // The answers in typed inputs generated from the form, or (advanced) as JSON.
  const [values, setValues] = useState<Values>(() => sampleValues(tpl.form));
  const [json, setJson] = useState<string | null>(null);
  const parsed = json === null ? null : parseJson<Record<string, unknown>>(json);
  const jsonError = parsed?.error ?? (parsed && (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) ? t('approvals.answersShape') : undefined);
  const switchTab = (next: string | null) => {
    if (next === 'json' && json === null) setJson(toJson(answersOf(tpl.form, values)));
    if (next === 'form' && json !== null) {
      if (jsonError || !parsed?.value) return;
      setValues(valuesFrom(tpl.form, parsed.value));
      setJson(null);
    }
  };
  const m = useMutation({
    mutationFn: () => {
      const answers = json !== null && parsed?.value ? parsed.value : answersOf(tpl.form, values);
      return call(api.POST('/approvals/preview', { body: { template_id: tpl.id, answers, chosen: {} } }));
    },
  });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        m.mutate();
      }}
    >
      <Stack>
        <Tabs value={json === null ? 'form' : 'json'} onChange={switchTab} keepMounted={false}>
          <Tabs.List>
            <Tabs.Tab value="form">{t('approvals.answers')}</Tabs.Tab>
            <Tabs.Tab value="json">{t('approvals.ed.advanced')}</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="form" pt="sm">
            <AnswersForm form={tpl.form} values={values} onChange={setValues} error={m.error} />
          </Tabs.Panel>
          <Tabs.Panel value="json" pt="sm">
            <Textarea
              label={t('approvals.answersJson')}
              description={t('approvals.answersHint')}
              value={json ?? ''}
              onChange={(e) => setJson(e.currentTarget.value)}
              error={jsonError}
              autosize
              minRows={4}
              styles={{ input: { fontFamily: 'monospace', fontSize: 12 } }}
            />
          </Tabs.Panel>
        </Tabs>
        <Group justify="flex-end">
          <Button type="submit" loading={m.isPending} disabled={json !== null && !!jsonError}>
            {t('approvals.runPreview')}
          </Button>
        </Group>
        <ProblemAlert error={m.error} />
        {m.data && (
          <Stack gap="xs" data-testid="chain">
            <DataTable
              rows={m.data.nodes}
              rowKey={(n) => n.node_id}
              label={t('approvals.chain')}
              minWidth={520}
              columns={[
                { key: 'node', header: t('approvals.node'), render: (n) => n.name },
                { key: 'mode', header: t('approvals.mode'), render: (n) => t(`approvals.modes.${n.mode}`) },
                {
                  key: 'who',
                  header: t('approvals.approvers'),
                  render: (n) =>
                    n.skipped ? (
                      <Badge color="gray" variant="light" data-testid={`skipped-${n.node_id}`}>
                        {t(`approvals.skipped.${n.skipped}`)}
                      </Badge>
                    ) : (
                      <Text size="sm" data-testid={`approvers-${n.node_id}`}>
                        {n.approvers.map((p) => p.display_name).join(', ')}
                        {n.fallback && ` (${t('approvals.fallback')})`}
                      </Text>
                    ),
                },
              ]}
            />
            {m.data.cc_on_submit.length > 0 && (
              <Text size="sm">
                {t('approvals.ccSubmit')}: {m.data.cc_on_submit.map((p) => p.display_name).join(', ')}
              </Text>
            )}
            {m.data.cc_on_complete.length > 0 && (
              <Text size="sm">
                {t('approvals.ccComplete')}: {m.data.cc_on_complete.map((p) => p.display_name).join(', ')}
              </Text>
            )}
          </Stack>
        )}
      </Stack>
    </form>
  );
}

function Details({ id, onClose }: { id: string; onClose: () => void }) {
  const { t } = useTranslation();
  const s = useSession();
  const tpl = useQuery({ queryKey: ['approvals', 'template', id], queryFn: () => call(api.GET('/approvals/templates/{id}', { params: { path: { id } } })) });
  const versions = useQuery({
    queryKey: ['approvals', 'versions', id],
    queryFn: () => call(api.GET('/approvals/templates/{id}/versions', { params: { path: { id } } })),
  });
  return (
    <Modal opened onClose={onClose} title={tpl.data ? `${tpl.data.name} · v${tpl.data.version}` : t('approvals.template')} size="xl">
      {tpl.isLoading && <Loading />}
      <ProblemAlert error={tpl.error} />
      {tpl.data && (
        <Stack>
          <TemplateView tpl={tpl.data} />
          {s.can('approvals.submit') && (
            <>
              <Title order={3} size="h5">
                {t('approvals.preview')}
              </Title>
              <Preview tpl={tpl.data} />
            </>
          )}
          <Title order={3} size="h5">
            {t('approvals.versions')}
          </Title>
          <ProblemAlert error={versions.error} />
          {versions.data && (
            <Table withTableBorder aria-label={t('approvals.versions')}>
              <Table.Tbody>
                {versions.data.items.map((v) => (
                  <Table.Tr key={v.version}>
                    <Table.Td>v{v.version}</Table.Td>
                    <Table.Td>
                      <DateTime value={v.version_created_at} />
                    </Table.Td>
                    <Table.Td>
                      <Code>{v.flow.nodes.map((n) => n.name).join(' → ')}</Code>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
        </Stack>
      )}
    </Modal>
  );
}

export function ApprovalTemplates() {
  const { t } = useTranslation();
  const qc = useQueryClient();
  const [state, setState] = useState<string>('');
  const [viewing, setViewing] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | 'new' | null>(null);
  const [toggling, setToggling] = useState<Summary | null>(null);
  const list = useQuery({
    queryKey: ['approvals', 'admin', state],
    queryFn: () =>
      call(api.GET('/approvals/admin/templates', { params: { query: { state: (state || undefined) as Schemas['ApprovalTemplateState'] | undefined } } })),
  });
  const toggle = useMutation({
    mutationFn: (s: Summary) =>
      s.state === 'active'
        ? call(api.POST('/approvals/templates/{id}/archive', { params: { path: { id: s.id } }, headers: idem() }))
        : call(api.POST('/approvals/templates/{id}/restore', { params: { path: { id: s.id } }, headers: idem() })),
    onSuccess: () => {
      setToggling(null);
      void qc.invalidateQueries({ queryKey: ['approvals'] });
    },
  });
  return (
    <Page
      title={t('approvals.title')}
      actions={
        <Button leftSection={<IconPlus size={16} />} onClick={() => setEditing('new')}>
          {t('approvals.new')}
        </Button>
      }
    >
      <Select
        label={t('approvals.state')}
        data={[
          { value: '', label: t('approvals.anyState') },
          { value: 'active', label: t('approvals.states.active') },
          { value: 'archived', label: t('approvals.states.archived') },
        ]}
        value={state}
        onChange={(v) => setState(v ?? '')}
        allowDeselect={false}
        w={220}
      />
      {list.isLoading && <Loading />}
      <ProblemAlert error={list.error} />
      {list.data && (
        <DataTable
          rows={list.data.items}
          rowKey={(x) => x.id}
          label={t('approvals.title')}
          minWidth={760}
          columns={[
            {
              key: 'name',
              header: t('approvals.name'),
              render: (x) => (
                <Button variant="subtle" size="compact-sm" onClick={() => setViewing(x.id)} px={0}>
                  {x.name}
                </Button>
              ),
            },
            { key: 'category', header: t('approvals.category'), render: (x) => x.category || '—' },
            { key: 'version', header: t('approvals.version'), render: (x) => `v${x.version}` },
            {
              key: 'state',
              header: t('approvals.state'),
              render: (x) => (
                <Group gap={4}>
                  <Badge variant="light" color={x.state === 'active' ? 'green' : 'gray'}>
                    {t(`approvals.states.${x.state}`)}
                  </Badge>
                  {x.starter && (
                    <Badge variant="outline" size="xs">
                      {t('approvals.starter')}
                    </Badge>
                  )}
                </Group>
              ),
            },
            { key: 'changed', header: t('approvals.changed'), render: (x) => <DateTime value={x.version_created_at} /> },
            {
              key: 'actions',
              header: '',
              render: (x) => (
                <Group gap={4} wrap="nowrap">
                  <Button size="compact-xs" variant="subtle" onClick={() => setEditing(x.id)} aria-label={t('approvals.editNamed', { name: x.name })}>
                    {t('approvals.edit')}
                  </Button>
                  <Button
                    size="compact-xs"
                    variant="subtle"
                    color={x.state === 'active' ? 'red' : 'blue'}
                    onClick={() => setToggling(x)}
                    aria-label={`${x.state === 'active' ? t('approvals.disable') : t('approvals.enable')} ${x.name}`}
                  >
                    {x.state === 'active' ? t('approvals.disable') : t('approvals.enable')}
                  </Button>
                </Group>
              ),
            },
          ]}
        />
      )}
      {viewing && <Details id={viewing} onClose={() => setViewing(null)} />}
      {editing && <TemplateEditor id={editing} onClose={() => setEditing(null)} />}
      {toggling && (
        <Confirm
          opened
          onClose={() => setToggling(null)}
          title={`${toggling.state === 'active' ? t('approvals.disable') : t('approvals.enable')}: ${toggling.name}`}
          confirmLabel={toggling.state === 'active' ? t('approvals.disable') : t('approvals.enable')}
          color={toggling.state === 'active' ? 'red' : 'blue'}
          onConfirm={() => toggle.mutate(toggling)}
          pending={toggle.isPending}
          error={toggle.error}
        >
          <Text size="sm">{toggling.state === 'active' ? t('approvals.disableIntro') : t('approvals.enableIntro')}</Text>
        </Confirm>
      )}
    </Page>
  );
}
