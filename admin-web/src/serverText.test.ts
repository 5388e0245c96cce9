import { afterEach, describe, expect, it } from 'vitest';
import i18n from './i18n';
import { en } from './i18n/en';
import { vi as viText } from './i18n/vi';
import { zh } from './i18n/zh';
import { serverText } from './serverText';

// The values the server documents (openapi/stoa.yaml, the permission catalogue's features and
// the erasure report's columns).
const KNOWN = {
  runStatus: ['running', 'done', 'failed'],
  runTrigger: ['schedule', 'api', 'cli'],
  policyStatus: ['current', 'upcoming', 'superseded'],
  reportColumn: ['feature', 'what', 'items', 'rows', 'blobs', 'bytes', 'index_entries', 'held', 'kept', 'to'],
  feature: ['announcements', 'approvals', 'attendance', 'audit', 'bulletin', 'directory', 'documents', 'files', 'meetings', 'messaging', 'notes', 'retention', 'roles', 'settings', 'tasks', 'users'],
} as const;

describe('server values in the admin’s language', () => {
  afterEach(() => i18n.changeLanguage('en'));
  it('every documented value has a translation in en, vi and zh', () => {
    for (const [kind, values] of Object.entries(KNOWN)) {
      for (const v of values) {
        for (const msgs of [en, viText, zh]) {
          const table = (msgs.serverText as Record<string, Record<string, string>>)[kind];
          expect(typeof table[v], `${kind}.${v}`).toBe('string');
        }
        const e = (en.serverText as Record<string, Record<string, string>>)[kind][v];
        expect((viText.serverText as Record<string, Record<string, string>>)[kind][v], `vi ${kind}.${v}`).not.toBe(e);
        expect((zh.serverText as Record<string, Record<string, string>>)[kind][v], `zh ${kind}.${v}`).not.toBe(e);
      }
    }
  });
  it('translates known values and shows unknown ones as they came', async () => {
    await i18n.changeLanguage('vi');
    expect(serverText(i18n.t, 'runStatus', 'done')).toBe('Hoàn tất');
    expect(serverText(i18n.t, 'feature', 'messaging')).toBe('Nhắn tin');
    expect(serverText(i18n.t, 'runStatus', 'paused')).toBe('paused');
    expect(serverText(i18n.t, 'feature', 'runStatus.done')).toBe('runStatus.done');
    await i18n.changeLanguage('zh');
    expect(serverText(i18n.t, 'policyStatus', 'current')).toBe('生效中');
  });
});
