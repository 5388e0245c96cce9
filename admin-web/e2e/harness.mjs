// End-to-end harness: the real stoa binary on a fresh data directory, the built console (served
// by the binary at /admin from admin-web/dist, `console.dir`; a binary without the console
// server falls back to `vite preview` proxying /api to it), and
// Debian's headless chromium driven by playwright-core. No browser is downloaded.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SHOTS = join(ROOT, 'e2e', 'artifacts', 'screenshots');
export const DOWNLOADS = join(ROOT, 'e2e', 'artifacts', 'downloads');

export const TENANT = 'acme';
export const ADMIN = { email: 'ann@acme.example', password: 'a long admin passphrase', name: 'Ann Admin' };
export const OPERATOR_TOKEN = 'stoa_op_e2e_operator_token_0123456789abcdef';

const deadline = (ms) => Date.now() + ms;

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Polls `fn` until it returns a truthy value or the deadline passes. */
export async function until(fn, what, ms = 60_000) {
  const end = deadline(ms);
  let last;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

const children = new Set();
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    for (const c of children) c.kill('SIGKILL');
    process.exit(130);
  });
}
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function spawnLogged(cmd, args, env, name) {
  const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  const keep = (d) => {
    log.push(d.toString());
    if (log.length > 400) log.shift();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  child.log = () => `--- ${name} log ---\n${log.join('')}`;
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stopChild(child) {
  if (!child || child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(t);
}

export function stoaBinary() {
  const bin = process.env.STOA_BIN;
  if (!bin || !existsSync(bin)) {
    throw new Error(`set STOA_BIN to a built stoa binary (got ${bin ?? 'nothing'}); make console-e2e does this`);
  }
  return bin;
}

/** A running stoa on a fresh data directory with one tenant and its admin. */
export async function startStack(extraEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'stoa-console-e2e-'));
  const port = await freePort();
  const api = `http://127.0.0.1:${port}`;
  const setupToken = 'stoa_setup_e2e_console';
  const stoa = spawnLogged(
    stoaBinary(),
    ['serve'],
    {
      STOA_LISTEN: `127.0.0.1:${port}`,
      STOA_DATA_DIR: join(dir, 'data'),
      STOA_PUBLIC_URL: api,
      STOA_SETUP_TOKEN: setupToken,
      STOA_OPERATOR__TOKEN: OPERATOR_TOKEN,
      STOA_LOG_LEVEL: 'warn',
      // Serve this checkout's build (the binary's own rules: CSP, caching, fallback) even when
      // the binary embeds an older one.
      STOA_CONSOLE__DIR: join(ROOT, 'dist'),
      ...extraEnv,
    },
    'stoa',
  );
  const stack = { dir, api, stoa, preview: null, base: null };
  try {
    await until(async () => (await fetch(`${api}/readyz`)).ok, 'stoa /readyz', 90_000);
    const r = await fetch(`${api}/api/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        setup_token: setupToken,
        tenant_slug: TENANT,
        tenant_name: 'Acme Ltd',
        admin_email: ADMIN.email,
        admin_name: ADMIN.name,
        admin_password: ADMIN.password,
      }),
    });
    if (!r.ok) throw new Error(`setup answered ${r.status}: ${await r.text()}`);
    // The console: embedded in the binary when it was built with it, else vite preview.
    const embedded = await fetch(`${api}/admin/`).then(
      async (x) => x.ok && (await x.text()).includes('id="root"'),
      () => false,
    );
    if (embedded && process.env.STOA_E2E_PREVIEW !== '1') {
      stack.base = `${api}/admin`;
    } else {
      if (!existsSync(join(ROOT, 'dist', 'index.html'))) throw new Error('admin-web/dist is missing: run npm run build');
      const pport = await freePort();
      stack.preview = spawnLogged(
        join(ROOT, 'node_modules', '.bin', 'vite'),
        ['preview', '--host', '127.0.0.1', '--port', String(pport), '--strictPort'],
        { STOA_URL: api },
        'vite preview',
      );
      const url = `http://127.0.0.1:${pport}`;
      await until(async () => (await fetch(`${url}/admin/`)).ok, 'vite preview', 60_000);
      stack.base = `${url}/admin`;
    }
  } catch (e) {
    console.error(stoa.log());
    await stopStack(stack);
    throw e;
  }
  return stack;
}

export async function stopStack(stack) {
  if (!stack) return;
  await stopChild(stack.preview);
  await stopChild(stack.stoa);
  rmSync(stack.dir, { recursive: true, force: true });
}

/** A JSON call to the API with a bearer token (for setting up and for checking the console). */
export async function apiCall(stack, method, path, { token, body, headers = {} } = {}) {
  const r = await fetch(`${stack.api}/api/v1${path}`, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: r.status, body: json, headers: r.headers };
}

export async function login(stack, loginName = ADMIN.email, password = ADMIN.password) {
  const r = await apiCall(stack, 'POST', '/auth/login', { body: { tenant: TENANT, login: loginName, password } });
  if (r.status !== 200) throw new Error(`login answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body.token;
}

/** An active staff member: invited by the admin, the invitation accepted with `password`. */
export async function addPerson(stack, adminToken, name, email, password) {
  const r = await apiCall(stack, 'POST', '/users', { token: adminToken, body: { display_name: name, email } });
  if (r.status !== 201 && r.status !== 200) throw new Error(`invite answered ${r.status}: ${JSON.stringify(r.body)}`);
  const token = decodeURIComponent(new URL(r.body.invitation.url).hash.replace(/^#token=/, ''));
  const a = await apiCall(stack, 'POST', '/auth/invitations/accept', { body: { token, password } });
  if (a.status !== 200) throw new Error(`accept answered ${a.status}: ${JSON.stringify(a.body)}`);
  return r.body.user.id;
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s) for a base32 secret. */
export function totp(secret, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const h = createHmac('sha1', Buffer.from(bytes)).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

export function chromiumPath() {
  const p = process.env.STOA_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(p)) throw new Error(`${p} is missing: run scripts/chromium.sh (apt-get install chromium)`);
  return p;
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function newPage(browser, { width = 1366, height = 768, locale = 'en-US' } = {}) {
  const context = await browser.newContext({
    viewport: { width, height },
    locale,
    acceptDownloads: true,
    timezoneId: 'Asia/Ho_Chi_Minh',
    reducedMotion: 'reduce',
  });
  context.setDefaultTimeout(20_000);
  const page = await context.newPage();
  return { context, page };
}

/** Runs `fn` with a fresh page (its own context); a failure leaves a FAILED-… screenshot. */
export async function withPage(browser, opts, fn) {
  const { context, page } = await newPage(browser, opts);
  try {
    await fn(page);
  } catch (e) {
    await shot(page, `FAILED-${Date.now()}`).catch(() => {});
    throw e;
  } finally {
    await context.close();
  }
}

/** Signs in through the console's form. */
export async function signIn(page, stack, loginName = ADMIN.email, password = ADMIN.password) {
  await page.goto(`${stack.base}/`);
  await page.locator('input[name=tenant]').fill(TENANT);
  await page.locator('input[name=login]').fill(loginName);
  await page.locator('input[name=password]').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** Axe scan: no serious or critical violations. */
export async function axe(page, name) {
  // With a dialog open, what lies under its overlay is dimmed on purpose: scan the dialog.
  const dialog = await page.locator('[role=dialog]').count();
  const builder = new AxeBuilder({ page });
  if (dialog) builder.include('[role=dialog]');
  const r = await builder.analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length) {
    const msg = bad
      .map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')}: ${n.failureSummary ?? ''}`).join('\n  ')}`)
      .join('\n');
    throw new Error(`axe on ${name}: ${bad.length} serious/critical violation(s)\n${msg}`);
  }
}

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/**
 * Another site (another origin) whose pages post forms to Stoa on the visitor's behalf: a
 * cross-site request forgery attempt. `/forge-logout` tries to sign the visitor out everywhere,
 * `/forge-role` to create a role.
 */
export async function startEvilSite(api) {
  const { createServer: createHttp } = await import('node:http');
  const page = (action, body) => `<!doctype html><html lang="en"><title>evil</title><body>
<form id="f" method="POST" action="${api}${action}" enctype="text/plain"><input type="hidden" name='${body}' value=''></form>
<script>document.getElementById('f').submit()</script></body></html>`;
  const server = createHttp((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    if (req.url === '/forge-logout') res.end(page('/api/v1/auth/browser/logout?everywhere=true', '{"x":"'));
    else res.end(page('/api/v1/roles', '{"name":"forged","description":"","permissions":[],"x":"'));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** A real OpenID Connect provider (tests/oidc, via scripts/oidc.sh): { url, stop }. */
export async function startOidc() {
  const { execFileSync } = await import('node:child_process');
  const script = join(ROOT, '..', 'scripts', 'oidc.sh');
  const out = execFileSync(script, ['start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const field = (name) => new RegExp(`${name}=(\\S+)`).exec(out)?.[1];
  const url = field('STOA_TEST_OIDC_URL');
  const run = field('STOA_OIDC_RUN');
  if (!url || !run) throw new Error(`oidc.sh start said: ${out}`);
  return { url, stop: () => execFileSync(script, ['stop', run], { stdio: 'inherit' }) };
}
