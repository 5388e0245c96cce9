// The typed API client: openapi-fetch over the types generated from openapi/stoa.yaml
// (src/api/schema.d.ts; `npm run gen:api`). Every failure becomes an ApiError carrying the
// server's problem+json, so pages can show its `detail`.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];
export type Problem = Schemas['Problem'];

export class ApiError extends Error {
  readonly status: number;
  readonly problem: Partial<Problem>;
  constructor(status: number, problem: Partial<Problem>) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
  get code(): string | undefined {
    return this.problem.code;
  }
}

/**
 * What the client adds to requests: the session's CSRF token on state-changing ones. The session
 * itself is an HttpOnly cookie the browser sends (same origin) and scripts cannot read.
 */
const creds: { csrf: string | null } = { csrf: null };
const listeners = new Set<() => void>();
const consentListeners = new Set<() => void>();

export const session = {
  setCsrf(token: string | null) {
    creds.csrf = token;
  },
  get csrf() {
    return creds.csrf;
  },
  /** Called when the server answers 403 `consent_required`: a privacy policy must be accepted. */
  onConsentRequired(fn: () => void) {
    consentListeners.add(fn);
    return () => {
      consentListeners.delete(fn);
    };
  },
  /** Called when the server answers 401 to a request that had a session. */
  onExpired(fn: () => void) {
    listeners.add(fn);
    return () => {
      listeners.delete(fn);
    };
  },
};

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export const authMiddleware: Middleware = {
  onRequest({ request }) {
    if (!SAFE.has(request.method) && creds.csrf) request.headers.set('X-CSRF-Token', creds.csrf);
    return request;
  },
  async onResponse({ request, response }) {
    const url = new URL(request.url, 'http://x');
    if (response.status === 401 && !url.pathname.includes('/auth/')) {
      listeners.forEach((fn) => fn());
    } else if (response.status === 403 && !url.pathname.endsWith('/me') && consentListeners.size) {
      try {
        const p = await response.clone().json();
        if (p?.code === 'consent_required') consentListeners.forEach((fn) => fn());
      } catch {
        // not a problem document
      }
    }
    return response;
  },
};

export const API_BASE = '/api/v1';

export function makeClient(baseUrl = API_BASE, fetchImpl?: typeof fetch) {
  const c = createClient<paths>({
    baseUrl,
    credentials: 'same-origin',
    ...(fetchImpl ? { fetch: fetchImpl } : {}),
  });
  c.use(authMiddleware);
  return c;
}

export const api = makeClient();

function toProblem(status: number, error: unknown): Partial<Problem> {
  if (error && typeof error === 'object') return error as Partial<Problem>;
  if (typeof error === 'string' && error) return { status, detail: error };
  return { status };
}

/** Unwraps an openapi-fetch answer: the data, or an ApiError with the problem. */
export async function call<T>(
  p: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let r;
  try {
    r = await p;
  } catch (e) {
    throw new ApiError(0, { detail: e instanceof Error ? e.message : String(e), code: 'network' });
  }
  if (r.error !== undefined || !r.response.ok) {
    throw new ApiError(r.response.status, toProblem(r.response.status, r.error));
  }
  return r.data as T;
}

/** A header bag for a write: an Idempotency-Key so retries never apply a change twice. */
export function idem(): { 'Idempotency-Key': string } {
  return { 'Idempotency-Key': crypto.randomUUID() };
}
