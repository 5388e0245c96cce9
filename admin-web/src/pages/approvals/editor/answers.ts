// The chain preview's generated form: answers as the inputs hold them (text, decimal strings,
// dates, choices, rows of a table) and the answers object the API takes, without the empty ones
// (an unanswered optional field is left out; a required one gets the server's "is required").
import type { Schemas } from '../../../api/client';

type Form = Schemas['ApprovalForm'];
type Field = Schemas['ApprovalFormField'];
export type Row = Record<string, string>;
export type Range = { start: string; end: string; start_half?: string; end_half?: string };
export type Values = Record<string, unknown>;

/** Kinds the generated form has inputs for; an attachment is left to the advanced JSON. */
export const GENERATED = new Set(['text', 'long_text', 'number', 'money', 'date', 'date_range', 'single_select', 'multi_select', 'person', 'department', 'table']);

const filled = (v: unknown) => typeof v === 'string' && v.trim() !== '';

/** A sample answer per field, so a preview can run at once. */
export function sampleValues(form: Form, today = new Date().toISOString().slice(0, 10)): Values {
  const out: Values = {};
  for (const f of form.fields) {
    switch (f.kind) {
      case 'text':
      case 'long_text':
        out[f.id] = f.label;
        break;
      case 'number':
        out[f.id] = String(f.min ?? 1);
        break;
      case 'money':
        out[f.id] = '100';
        break;
      case 'date':
        out[f.id] = today;
        break;
      case 'date_range':
        out[f.id] = { start: today, end: today };
        break;
      case 'single_select':
        if (f.options?.length) out[f.id] = f.options[0];
        break;
      case 'multi_select':
        if (f.options?.length) out[f.id] = [f.options[0]];
        break;
      default:
        break;
    }
  }
  return out;
}

function rowAnswer(field: Field, row: Row): Record<string, string> | null {
  const out: Record<string, string> = {};
  for (const c of field.columns ?? []) if (filled(row[c.id])) out[c.id] = row[c.id].trim();
  return Object.keys(out).length ? out : null;
}

/** The answers object for the API: each answered field in the shape its kind takes. */
export function answersOf(form: Form, values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of form.fields) {
    const v = values[f.id];
    switch (f.kind) {
      case 'multi_select':
      case 'attachment':
        if (Array.isArray(v) && v.length) out[f.id] = v;
        break;
      case 'date_range': {
        const r = v as Range | undefined;
        if (r && (filled(r.start) || filled(r.end))) {
          const range: Range = { start: r.start ?? '', end: r.end ?? '' };
          if (f.half_days && r.start_half) range.start_half = r.start_half;
          if (f.half_days && r.end_half) range.end_half = r.end_half;
          out[f.id] = range;
        }
        break;
      }
      case 'table': {
        const rows = Array.isArray(v) ? (v as Row[]).map((r) => rowAnswer(f, r)).filter((r) => r !== null) : [];
        if (rows.length) out[f.id] = rows;
        break;
      }
      default:
        if (filled(v)) out[f.id] = (v as string).trim();
    }
  }
  return out;
}

const asText = (v: unknown): string | undefined => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v && typeof v === 'object' && 'amount' in v) return asText((v as { amount: unknown }).amount);
  return undefined;
};

/** The inputs' values from an answers object (the advanced JSON, back in the generated form). */
export function valuesFrom(form: Form, answers: Record<string, unknown>): Values {
  const out: Values = {};
  for (const f of form.fields) {
    const v = answers[f.id];
    if (v === undefined || v === null) continue;
    switch (f.kind) {
      case 'multi_select':
      case 'attachment':
        if (Array.isArray(v)) out[f.id] = v.map(String);
        break;
      case 'date_range':
        if (typeof v === 'object' && !Array.isArray(v)) out[f.id] = { start: '', end: '', ...(v as Partial<Range>) };
        break;
      case 'table':
        if (Array.isArray(v))
          out[f.id] = v.map((r: unknown) => {
            const row: Row = {};
            if (r && typeof r === 'object') for (const [k, x] of Object.entries(r)) row[k] = asText(x) ?? '';
            return row;
          });
        break;
      default: {
        const s = asText(v);
        if (s !== undefined) out[f.id] = s;
      }
    }
  }
  return out;
}
