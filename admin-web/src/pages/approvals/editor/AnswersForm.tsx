import { ActionIcon, Button, Fieldset, Group, MultiSelect, Select, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { IconTrash } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../../api/client';
import { departmentOptions } from '../../directory/Directory';
import { GENERATED, type Range, type Row, type Values } from './answers';
import { errorAt } from './model';
import { PeoplePicker } from './PeoplePicker';

type Form = Schemas['ApprovalForm'];
type Field = Schemas['ApprovalFormField'];
type Column = Schemas['ApprovalFormColumn'];

const HALVES = ['', 'am', 'pm'];

function Scalar({ f, value, onChange, error }: { f: Field | Column; value: unknown; onChange: (v: string) => void; error?: string }) {
  const s = typeof value === 'string' ? value : '';
  const label = f.label || f.id;
  const common = { label, required: !!f.required, error, value: s, miw: 160 };
  switch (f.kind) {
    case 'long_text':
      return <Textarea {...common} autosize minRows={2} onChange={(e) => onChange(e.currentTarget.value)} />;
    case 'number':
    case 'money':
      return (
        <TextInput
          {...common}
          inputMode="decimal"
          rightSection={f.kind === 'money' ? <Text size="xs">{f.currency}</Text> : undefined}
          rightSectionWidth={48}
          onChange={(e) => onChange(e.currentTarget.value)}
        />
      );
    case 'date':
      return <TextInput {...common} type="date" onChange={(e) => onChange(e.currentTarget.value)} />;
    case 'single_select':
      return <Select {...common} value={s || null} data={f.options ?? []} onChange={(v) => onChange(v ?? '')} clearable />;
    default:
      return <TextInput {...common} onChange={(e) => onChange(e.currentTarget.value)} />;
  }
}

function TableInput({ f, rows, onChange, error }: { f: Field; rows: Row[]; onChange: (rows: Row[]) => void; error: unknown }) {
  const { t } = useTranslation();
  return (
    <Fieldset legend={f.label || f.id}>
      <Stack gap="xs">
        {rows.map((row, i) => (
          <Group key={i} align="flex-end" wrap="wrap" role="group" aria-label={t('approvals.ed.rowN', { name: f.label || f.id, n: i + 1 })}>
            {(f.columns ?? []).map((c) => (
              <Scalar key={c.id} f={c} value={row[c.id]} onChange={(v) => onChange(rows.map((r, k) => (k === i ? { ...r, [c.id]: v } : r)))} error={errorAt(error, `answers.${f.id}[${i}].${c.id}`)} />
            ))}
            <ActionIcon variant="subtle" color="red" aria-label={t('approvals.ed.removeRow', { n: i + 1 })} onClick={() => onChange(rows.filter((_, k) => k !== i))} mb={4}>
              <IconTrash size={16} />
            </ActionIcon>
          </Group>
        ))}
        <Text size="sm" c="red">
          {errorAt(error, `answers.${f.id}`)}
        </Text>
        <Group>
          <Button variant="light" size="xs" onClick={() => onChange([...rows, {}])}>
            {t('approvals.ed.addRow')}
          </Button>
        </Group>
      </Stack>
    </Fieldset>
  );
}

/** One typed input per field of the form (the answers a submitter would give), for the chain preview. */
export function AnswersForm({ form, values, onChange, error }: { form: Form; values: Values; onChange: (v: Values) => void; error: unknown }) {
  const { t } = useTranslation();
  const needsDepts = form.fields.some((f) => f.kind === 'department');
  const chart = useQuery({ queryKey: ['directory', 'chart'], enabled: needsDepts, queryFn: () => call(api.GET('/directory/chart')) });
  const set = (id: string, v: unknown) => onChange({ ...values, [id]: v });
  const skipped = form.fields.filter((f) => !GENERATED.has(f.kind));
  return (
    <Stack gap="sm">
      {form.fields
        .filter((f) => GENERATED.has(f.kind))
        .map((f) => {
          const at = errorAt(error, `answers.${f.id}`);
          const v = values[f.id];
          switch (f.kind) {
            case 'multi_select':
              return <MultiSelect key={f.id} label={f.label || f.id} required={!!f.required} data={f.options ?? []} value={Array.isArray(v) ? (v as string[]) : []} onChange={(x) => set(f.id, x)} error={at} />;
            case 'person':
              return <PeoplePicker key={f.id} label={f.label || f.id} required={!!f.required} value={typeof v === 'string' && v ? [v] : []} onChange={(ids) => set(f.id, ids[ids.length - 1] ?? '')} error={at} />;
            case 'department':
              return <Select key={f.id} label={f.label || f.id} required={!!f.required} data={departmentOptions(chart.data?.nodes ?? [])} value={typeof v === 'string' && v ? v : null} onChange={(x) => set(f.id, x ?? '')} error={at} searchable clearable />;
            case 'date_range': {
              const r = (v as Range | undefined) ?? { start: '', end: '' };
              const part = (p: Partial<Range>) => set(f.id, { ...r, ...p });
              return (
                <Fieldset key={f.id} legend={f.label || f.id}>
                  <Group align="flex-start" wrap="wrap">
                    <TextInput type="date" label={t('approvals.ed.start')} required={!!f.required} value={r.start} onChange={(e) => part({ start: e.currentTarget.value })} error={errorAt(error, `answers.${f.id}.start`) ?? at} />
                    {f.half_days && <Select label={t('approvals.ed.startHalf')} data={HALVES.map((h) => ({ value: h, label: h ? t(`approvals.ed.half.${h}`) : t('approvals.ed.wholeDay') }))} value={r.start_half ?? ''} onChange={(x) => part({ start_half: x || undefined })} allowDeselect={false} w={160} />}
                    <TextInput type="date" label={t('approvals.ed.end')} required={!!f.required} value={r.end} onChange={(e) => part({ end: e.currentTarget.value })} error={errorAt(error, `answers.${f.id}.end`)} />
                    {f.half_days && <Select label={t('approvals.ed.endHalf')} data={HALVES.map((h) => ({ value: h, label: h ? t(`approvals.ed.half.${h}`) : t('approvals.ed.wholeDay') }))} value={r.end_half ?? ''} onChange={(x) => part({ end_half: x || undefined })} allowDeselect={false} w={160} />}
                  </Group>
                </Fieldset>
              );
            }
            case 'table':
              return <TableInput key={f.id} f={f} rows={Array.isArray(v) ? (v as Row[]) : []} onChange={(rows) => set(f.id, rows)} error={error} />;
            default:
              return <Scalar key={f.id} f={f} value={v} onChange={(x) => set(f.id, x)} error={at} />;
          }
        })}
      {skipped.length > 0 && (
        <Text size="sm" c="dimmed">
          {t('approvals.ed.notGenerated', { names: skipped.map((f) => f.label || f.id).join(', ') })}
        </Text>
      )}
    </Stack>
  );
}
