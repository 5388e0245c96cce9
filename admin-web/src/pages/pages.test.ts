import { describe, expect, it } from 'vitest';
import { audienceOf } from './announcements/Announcements';
import { sampleValues } from './approvals/editor/answers';
import { NEW_FORM, parseJson, toJson } from './approvals/editor/TemplateEditor';
import { lastMonth } from './attendance/Attendance';
import { departmentOptions } from './directory/Directory';

const node = (id: string, name: string, depth: number) => ({
  id,
  name,
  depth,
  member_count: 0,
  total_member_count: 0,
  child_count: 0,
  descendant_count: 0,
});

describe('feature pages', () => {
  it('names departments by their path in the tree', () => {
    const opts = departmentOptions([node('s', 'Sales', 0), node('n', 'North', 1), node('x', 'Hanoi', 2), node('o', 'Ops', 0), node('w', 'West', 1)]);
    expect(opts.map((o) => o.label)).toEqual(['Sales', 'Sales › North', 'Sales › North › Hanoi', 'Ops', 'Ops › West']);
    expect(opts[2].value).toBe('x');
  });
  it('an audience is everyone or departments with their sub-departments', () => {
    expect(audienceOf(true, ['a'])).toEqual([{ kind: 'everyone', subtree: null }]);
    expect(audienceOf(false, ['a', 'b'])).toEqual([
      { kind: 'department', id: 'a', subtree: true },
      { kind: 'department', id: 'b', subtree: true },
    ]);
  });
  it('sample answers fill what can be filled', () => {
    const a = sampleValues({
      fields: [
        ...(NEW_FORM.fields as never[]),
        { id: 'pick', label: 'Pick', kind: 'single_select', options: ['x', 'y'] } as never,
        { id: 'who', label: 'Who', kind: 'person' } as never,
      ],
    });
    expect(a).toEqual({ amount: '100', reason: 'Reason', pick: 'x' });
  });
  it('JSON errors are reported, not thrown', () => {
    expect(parseJson('{"a":1}').value).toEqual({ a: 1 });
    expect(parseJson('{a').error).toBeTruthy();
    expect(JSON.parse(toJson({ a: 1, b: null, c: [{ d: null, e: false }] }))).toEqual({ a: 1, c: [{ e: false }] });
  });
  it('the export month defaults to last month', () => {
    expect(lastMonth(new Date(2026, 0, 15))).toBe('2025-12');
    expect(lastMonth(new Date(2026, 10, 27))).toBe('2026-10');
  });
});
