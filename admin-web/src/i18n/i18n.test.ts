// @vitest-environment node
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { en } from './en';
import { vi } from './vi';
import { zh } from './zh';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f) ? [p] : [];
  });
}

function lookup(obj: unknown, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

function has(obj: unknown, key: string): boolean {
  // i18next plurals: `x` may exist as `x_one` / `x_other`.
  return typeof lookup(obj, key) === 'string' || typeof lookup(obj, `${key}_other`) === 'string';
}

const src = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const used = new Set<string>();
for (const f of files(src)) {
  const text = readFileSync(f, 'utf8');
  for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) used.add(m[1]);
  for (const m of text.matchAll(/key: '([a-z]+\.[a-zA-Z0-9_.]+)'/g)) used.add(m[1]);
}

describe('UI text', () => {
  it('finds the keys the code uses', () => {
    expect(used.size).toBeGreaterThan(100);
  });
  for (const [name, msgs] of [
    ['en', en],
    ['vi', vi],
    ['zh', zh],
  ] as const) {
    it(`${name} has every key the code uses`, () => {
      const missing = [...used].filter((k) => !has(msgs, k));
      expect(missing).toEqual([]);
    });
    it(`${name} names every account and deletion status`, () => {
      for (const s of ['active', 'invited', 'disabled', 'pending_erasure', 'erased']) expect(has(msgs, `status.${s}`)).toBe(true);
      for (const s of ['pending', 'erasing', 'erased', 'cancelled']) expect(has(msgs, `deletion.st.${s}`)).toBe(true);
    });
  }
  it('translations differ from English (not copied over)', () => {
    expect(vi.signIn.title).not.toBe(en.signIn.title);
    expect(zh.signIn.title).not.toBe(en.signIn.title);
  });
});
