import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../api/client';
import { answersOf, sampleValues, valuesFrom } from './answers';
import { cleanAttendance, noSubmitters, submittersFrom, submittersTo } from './general';
import { tabOf, type Form } from './model';

describe('submitters', () => {
  it('none or everyone reads as everyone, and saves as everyone', () => {
    expect(submittersFrom([]).everyone).toBe(true);
    expect(submittersFrom(undefined).everyone).toBe(true);
    const s = submittersFrom([{ kind: 'everyone', subtree: false }]);
    expect(submittersTo(s)).toEqual([{ kind: 'everyone', subtree: false }]);
  });
  it('departments and roles round-trip, with or without sub-departments', () => {
    const api = [
      { kind: 'department' as const, id: 'd1', subtree: false },
      { kind: 'role' as const, id: 'r1', subtree: false },
    ];
    const s = submittersFrom(api);
    expect(s).toEqual({ everyone: false, departments: ['d1'], subtree: false, roles: ['r1'] });
    expect(submittersTo(s)).toEqual(api);
    expect(submittersTo({ ...s, subtree: true })[0]).toEqual({ kind: 'department', id: 'd1', subtree: true });
  });
  it('choosing nobody is caught before saving (the API would read it as everyone)', () => {
    expect(noSubmitters({ everyone: false, departments: [], subtree: true, roles: [] })).toBe(true);
    expect(noSubmitters({ everyone: false, departments: [], subtree: true, roles: ['r'] })).toBe(false);
    expect(noSubmitters({ everyone: true, departments: [], subtree: true, roles: [] })).toBe(false);
  });
  it('an attendance link without a kind or a field is none', () => {
    expect(cleanAttendance(null)).toBeNull();
    expect(cleanAttendance({ kind: 'leave', field: '' })).toBeNull();
    expect(cleanAttendance({ kind: 'trip', field: 'when' })).toEqual({ kind: 'trip', field: 'when' });
  });
  it('general problems open the General tab', () => {
    expect(tabOf(new ApiError(422, { field: 'submitters' }))).toBe('general');
    expect(tabOf(new ApiError(422, { field: 'attendance.field' }))).toBe('general');
    expect(tabOf(new ApiError(422, { field: 'icon' }))).toBe('general');
  });
});

const FORM: Form = {
  fields: [
    { id: 'amount', label: 'Amount', kind: 'money', currency: 'USD', required: true, half_days: false },
    { id: 'n', label: 'N', kind: 'number', required: false, half_days: false },
    { id: 'why', label: 'Why', kind: 'long_text', required: false, half_days: false },
    { id: 'when', label: 'When', kind: 'date_range', required: true, half_days: true },
    { id: 'tags', label: 'Tags', kind: 'multi_select', options: ['a', 'b'], required: false, half_days: false },
    {
      id: 'items',
      label: 'Items',
      kind: 'table',
      required: false,
      half_days: false,
      columns: [
        { id: 'what', label: 'What', kind: 'text', required: true },
        { id: 'cost', label: 'Cost', kind: 'money', currency: 'USD', required: true },
      ],
    },
  ],
};

describe('preview answers', () => {
  it('samples fill what can be filled, numbers as the inputs hold them', () => {
    expect(sampleValues(FORM, '2026-11-27')).toEqual({
      amount: '100',
      n: '1',
      why: 'Why',
      when: { start: '2026-11-27', end: '2026-11-27' },
      tags: ['a'],
    });
  });
  it('answers leave out the unanswered: blank text, empty lists, blank rows, blank ranges', () => {
    const a = answersOf(FORM, {
      amount: ' 750 ',
      n: '',
      why: '   ',
      when: { start: '', end: '' },
      tags: [],
      items: [{ what: 'Laptop', cost: '700' }, { what: '', cost: '' }],
    });
    expect(a).toEqual({ amount: '750', items: [{ what: 'Laptop', cost: '700' }] });
  });
  it('half days are sent only when the field takes them and one is chosen', () => {
    const when = { start: '2026-12-01', end: '2026-12-02', start_half: 'pm', end_half: undefined };
    expect(answersOf(FORM, { when }).when).toEqual({ start: '2026-12-01', end: '2026-12-02', start_half: 'pm' });
    const whole: Form = { fields: [{ ...FORM.fields[3], half_days: false }] };
    expect(answersOf(whole, { when }).when).toEqual({ start: '2026-12-01', end: '2026-12-02' });
  });
  it('JSON answers come back into the inputs (money objects, numbers, rows)', () => {
    const v = valuesFrom(FORM, {
      amount: { amount: '12.50', currency: 'USD' },
      n: 3,
      when: { start: '2026-12-01', end: '2026-12-01' },
      tags: ['b'],
      items: [{ what: 'Desk', cost: 99 }],
      junk: 'ignored',
    });
    expect(v).toEqual({
      amount: '12.50',
      n: '3',
      when: { start: '2026-12-01', end: '2026-12-01' },
      tags: ['b'],
      items: [{ what: 'Desk', cost: '99' }],
    });
    expect(answersOf(FORM, v)).toEqual({ amount: '12.50', n: '3', when: { start: '2026-12-01', end: '2026-12-01' }, tags: ['b'], items: [{ what: 'Desk', cost: '99' }] });
  });
});
