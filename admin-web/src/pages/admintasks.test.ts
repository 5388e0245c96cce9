import { describe, expect, it } from 'vitest';
import { mappingProblems, mappingToSave } from './Settings';
import { eventful, parseReport } from './retention/RunReport';
import { resourceBody } from './meetings/MeetingResources';
import { placeText } from './bulletin/BulletinModeration';

describe('SSO group-to-role mapping', () => {
  it('flags half-filled rows and ignores empty ones', () => {
    const rows = [
      { group: 'staff', role_id: 'r1' },
      { group: '', role_id: '' },
      { group: 'ops', role_id: '' },
      { group: '  ', role_id: 'r2' },
    ];
    expect(mappingProblems(rows)).toEqual([null, null, 'role', 'group']);
  });
  it('sends the complete rows, trimmed', () => {
    expect(
      mappingToSave([
        { group: ' /acme/staff ', role_id: 'r1' },
        { group: '', role_id: '' },
      ]),
    ).toEqual([{ group: '/acme/staff', role_id: 'r1' }]);
  });
});

describe('retention run reports', () => {
  it('reads the stored report: classes, holds, totals', () => {
    const r = parseReport({
      dry_run: false,
      classes: [
        { class: 'trash', days: 0, items: 2, rows: 2, blobs: 2, bytes: 40, index_entries: 2, held: [], duration_ms: 12, error: null },
        { class: 'notes', days: null, items: 0, rows: 0, blobs: 0, bytes: 0, index_entries: 0, held: [{ hold_id: 'h', name: 'Case', items: 3 }], duration_ms: 1, error: null },
        { class: 'tasks', days: 30, items: 0, rows: 0, blobs: 0, bytes: 0, index_entries: 0, held: [], duration_ms: 1, error: null },
      ],
      totals: { items: 2, rows: 2, blobs: 2, bytes: 40, index_entries: 2 },
      duration_ms: 20,
    });
    expect(r.classes.map((c) => [c.class, c.days, c.items])).toEqual([
      ['trash', 0, 2],
      ['notes', null, 0],
      ['tasks', 30, 0],
    ]);
    expect(r.classes.filter(eventful).map((c) => c.class)).toEqual(['trash', 'notes']);
    expect(r.totals.bytes).toBe(40);
  });
  it('a running run\'s empty report, or a report without totals, still reads', () => {
    expect(parseReport({})).toEqual({ dry_run: false, classes: [], totals: { items: 0, rows: 0, blobs: 0, bytes: 0, index_entries: 0 }, duration_ms: 0 });
    expect(parseReport(null).classes).toEqual([]);
    const r = parseReport({ classes: [{ class: 'a', items: 1, bytes: 5 }, { class: 'b', items: 2, error: 'boom' }] });
    expect(r.totals.items).toBe(3);
    expect(r.classes[1].error).toBe('boom');
    expect(eventful(r.classes[1])).toBe(true);
  });
});

describe('meeting resources and the bulletin', () => {
  it('a resource without capacity sends null (the PATCH removes it), text trimmed', () => {
    expect(resourceBody({ name: ' Room A ', kind: 'room', capacity: '', location: ' Floor 3 ' })).toEqual({
      name: 'Room A',
      kind: 'room',
      capacity: null,
      location: 'Floor 3',
    });
    expect(resourceBody({ name: 'Van', kind: 'vehicle', capacity: 7, location: '' }).capacity).toBe(7);
  });
  it('a place reads from the most precise part', () => {
    expect(placeText({ province: 'Hà Nội', district: 'Ba Đình', commune: '', detail: 'Bus 34' })).toBe('Bus 34, Ba Đình, Hà Nội');
  });
});
