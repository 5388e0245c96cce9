import { ActionIcon, Button, Group, NumberInput, Paper, Select, Stack, Switch, Text, TextInput } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconPlus, IconTrash } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, call } from '../../../api/client';
import { num } from './FieldEditor';
import {
  blankNode,
  blankRule,
  CC_RULE_KINDS,
  conditionNames,
  errorAt,
  move,
  NODE_MODES,
  patchAt,
  RULE_KINDS,
  type Flow,
  type Form,
  type Rule,
  type RuleKind,
} from './model';
import { PeoplePicker } from './PeoplePicker';

function RuleInputs({ rule, onChange, path, error, form }: { rule: Rule; onChange: (patch: Partial<Rule>) => void; path: string; error: unknown; form: Form }) {
  const { t } = useTranslation();
  const roles = useQuery({ queryKey: ['roles'], queryFn: () => call(api.GET('/roles')), enabled: rule.kind === 'role' });
  const at = (s: string, within = false) => errorAt(error, `${path}.${s}`, within);
  const deptFields = form.fields.filter((f) => f.kind === 'department' && f.id);
  switch (rule.kind) {
    case 'people':
      return <PeoplePicker label={t('approvals.ed.people')} required value={rule.people ?? []} onChange={(people) => onChange({ people })} error={at('people', true)} />;
    case 'role':
      return (
        <Select
          label={t('approvals.ed.role')}
          required
          data={(roles.data ?? []).map((r) => ({ value: r.id, label: r.name }))}
          value={rule.role_id ?? null}
          onChange={(v) => onChange({ role_id: v ?? undefined })}
          error={at('role_id') ?? (roles.error instanceof Error ? roles.error.message : undefined)}
          searchable
          w={240}
        />
      );
    case 'manager':
    case 'department_head':
      return (
        <Group align="flex-end" wrap="wrap">
          <NumberInput label={t('approvals.ed.levels')} min={1} max={10} value={rule.levels ?? 1} onChange={(v) => onChange({ levels: num(v) })} error={at('levels')} w={120} />
          {rule.kind === 'manager' ? (
            <Switch label={t('approvals.upTo')} checked={!!rule.up_to} onChange={(e) => onChange({ up_to: e.currentTarget.checked })} />
          ) : (
            <Select
              label={t('approvals.ed.ofDepartment')}
              placeholder={t('approvals.ed.primaryDepartment')}
              data={deptFields.map((f) => ({ value: f.id, label: f.label || f.id }))}
              value={rule.field ?? null}
              onChange={(v) => onChange({ field: v ?? undefined })}
              error={at('field')}
              clearable
              w={240}
            />
          )}
        </Group>
      );
    case 'chosen':
      return <NumberInput label={t('approvals.ed.chosenMax')} min={1} max={20} value={rule.max ?? 1} onChange={(v) => onChange({ max: num(v) })} error={at('max')} w={180} />;
    default:
      return null;
  }
}

/** A list of approver or CC rules (their people unioned in order). */
function Rules({ rules, onChange, path, error, form, kinds, label }: { rules: Rule[]; onChange: (r: Rule[]) => void; path: string; error: unknown; form: Form; kinds: RuleKind[]; label: string }) {
  const { t } = useTranslation();
  return (
    <Stack gap="xs" role="group" aria-label={label}>
      <Text size="sm" fw={600}>
        {label}
      </Text>
      {errorAt(error, path) && (
        <Text c="red" size="sm" role="alert">
          {errorAt(error, path)}
        </Text>
      )}
      {rules.map((r, j) => (
        <Group key={j} align="flex-end" wrap="wrap" gap="xs" data-testid={`${path}[${j}]`}>
          <Select
            label={t('approvals.ed.who')}
            data={kinds.map((k) => ({ value: k, label: t(`approvals.rule.${k}`) }))}
            value={r.kind}
            onChange={(k) => k && onChange(rules.map((x, i) => (i === j ? blankRule(k as RuleKind) : x)))}
            allowDeselect={false}
            error={errorAt(error, `${path}[${j}].kind`)}
            w={220}
          />
          <RuleInputs rule={r} onChange={(p) => onChange(patchAt(rules, j, p))} path={`${path}[${j}]`} error={error} form={form} />
          <ActionIcon variant="subtle" color="red" mb={6} onClick={() => onChange(rules.filter((_, i) => i !== j))} aria-label={t('approvals.ed.removeRule', { n: j + 1, list: label })}>
            <IconTrash size={16} />
          </ActionIcon>
        </Group>
      ))}
      <Group>
        <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={() => onChange([...rules, blankRule(kinds[2] ?? kinds[0])])} disabled={rules.length >= 10}>
          {t('approvals.ed.addRule', { list: label })}
        </Button>
      </Group>
    </Stack>
  );
}

