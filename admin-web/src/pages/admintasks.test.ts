import { describe, expect, it } from 'vitest';
import { mappingProblems, mappingToSave } from './Settings';
import { eventful, parseReport } from './retention/RunReport';
import { overrideImpact } from './retention/Overrides';
import { looksLikeId, scopeData } from './retention/scope';
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

describe('rooms and spaces by name', () => {
  it('an override\'s impact is its container\'s line in the preview', () => {
    const preview = {
      as_of: 'x',
      items: 9,
      classes: [
        { class: 'trash', items: 9, bytes: 90, containers: [{ kind: 'space', id: 's1', items: 4, bytes: 40 }], more_containers: 0, held: [] },
        { class: 'messages_channel', items: 9, bytes: 9, containers: [{ kind: 'room', id: 'r1', items: 9, bytes: 9 }], more_containers: 3, held: [] },
      ],
    };
    expect(overrideImpact(preview, 'space', 's1', 'trash')).toEqual({ items: 4, bytes: 40 });
    expect(overrideImpact(preview, 'space', 's2', 'trash')).toEqual({ items: 0, bytes: 0 });
    expect(overrideImpact(preview, 'room', 'r2', 'messages_channel')).toBe('beyond');
    expect(overrideImpact(preview, 'room', 'r1', 'nope')).toBeNull();
  });
  it('options are grouped; a typed or chosen id the lists lack is offered by itself', () => {
    const data = scopeData(
      [
        { id: 'c1', name: 'Lobby', sub: 'channel' },
        { id: 'g1', name: 'Team', sub: 'group' },
        { id: 'c2', name: 'News', sub: 'channel' },
      ],
      (i) => i.name,
      (sub) => sub,
      ['c1', '0123456789abcdef', ' 0123456789abcdef '],
      (id) => `id ${id}`,
    );
    expect(data).toEqual([
      { group: '#', items: [{ value: '0123456789abcdef', label: 'id 0123456789abcdef' }] },
      { group: 'channel', items: [{ value: 'c1', label: 'Lobby' }, { value: 'c2', label: 'News' }] },
      { group: 'group', items: [{ value: 'g1', label: 'Team' }] },
    ]);
    expect(looksLikeId('0193c2b4-7d1e-7a51-9c55-3a1f2b3c4d5e')).toBe(true);
    expect(looksLikeId('lobby')).toBe(false);
    expect(looksLikeId('two words here')).toBe(false);
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
