// The editor's "General" tab data: who may submit a template (everyone, or departments and
// roles), its icon and its attendance link, mapped to and from the API's shapes.
import type { Schemas } from '../../../api/client';

export type Target = Schemas['AudienceTarget'];
export type Attendance = Schemas['ApprovalAttendanceLink'];

/** The icons the server accepts by name (server/src/approvals/templates.rs `ICONS`); an emoji also goes. */
export const ICONS = ['leave', 'expense', 'purchase', 'trip', 'overtime', 'document', 'contract', 'payment', 'equipment', 'vehicle', 'meeting', 'hiring', 'training', 'general'];

/** Who may submit, as the editor holds it. */
export interface Submitters {
  everyone: boolean;
  departments: string[];
  /** The chosen departments' sub-departments too. */
  subtree: boolean;
  roles: string[];
}

/** The editor's view of a template's submitters (people are not submitters; the server refuses them). */
export function submittersFrom(targets: Target[] | undefined): Submitters {
  const list = targets ?? [];
  const depts = list.filter((x) => x.kind === 'department' && x.id);
  return {
    everyone: list.length === 0 || list.some((x) => x.kind === 'everyone'),
    departments: depts.map((x) => x.id as string),
    subtree: depts.length === 0 || depts.some((x) => !!x.subtree),
    roles: list.filter((x) => x.kind === 'role' && x.id).map((x) => x.id as string),
  };
}

/** Nobody chosen: the API would read an empty list as everyone, so the editor asks instead. */
export function noSubmitters(s: Submitters): boolean {
  return !s.everyone && s.departments.length === 0 && s.roles.length === 0;
}

/** The API's submitters: everyone, or each chosen department (with its subtree or not) and role. */
export function submittersTo(s: Submitters): Target[] {
  if (s.everyone) return [{ kind: 'everyone', subtree: false }];
  return [
    ...s.departments.map((id): Target => ({ kind: 'department', id, subtree: s.subtree })),
    ...s.roles.map((id): Target => ({ kind: 'role', id, subtree: false })),
  ];
}

/** The attendance link to save: none, or a kind with a field that still exists in the form. */
export function cleanAttendance(a: Attendance | null | undefined): Attendance | null {
  if (!a?.kind || !a.field) return null;
  return { kind: a.kind, field: a.field };
}
