// @vitest-environment node
// The API layer against a real HTTP server on loopback: problems become ApiErrors carrying the
// server's detail, credentials and the CSRF header go where they should, a 401 ends the session.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, call, makeClient, session } from './client';

let server: Server;
let base: string;
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    if (req.url?.startsWith('/api/v1/me')) {
      res.writeHead(401, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'sign in first', code: 'unauthenticated' }));
    } else if (req.url?.startsWith('/api/v1/users?')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items: [], next_cursor: 'abc' }));
    } else if (req.url === '/api/v1/roles' && req.method === 'POST') {
      res.writeHead(403, { 'content-type': 'application/problem+json' });
      res.end(
        JSON.stringify({
          type: 'about:blank',
          title: 'Forbidden',
          status: 403,
          detail: 'the role holds users.delete, which you lack',
          code: 'containment',
          request_id: 'req-1',
        }),
      );
    } else {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('bad gateway');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('api client', () => {
  it('returns the data of a success', async () => {
    const api = makeClient(base);
    const page = await call(api.GET('/users', { params: { query: { q: 'hà', limit: 5 } } }));
    expect(page.next_cursor).toBe('abc');
    expect(seen.at(-1)?.url).toBe('/api/v1/users?q=h%C3%A0&limit=5');
  });

  it('turns a problem into an ApiError with the detail and code', async () => {
    const api = makeClient(base);
    const e = await call(api.POST('/roles', { body: { name: 'x', description: '', permissions: [] } })).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(403);
    expect(e.code).toBe('containment');
    expect(e.message).toBe('the role holds users.delete, which you lack');
    expect(e.problem.request_id).toBe('req-1');
  });

  it('keeps a non-JSON error readable', async () => {
    const api = makeClient(base);
    const e = await call(api.GET('/storage')).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(502);
    expect(e.message).toContain('bad gateway');
  });

  it('a refused connection is an ApiError with status 0', async () => {
    const api = makeClient('http://127.0.0.1:9/api/v1');
    const e = await call(api.GET('/me')).catch((x) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(0);
  });

  it('sends the CSRF header on writes only, and never a bearer token', async () => {
    session.setCsrf('csrf-123');
    const api = makeClient(base);
    await call(api.GET('/users', { params: { query: {} } })).catch(() => {});
    const get = seen.at(-1)!;
    expect(get.headers['x-csrf-token']).toBeUndefined();
    expect(get.headers.authorization).toBeUndefined();
    await call(api.POST('/roles', { body: { name: 'x', description: '', permissions: [] } })).catch(() => {});
    expect(seen.at(-1)!.headers['x-csrf-token']).toBe('csrf-123');
    session.setCsrf(null);
  });

  it('a 401 outside sign-in tells the session it ended', async () => {
    let ended = 0;
    const off = session.onExpired(() => ended++);
    const api = makeClient(base);
    await call(api.GET('/me')).catch(() => {});
    expect(ended).toBe(1);
    off();
  });
});
