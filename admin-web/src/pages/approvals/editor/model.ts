// The visual template editor's data: the server's form and flow shapes (from the generated
// client), blank parts to add, and cleaning so that a saved schema carries only the settings its
// kind uses (the server rejects stray ones). Validation stays on the server: its problem names
// the input at fault (`form.fields[2].options[1]`), and `errorAt` puts its detail on that input.
import { ApiError, type Schemas } from '../../../api/client';

export type Form = Schemas['ApprovalForm'];
export type Field = Schemas['ApprovalFormField'];
export type Column = Schemas['ApprovalFormColumn'];
export type FieldKind = Schemas['ApprovalFieldKind'];
export type Flow = Schemas['ApprovalFlow'];
export type Node = Schemas['ApprovalNode'];
export type Rule = Schemas['ApprovalRule'];
export type RuleKind = Schemas['ApprovalRuleKind'];
export type NodeMode = Schemas['ApprovalNodeMode'];

export const FIELD_KINDS: FieldKind[] = [
  'text',
  'long_text',
  'number',
  'money',
  'date',
  'date_range',
  'single_select',
  'multi_select',
  'person',
  'department',
  'attachment',
  'table',
];
export const COLUMN_KINDS: FieldKind[] = ['text', 'number', 'money', 'date', 'single_select'];
export const RULE_KINDS: RuleKind[] = ['people', 'role', 'manager', 'department_head', 'chosen', 'admins'];
export const CC_RULE_KINDS: RuleKind[] = RULE_KINDS.filter((k) => k !== 'chosen');
export const NODE_MODES: NodeMode[] = ['any_one', 'all', 'sequence'];
/** Common ISO 4217 codes offered for money fields (any three capital letters are accepted). */
export const CURRENCIES = ['VND', 'USD', 'EUR', 'CNY', 'JPY', 'SGD', 'GBP', 'KRW', 'THB', 'AUD'];

type Setting = 'max_length' | 'min' | 'max' | 'decimals' | 'currency' | 'options' | 'max_count' | 'half_days' | 'columns' | 'max_rows';

/** The settings each kind takes (the server's `only(...)` lists). */
export const SETTINGS: Record<FieldKind, Setting[]> = {
  text: ['max_length'],
  long_text: ['max_length'],
  number: ['min', 'max', 'decimals'],
  money: ['min', 'max', 'currency'],
  date: [],
  person: [],
  department: [],
  date_range: ['max', 'half_days'],
  single_select: ['options'],
  multi_select: ['options', 'max_count'],
  attachment: ['max_count'],
  table: ['columns', 'max_rows'],
};

export const RULE_SETTINGS: Record<RuleKind, (keyof Rule)[]> = {
  people: ['people'],
  role: ['role_id'],
  manager: ['levels', 'up_to'],
  department_head: ['levels', 'field'],
  chosen: ['max'],
  admins: [],
};

const present = (v: unknown) =>
  v !== undefined && v !== null && v !== '' && v !== false && !(typeof v === 'number' && Number.isNaN(v));

