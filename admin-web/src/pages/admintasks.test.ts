import { describe, expect, it } from 'vitest';
import { mappingProblems, mappingToSave } from './Settings';

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
