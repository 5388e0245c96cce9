// The typed client's answers stubbed in unit tests: `stubApi({ 'GET /users/counts': {...} })`
// answers those paths (a value, a function of the request's options, or `answer(status, body)`
// for a problem); any other path answers 500. Restore with `vi.restoreAllMocks()`.
import { vi } from 'vitest';
import { api } from '../api/client';

class Answer {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

/** An answer with its status: a problem for 4xx/5xx. */
export function answer(status: number, body: unknown): Answer {
  return new Answer(status, body);
}

export interface Seen {
  method: string;
  path: string;
  opts: { params?: { path?: Record<string, string>; query?: Record<string, unknown> }; body?: unknown } | undefined;
}

type Route = unknown | ((opts: Seen['opts']) => unknown);

export function stubApi(routes: Record<string, Route>): Seen[] {
  const seen: Seen[] = [];
  const handle = (method: string) => async (path: string, opts?: Seen['opts']) => {
    seen.push({ method, path, opts });
    const r = routes[`${method} ${path}`];
    const v = r === undefined ? answer(500, { detail: `no stub for ${method} ${path}` }) : typeof r === 'function' ? (r as (o: Seen['opts']) => unknown)(opts) : r;
    const a = v instanceof Answer ? v : new Answer(200, v);
    const response = { ok: a.status < 400, status: a.status } as Response;
    return a.status < 400 ? { data: a.body, response } : { error: a.body, response };
  };
  for (const m of ['GET', 'POST', 'PUT'] as const) vi.spyOn(api, m).mockImplementation(handle(m) as never);
  return seen;
}

/** A signed-in admin holding `permissions`, for components that read the session. */
export function sessionRoutes(permissions: string[]): Record<string, Route> {
  return {
    'GET /auth/browser/session': { csrf_token: 'csrf' },
    'GET /me': { user: { id: 'u-admin', display_name: 'Ann Admin' }, permissions },
  };
}
