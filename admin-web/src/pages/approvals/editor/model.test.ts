import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../api/client';
import { spanDays, spanText } from '../../attendance/Excused';
import { blankField, cleanField, cleanFlow, cleanRule, conditionNames, errorAt, move, normalFlow, suggestId, tabOf, type Field, type Form } from './model';

describe('template editor model', () => {
  it('suggests ids the server accepts, unique in the form', () => {
    expect(suggestId('Trip cost', [])).toBe('trip_cost');
    expect(suggestId('Số tiền đề nghị', [])).toBe('so_tien_de_nghi');
    expect(suggestId('2 Items!', ['items'])).toBe('items_2');
    expect(suggestId('and', [])).toBe('field');
    expect(suggestId('', ['field', 'field_2'])).toBe('field_3');
  });

  it('keeps only the settings a kind uses (the server rejects stray ones)', () => {
    const f: Field = { ...blankField('money', []), id: ' amount ', label: 'Amount', max_length: 10, options: ['a'], min: 0, max: 5000, help: '  ' };
    expect(cleanField(f)).toEqual({ id: 'amount', label: 'Amount', kind: 'money', required: false, half_days: false, currency: 'VND', min: 0, max: 5000 });
    // Changing a select into a text drops its options; a blank number is absent, not NaN.
    const s: Field = { ...blankField('single_select', []), options: ['x', 'y'], kind: 'text', max_length: Number.NaN };
    expect(cleanField(s)).toEqual({ id: 'single_select', label: '', kind: 'text', required: false, half_days: false });
    const tbl = cleanField({ ...blankField('table', []), columns: [{ id: 'cost', label: 'Cost', kind: 'number', decimals: 0, options: ['z'], required: true }] });
    expect(tbl.columns).toEqual([{ id: 'cost', label: 'Cost', kind: 'number', decimals: 0, required: true }]);
    expect(cleanField({ ...blankField('date_range', []), half_days: true, max: 10 })).toMatchObject({ half_days: true, max: 10 });
  });

  it('cleans rules and flows, with the defaults filled', () => {
    expect(cleanRule({ kind: 'manager', levels: 2, up_to: true, people: ['p'], max: 3 })).toEqual({ kind: 'manager', levels: 2, up_to: true });
    expect(cleanRule({ kind: 'department_head', up_to: true, field: 'dept' })).toEqual({ kind: 'department_head', up_to: false, field: 'dept' });
    const flow = cleanFlow(normalFlow({ nodes: [{ id: 'a', name: 'A', mode: 'all', condition: '  ', approvers: [{ kind: 'admins', up_to: false, levels: 1 }] }] }));
    expect(flow).toEqual({
      nodes: [{ id: 'a', name: 'A', mode: 'all', approvers: [{ kind: 'admins', up_to: false }] }],
      cc_on_submit: [],
      cc_on_complete: [],
      when_empty: 'admins',
      submitter_is_approver: 'auto_approve',
    });
  });

  it('puts the server’s problem on the input it names, and opens its tab', () => {
    const e = new ApiError(422, { code: 'validation_failed', detail: 'options are unique', field: 'form.fields[1].options[2]' });
    expect(errorAt(e, 'form.fields[1].options')).toBeUndefined();
    expect(errorAt(e, 'form.fields[1].options', true)).toBe('options are unique');
    expect(errorAt(e, 'form.fields[1].options[2]')).toBe('options are unique');
    expect(errorAt(e, 'form.fields[11].options', true)).toBeUndefined();
    expect(errorAt(new Error('x'), 'form')).toBeUndefined();
    expect(tabOf(e)).toBe('form');
    expect(tabOf(new ApiError(422, { field: 'flow.nodes[0].condition' }))).toBe('flow');
    expect(tabOf(new ApiError(422, { field: 'name' }))).toBeNull();
  });

  it('moves items and names what conditions may use', () => {
    expect(move([1, 2, 3], 0, 1)).toEqual([2, 1, 3]);
    expect(move([1, 2, 3], 0, -1)).toEqual([1, 2, 3]);
    expect(
      conditionNames({
        fields: [
          { id: 'amount', label: '', kind: 'money', currency: 'USD' },
          { id: 'leave', label: '', kind: 'date_range' },
          { id: 'items', label: '', kind: 'table', columns: [{ id: 'cost', label: '', kind: 'money' }, { id: 'what', label: '', kind: 'text' }] },
        ],
      } as unknown as Form),
    ).toEqual(['amount', 'leave', 'leave.days', 'leave.start', 'leave.end', 'items.rows', 'items.cost']);
  });
});

describe('excused spans', () => {
  it('reads as one day or a range, and counts calendar days', () => {
    expect(spanText({ first_date: '2026-03-02', last_date: '2026-03-02' })).toBe('2026-03-02');
    expect(spanText({ first_date: '2026-03-02', last_date: '2026-03-04' })).toBe('2026-03-02 – 2026-03-04');
    expect(spanDays({ first_date: '2026-02-27', last_date: '2026-03-02' })).toBe(4);
    expect(spanDays({ first_date: 'x', last_date: '2026-03-02' })).toBe(0);
  });
});