/** The flow: steps in order (mode, condition, approvers), who is copied, and the two rules. */
export function FlowEditor({ flow, form, onChange, error }: { flow: Flow; form: Form; onChange: (flow: Flow) => void; error: unknown }) {
  const { t } = useTranslation();
  const nodes = flow.nodes;
  const setNodes = (n: Flow['nodes']) => onChange({ ...flow, nodes: n });
  const names = conditionNames(form);
  return (
    <Stack>
      {errorAt(error, 'flow.nodes') && (
        <Text c="red" size="sm" role="alert">
          {errorAt(error, 'flow.nodes')}
        </Text>
      )}
      {nodes.map((n, i) => {
        const path = `flow.nodes[${i}]`;
        const name = n.name || n.id;
        return (
          <Paper key={i} withBorder p="sm" data-testid={`node-${i}`} component="section" aria-label={t('approvals.ed.stepN', { n: i + 1 })}>
            <Group justify="space-between" mb="xs">
              <Text fw={600} size="sm">
                {t('approvals.ed.stepN', { n: i + 1 })}
                {n.name && `: ${n.name}`}
              </Text>
              <Group gap={4} wrap="nowrap">
                <ActionIcon variant="subtle" disabled={i === 0} onClick={() => setNodes(move(nodes, i, -1))} aria-label={t('approvals.ed.moveUp', { name })}>
                  <IconArrowUp size={16} />
                </ActionIcon>
                <ActionIcon variant="subtle" disabled={i === nodes.length - 1} onClick={() => setNodes(move(nodes, i, 1))} aria-label={t('approvals.ed.moveDown', { name })}>
                  <IconArrowDown size={16} />
                </ActionIcon>
                <ActionIcon variant="subtle" color="red" onClick={() => setNodes(nodes.filter((_, k) => k !== i))} aria-label={t('approvals.ed.remove', { name })}>
                  <IconTrash size={16} />
                </ActionIcon>
              </Group>
            </Group>
            <Stack gap="xs">
              <Group grow align="flex-start" wrap="wrap">
                <TextInput label={t('approvals.ed.stepName')} required value={n.name} onChange={(e) => setNodes(patchAt(nodes, i, { name: e.currentTarget.value }))} error={errorAt(error, `${path}.name`)} miw={180} />
                <TextInput
                  label={t('approvals.ed.stepId')}
                  required
                  value={n.id}
                  onChange={(e) => setNodes(patchAt(nodes, i, { id: e.currentTarget.value }))}
                  error={errorAt(error, `${path}.id`)}
                  styles={{ input: { fontFamily: 'monospace' } }}
                  miw={140}
                />
                <Select
                  label={t('approvals.mode')}
                  data={NODE_MODES.map((m) => ({ value: m, label: t(`approvals.modes.${m}`) }))}
                  value={n.mode}
                  onChange={(m) => m && setNodes(patchAt(nodes, i, { mode: m as typeof n.mode }))}
                  allowDeselect={false}
                  miw={140}
                />
              </Group>
              <TextInput
                label={t('approvals.condition')}
                description={t('approvals.ed.conditionHint', { names: names.slice(0, 12).join(', ') || '—' })}
                placeholder="amount > 1000 and category in [&quot;travel&quot;]"
                value={n.condition ?? ''}
                onChange={(e) => setNodes(patchAt(nodes, i, { condition: e.currentTarget.value }))}
                error={errorAt(error, `${path}.condition`)}
                styles={{ input: { fontFamily: 'monospace' } }}
              />
              <Rules
                rules={n.approvers}
                onChange={(approvers) => setNodes(patchAt(nodes, i, { approvers }))}
                path={`${path}.approvers`}
                error={error}
                form={form}
                kinds={RULE_KINDS}
                label={t('approvals.approvers')}
              />
            </Stack>
          </Paper>
        );
      })}
      <Group>
        <Button variant="light" leftSection={<IconPlus size={16} />} onClick={() => setNodes([...nodes, blankNode(nodes.map((x) => x.id))])} disabled={nodes.length >= 20}>
          {t('approvals.ed.addStep')}
        </Button>
      </Group>
      <Paper withBorder p="sm">
        <Stack gap="sm">
          <Rules rules={flow.cc_on_submit ?? []} onChange={(cc_on_submit) => onChange({ ...flow, cc_on_submit })} path="flow.cc_on_submit" error={error} form={form} kinds={CC_RULE_KINDS} label={t('approvals.ccSubmit')} />
          <Rules rules={flow.cc_on_complete ?? []} onChange={(cc_on_complete) => onChange({ ...flow, cc_on_complete })} path="flow.cc_on_complete" error={error} form={form} kinds={CC_RULE_KINDS} label={t('approvals.ccComplete')} />
          <Group grow align="flex-start" wrap="wrap">
            <Select
              label={t('approvals.ed.whenEmpty')}
              data={(['admins', 'skip'] as const).map((w) => ({ value: w, label: t(`approvals.ed.empty.${w}`) }))}
              value={flow.when_empty ?? 'admins'}
              onChange={(v) => v && onChange({ ...flow, when_empty: v as Flow['when_empty'] })}
              allowDeselect={false}
              miw={240}
            />
            <Select
              label={t('approvals.ed.submitterRule')}
              data={(['auto_approve', 'approve'] as const).map((w) => ({ value: w, label: t(`approvals.ed.self.${w}`) }))}
              value={flow.submitter_is_approver ?? 'auto_approve'}
              onChange={(v) => v && onChange({ ...flow, submitter_is_approver: v as Flow['submitter_is_approver'] })}
              allowDeselect={false}
              miw={240}
            />
          </Group>
        </Stack>
      </Paper>
    </Stack>
  );
}
