// Enum-like values the server sends (a run's status, a feature's name, a report's column, …)
// shown in the admin's language: known values have a translation under `serverText.*`, unknown
// ones (a newer server) are shown as they came.
import type { TFunction } from 'i18next';

type Kind = 'feature' | 'runStatus' | 'runTrigger' | 'policyStatus' | 'reportColumn';

export function serverText(t: TFunction, kind: Kind, value: string): string {
  // A value with dots or other separators is no key of ours: never let it reach into the tree.
  if (!/^[a-z0-9_]+$/.test(value)) return value;
  return t(`serverText.${kind}.${value}`, { defaultValue: value });
}
