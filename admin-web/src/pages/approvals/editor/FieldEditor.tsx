import { ActionIcon, Autocomplete, Button, Group, NumberInput, Paper, Select, Stack, Switch, TagsInput, Text, TextInput } from '@mantine/core';
import { IconArrowDown, IconArrowUp, IconPlus, IconTrash } from '@tabler/icons-react';
import { useTranslation } from 'react-i18next';
import { blankColumn, blankField, COLUMN_KINDS, CURRENCIES, errorAt, FIELD_KINDS, move, patchAt, SETTINGS, type Column, type Field, type FieldKind } from './model';

/** A NumberInput value as the API wants it: a number, or absent when blank. */
export function num(v: string | number): number | undefined {
  if (v === '' || v === null || v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

type Part = Field | Column;

/** The inputs of one field or column: id, label, kind, required, help and its kind's settings. */
function PartInputs<T extends Part>({
  value,
  onChange,
  path,
  error,
  kinds,
}: {
  value: T;
  onChange: (patch: Partial<T>) => void;
  path: string;
  error: unknown;
  kinds: FieldKind[];
}) {
  const { t } = useTranslation();
  const has = (s: string) => (SETTINGS[value.kind] as string[]).includes(s);
  const at = (s: string, within = false) => errorAt(error, `${path}.${s}`, within);
  const f = value as Field;
  return (
    <Stack gap="xs">
      <Group grow align="flex-start" wrap="wrap">
        <TextInput label={t('approvals.ed.label')} required value={value.label} onChange={(e) => onChange({ label: e.currentTarget.value } as Partial<T>)} error={at('label')} miw={180} />
        <TextInput
          label={t('approvals.fieldId')}
          description={t('approvals.ed.idHint')}
          required
          value={value.id}
          onChange={(e) => onChange({ id: e.currentTarget.value } as Partial<T>)}
          error={at('id')}
          styles={{ input: { fontFamily: 'monospace' } }}
          miw={160}
        />
        <Select
          label={t('approvals.kind')}
          data={kinds.map((k) => ({ value: k, label: t(`approvals.kinds.${k}`) }))}
          value={value.kind}
          onChange={(k) => {
            if (!k) return;
            const fresh = blankField(k as FieldKind, []);
            onChange({ kind: k as FieldKind, options: value.options ?? fresh.options, currency: value.currency ?? fresh.currency, ...(k === 'table' ? { columns: f.columns ?? fresh.columns } : {}) } as Partial<T>);
          }}
          allowDeselect={false}
          error={at('kind')}
          miw={160}
        />
      </Group>
      <Group align="flex-end" wrap="wrap">
        <Switch label={t('approvals.required')} checked={!!value.required} onChange={(e) => onChange({ required: e.currentTarget.checked } as Partial<T>)} />
        {has('max_length') && (
          <NumberInput label={t('approvals.ed.maxLength')} min={1} value={value.max_length ?? ''} onChange={(v) => onChange({ max_length: num(v) } as Partial<T>)} error={at('max_length')} w={150} />
        )}
        {has('min') && (
          <NumberInput label={t('approvals.ed.min')} value={value.min ?? ''} onChange={(v) => onChange({ min: num(v) } as Partial<T>)} error={at('min')} w={150} />
        )}
        {has('max') && (
          <NumberInput
            label={value.kind === 'date_range' ? t('approvals.ed.maxDays') : t('approvals.ed.max')}
            step={value.kind === 'date_range' ? 0.5 : undefined}
            value={value.max ?? ''}
            onChange={(v) => onChange({ max: num(v) } as Partial<T>)}
            error={at('max')}
            w={150}
          />
        )}
        {has('decimals') && (
          <NumberInput label={t('approvals.ed.decimals')} min={0} max={6} value={value.decimals ?? ''} onChange={(v) => onChange({ decimals: num(v) } as Partial<T>)} error={at('decimals')} w={130} />
        )}
        {has('currency') && (
          <Autocomplete
            label={t('approvals.ed.currency')}
            required
            data={CURRENCIES}
            value={value.currency ?? ''}
            onChange={(v) => onChange({ currency: v.toUpperCase() } as Partial<T>)}
            error={at('currency')}
            w={130}
          />
        )}
        {has('max_count') && (
          <NumberInput
            label={value.kind === 'attachment' ? t('approvals.ed.maxFiles') : t('approvals.ed.maxChosen')}
            min={1}
            value={f.max_count ?? ''}
            onChange={(v) => onChange({ max_count: num(v) } as unknown as Partial<T>)}
            error={at('max_count')}
            w={150}
          />
        )}
        {has('max_rows') && (
          <NumberInput label={t('approvals.ed.maxRows')} min={1} max={200} value={f.max_rows ?? ''} onChange={(v) => onChange({ max_rows: num(v) } as unknown as Partial<T>)} error={at('max_rows')} w={150} />
        )}
        {has('half_days') && (
          <Switch label={t('approvals.ed.halfDays')} checked={!!f.half_days} onChange={(e) => onChange({ half_days: e.currentTarget.checked } as unknown as Partial<T>)} />
        )}
      </Group>
      {has('options') && (
        <TagsInput
          label={t('approvals.ed.options')}
          description={t('approvals.ed.optionsHint')}
          required
          value={value.options ?? []}
          onChange={(v) => onChange({ options: v } as Partial<T>)}
          error={at('options', true)}
          splitChars={[',', '|']}
          clearable
        />
      )}
      <TextInput label={t('approvals.ed.help')} value={value.help ?? ''} onChange={(e) => onChange({ help: e.currentTarget.value } as Partial<T>)} error={at('help')} />
    </Stack>
  );
}

function Mover({ i, n, name, onMove, onRemove }: { i: number; n: number; name: string; onMove: (by: number) => void; onRemove: () => void }) {
  const { t } = useTranslation();
  return (
    <Group gap={4} wrap="nowrap">
      <ActionIcon variant="subtle" disabled={i === 0} onClick={() => onMove(-1)} aria-label={t('approvals.ed.moveUp', { name })}>
        <IconArrowUp size={16} />
      </ActionIcon>
      <ActionIcon variant="subtle" disabled={i === n - 1} onClick={() => onMove(1)} aria-label={t('approvals.ed.moveDown', { name })}>
        <IconArrowDown size={16} />
      </ActionIcon>
      <ActionIcon variant="subtle" color="red" onClick={onRemove} aria-label={t('approvals.ed.remove', { name })}>
        <IconTrash size={16} />
      </ActionIcon>
    </Group>
  );
}

function Columns({ field, onChange, path, error }: { field: Field; onChange: (cols: Column[]) => void; path: string; error: unknown }) {
  const { t } = useTranslation();
  const cols = field.columns ?? [];
  return (
    <Stack gap="xs">
      <Text fw={600} size="sm">
        {t('approvals.ed.columns')}
      </Text>
      {errorAt(error, `${path}.columns`) && (
        <Text c="red" size="sm" role="alert">
          {errorAt(error, `${path}.columns`)}
        </Text>
      )}
      {cols.map((c, j) => (
        <Paper key={j} withBorder p="xs" data-testid={`column-${j}`}>
          <Group justify="space-between" mb={4}>
            <Text size="sm" c="dimmed">
              {t('approvals.ed.columnN', { n: j + 1 })}
            </Text>
            <Mover i={j} n={cols.length} name={c.label || c.id} onMove={(by) => onChange(move(cols, j, by))} onRemove={() => onChange(cols.filter((_, k) => k !== j))} />
          </Group>
          <PartInputs value={c} onChange={(p) => onChange(patchAt(cols, j, p))} path={`${path}.columns[${j}]`} error={error} kinds={COLUMN_KINDS} />
        </Paper>
      ))}
      <Group>
        <Button size="xs" variant="light" leftSection={<IconPlus size={14} />} onClick={() => onChange([...cols, blankColumn(cols.map((c) => c.id))])} disabled={cols.length >= 20}>
          {t('approvals.ed.addColumn')}
        </Button>
      </Group>
    </Stack>
  );
}

/** The form's fields: each with its inputs, moved up and down, removed; new ones added by kind. */
export function FormEditor({ fields, onChange, error }: { fields: Field[]; onChange: (fields: Field[]) => void; error: unknown }) {
  const { t } = useTranslation();
  return (
    <Stack>
      {errorAt(error, 'form.fields') && (
        <Text c="red" size="sm" role="alert">
          {errorAt(error, 'form.fields')}
        </Text>
      )}
      {fields.map((f, i) => {
        const path = `form.fields[${i}]`;
        return (
          <Paper key={i} withBorder p="sm" data-testid={`field-${i}`} aria-label={t('approvals.ed.fieldN', { n: i + 1 })} component="section">
            <Group justify="space-between" mb="xs">
              <Text fw={600} size="sm">
                {t('approvals.ed.fieldN', { n: i + 1 })}
                {f.label && `: ${f.label}`}
              </Text>
              <Mover i={i} n={fields.length} name={f.label || f.id} onMove={(by) => onChange(move(fields, i, by))} onRemove={() => onChange(fields.filter((_, k) => k !== i))} />
            </Group>
            <PartInputs value={f} onChange={(p) => onChange(patchAt(fields, i, p))} path={path} error={error} kinds={FIELD_KINDS} />
            {f.kind === 'table' && <Columns field={f} onChange={(columns) => onChange(patchAt(fields, i, { columns }))} path={path} error={error} />}
          </Paper>
        );
      })}
      <Group>
        <Select
          aria-label={t('approvals.ed.addField')}
          placeholder={t('approvals.ed.addField')}
          data={FIELD_KINDS.map((k) => ({ value: k, label: t(`approvals.kinds.${k}`) }))}
          value={null}
          onChange={(k) => k && onChange([...fields, blankField(k as FieldKind, fields.map((x) => x.id))])}
          leftSection={<IconPlus size={14} />}
          disabled={fields.length >= 50}
          w={240}
        />
      </Group>
    </Stack>
  );
}