/** An id from a label: `Trip cost` → `trip_cost`, unique among `taken` (`trip_cost_2`, …). */
export function suggestId(label: string, taken: string[], fallback = 'field'): string {
  let base = label
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/gi, 'd')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .replace(/_+$/, '')
    .slice(0, 36);
  if (!base || ['and', 'or', 'not', 'in', 'contains', 'true', 'false'].includes(base)) base = fallback;
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}_${n}`;
  return id;
}

export function blankColumn(taken: string[]): Column {
  return { id: suggestId('column', taken, 'column'), label: '', kind: 'text', required: false };
}

export function blankField(kind: FieldKind, taken: string[]): Field {
  const f: Field = { id: suggestId(kind, taken), label: '', kind, required: false, half_days: false };
  if (kind === 'money') f.currency = 'VND';
  if (kind === 'single_select' || kind === 'multi_select') f.options = [];
  if (kind === 'table') f.columns = [blankColumn([])];
  return f;
}

/** A column with only what its kind uses. */
export function cleanColumn(c: Column): Column {
  const allowed = SETTINGS[c.kind] ?? [];
  const out: Column = { id: c.id.trim(), label: c.label, kind: c.kind, required: !!c.required };
  if (c.help?.trim()) out.help = c.help;
  for (const k of allowed) {
    const v = (c as Record<string, unknown>)[k];
    if (present(v)) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** A field with only what its kind uses (its table columns cleaned too). */
export function cleanField(f: Field): Field {
  const allowed = SETTINGS[f.kind] ?? [];
  const out: Field = { id: f.id.trim(), label: f.label, kind: f.kind, required: !!f.required, half_days: false };
  if (f.help?.trim()) out.help = f.help;
  for (const k of allowed) {
    const v = f[k];
    if (!present(v)) continue;
    if (k === 'columns') out.columns = (v as Column[]).map(cleanColumn);
    else (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

export function cleanForm(form: Form): Form {
  return { fields: form.fields.map(cleanField) };
}

export function blankRule(kind: RuleKind): Rule {
  const r: Rule = { kind, up_to: false };
  if (kind === 'people') r.people = [];
  return r;
}

export function cleanRule(r: Rule): Rule {
  const out: Rule = { kind: r.kind, up_to: false };
  for (const k of RULE_SETTINGS[r.kind] ?? []) {
    const v = r[k];
    if (present(v)) (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

export function blankNode(taken: string[]): Node {
  return { id: suggestId('step', taken, 'step'), name: '', mode: 'any_one', approvers: [blankRule('manager')] };
}

export function cleanFlow(flow: Flow): Flow {
  return {
    nodes: flow.nodes.map((n) => {
      const out: Node = { id: n.id.trim(), name: n.name, mode: n.mode, approvers: n.approvers.map(cleanRule) };
      if (n.condition?.trim()) out.condition = n.condition.trim();
      return out;
    }),
    cc_on_submit: (flow.cc_on_submit ?? []).map(cleanRule),
    cc_on_complete: (flow.cc_on_complete ?? []).map(cleanRule),
    when_empty: flow.when_empty ?? 'admins',
    submitter_is_approver: flow.submitter_is_approver ?? 'auto_approve',
  };
}

/** The flow as the editor holds it: every optional list and choice filled with its default. */
export function normalFlow(flow: Partial<Flow> | undefined): Flow {
  return {
    nodes: flow?.nodes ?? [],
    cc_on_submit: flow?.cc_on_submit ?? [],
    cc_on_complete: flow?.cc_on_complete ?? [],
    when_empty: flow?.when_empty ?? 'admins',
    submitter_is_approver: flow?.submitter_is_approver ?? 'auto_approve',
  };
}

/**
 * The server's detail when its problem names this input: exactly `path`, or (with `within`)
 * something inside it (`form.fields[0].options[2]` is within `form.fields[0].options`).
 */
export function errorAt(err: unknown, path: string, within = false): string | undefined {
  if (!(err instanceof ApiError)) return undefined;
  const f = err.problem.field;
  if (!f) return undefined;
  if (f === path || (within && (f.startsWith(`${path}[`) || f.startsWith(`${path}.`)))) return err.problem.detail || err.message;
  return undefined;
}

/** Which editor tab holds the input a problem names. */
export function tabOf(err: unknown): 'general' | 'form' | 'flow' | null {
  if (!(err instanceof ApiError)) return null;
  const f = err.problem.field ?? '';
  if (f === 'icon' || f.startsWith('submitters') || f.startsWith('attendance')) return 'general';
  if (f.startsWith('form')) return 'form';
  if (f.startsWith('flow')) return 'flow';
  return null;
}

/** Move item `i` of a list by `by` places (±1), or leave it where it is at an end. */
export function move<T>(list: T[], i: number, by: number): T[] {
  const j = i + by;
  if (j < 0 || j >= list.length) return list;
  const out = [...list];
  [out[i], out[j]] = [out[j], out[i]];
  return out;
}

/** Replace item `i` of a list with `patch` applied. */
export function patchAt<T>(list: T[], i: number, patch: Partial<T>): T[] {
  return list.map((x, k) => (k === i ? { ...x, ...patch } : x));
}

/** Condition hints: the ids a condition may name for each field (see the server's expr.rs). */
export function conditionNames(form: Form): string[] {
  const out: string[] = [];
  for (const f of form.fields) {
    if (!f.id) continue;
    if (f.kind === 'date_range') out.push(f.id, `${f.id}.days`, `${f.id}.start`, `${f.id}.end`);
    else if (f.kind === 'table') {
      out.push(`${f.id}.rows`);
      for (const c of f.columns ?? []) if (c.kind === 'number' || c.kind === 'money') out.push(`${f.id}.${c.id}`);
    } else out.push(f.id);
  }
  return out;
}
