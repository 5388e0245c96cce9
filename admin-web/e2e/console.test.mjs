// The admin console end to end, in headless Debian chromium against the real binary.
// Run: npm run e2e (needs STOA_BIN; `make console-e2e` sets it).
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  ADMIN,
  ROOT,
  addPerson,
  OPERATOR_TOKEN,
  TENANT,
  apiCall,
  axe,
  launchBrowser,
  login,
  shot,
  signIn,
  startStack,
  stopStack,
  startEvilSite,
  startOidc,
  totp,
  until,
  withPage as withPageOf,
} from './harness.mjs';

let stack;
let browser;
let adminToken;

before(async () => {
  rmSync(join(ROOT, 'e2e', 'artifacts'), { recursive: true, force: true });
  stack = await startStack();
  browser = await launchBrowser();
  adminToken = await login(stack);
});

after(async () => {
  await browser?.close();
  await stopStack(stack);
});

const withPage = (opts, fn) => withPageOf(browser, opts, fn);

const PHONE = { name: 'phone', width: 390, height: 844 };
const DESKTOP = { name: 'desktop', width: 1366, height: 768 };

/** Nothing is wider than the screen (no sideways scrolling of the whole page). */
async function fits(page, name) {
  const r = await page.evaluate(() => {
    const wide = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > innerWidth + 1 && getComputedStyle(e).position !== 'fixed')
      .slice(0, 5)
      .map((e) => `${e.tagName.toLowerCase()}.${[...e.classList].join('.')} (${Math.round(e.getBoundingClientRect().right)}px)`);
    return { scroll: document.documentElement.scrollWidth, inner: innerWidth, wide };
  });
  assert.ok(r.scroll <= r.inner + 1, `${name}: ${r.scroll}px wide on a ${r.inner}px screen; wider: ${r.wide.join(', ')}`);
}

/** A page at a width: axe-clean, no problem shown, fits a phone's screen, screenshotted. */
async function check(page, vp, name) {
  await page.waitForLoadState('networkidle');
  await axe(page, `${name} (${vp.name})`);
  if (vp.width < 500) await fits(page, `${name} (${vp.name})`);
  await shot(page, `${name}-${vp.name}`);
}

describe('admin console', { concurrency: false }, () => {
  test('sign-in page passes axe and a wrong password shows the server problem', async () => {
    await withPage({}, async (page) => {
      await page.goto(`${stack.base}/`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await axe(page, 'sign-in');
      await shot(page, 'sign-in');
      await signIn(page, stack, ADMIN.email, 'not the password at all');
      const problem = page.getByTestId('problem');
      await problem.waitFor();
      assert.ok((await problem.innerText()).length > 0);
    });
  });

  test('the sign-in form works with the keyboard alone', async () => {
    await withPage({}, async (page) => {
      await page.goto(`${stack.base}/`);
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      // From the top of the page: the language menu, then the form's fields in order.
      await page.locator('input[name=tenant]').focus();
      await page.keyboard.press('Control+A');
      await page.keyboard.type(TENANT);
      await page.keyboard.press('Tab');
      await page.keyboard.type(ADMIN.email);
      await page.keyboard.press('Tab');
      await page.keyboard.type(ADMIN.password);
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      // The navigation is reachable by Tab and follows Enter.
      let reached = false;
      for (let i = 0; i < 15 && !reached; i++) {
        await page.keyboard.press('Tab');
        reached = await page.evaluate(() => document.activeElement?.textContent === 'People');
      }
      assert.ok(reached, 'People is reachable with Tab');
      await page.keyboard.press('Enter');
      await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
    });
  });

  test('an admin signs in, sees the overview and signs out', async () => {
    await withPage({}, async (page) => {
      await signIn(page, stack);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.getByTestId('whoami').filter({ hasText: ADMIN.name }).waitFor();
      await page.getByText('Recent audit events').waitFor();
      // The session is an HttpOnly, SameSite=Strict cookie; no token is kept where scripts read.
      const cookie = (await page.context().cookies()).find((c) => c.name === 'stoa_session');
      assert.ok(cookie, 'the session cookie');
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Strict');
      const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }) + document.cookie);
      assert.ok(!stored.includes('stoa_s_') && !stored.includes(cookie.value), 'no session token readable by scripts');
      if (!stack.preview) {
        const r = await fetch(`${stack.base}/people`);
        assert.match(r.headers.get('content-security-policy') ?? '', /script-src 'self'/);
      }
      // The tenant's background work (GET /health): search state and the outbox's backlog.
      await page.getByRole('heading', { name: 'Background work' }).waitFor();
      await page.getByText('Dead letters').first().waitFor();
      await axe(page, 'overview');
      await shot(page, 'overview');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    });
  });

  test('at phone width, my account is reachable from the menu', async () => {
    await withPage({ width: 390, height: 844 }, async (page) => {
      await signIn(page, stack);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      // The collapsed menu is moved off the screen (not hidden): judge by where the link is.
      const account = page.getByRole('link', { name: /My account/ });
      const onScreen = async () => {
        const b = await account.boundingBox();
        return !!b && b.x >= 0 && b.x + b.width <= 390;
      };
      assert.equal(await onScreen(), false, 'the menu starts closed');
      await page.getByRole('button', { name: 'Menu' }).click();
      await until(onScreen, 'the menu to open');
      await account.click();
      await page.getByRole('heading', { name: 'My account', level: 1 }).waitFor();
      // The menu closes on the way.
      await until(async () => !(await onScreen()), 'the menu to close');
      await axe(page, 'account (phone, from the menu)');
      await shot(page, 'account-from-menu-phone');
    });
  });

  test('sign-in with a second factor', async () => {
    // A person with TOTP on, set up through the API.
    const created = await apiCall(stack, 'POST', '/users', {
      token: adminToken,
      body: { display_name: 'Tom Totp', email: 'tom@acme.example' },
    });
    assert.equal(created.status, 201);
    const acc = await apiCall(stack, 'POST', '/auth/invitations/accept', {
      body: { token: created.body.invitation.token, password: 'tom long passphrase' },
    });
    assert.equal(acc.status, 200);
    const tok = acc.body.token;
    const en = await apiCall(stack, 'POST', '/me/two-factor/enrol', { token: tok, body: {} });
    assert.equal(en.status, 200, JSON.stringify(en.body));
    const secret = en.body.secret;
    // Confirm with the previous step's code (within the allowed drift), so that the current one is
    // still unused for the sign-in below; else wait for the next step.
    let conf = await apiCall(stack, 'POST', '/me/two-factor/confirm', { token: tok, body: { code: totp(secret, Date.now() - 30_000) } });
    let fresh = true;
    if (conf.status !== 200) {
      conf = await apiCall(stack, 'POST', '/me/two-factor/confirm', { token: tok, body: { code: totp(secret) } });
      fresh = false;
    }
    assert.equal(conf.status, 200, JSON.stringify(conf.body));
    await withPage({}, async (page) => {
      await signIn(page, stack, 'tom@acme.example', 'tom long passphrase');
      await page.getByText('Enter the 6-digit code').waitFor();
      await axe(page, 'sign-in second factor');
      await shot(page, 'sign-in-second-factor');
      // A code is accepted once: wait for the next time step so the confirm's code is not reused.
      if (!fresh) {
        const used = totp(secret);
        await until(() => totp(secret) !== used, 'the next TOTP step', 35_000);
      }
      await page.getByLabel('Digit 1').pressSequentially(totp(secret));
      await page.getByRole('button', { name: 'Verify' }).click();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.getByTestId('whoami').filter({ hasText: 'Tom Totp' }).waitFor();
      // Staff see no admin sections.
      assert.equal(await page.getByRole('link', { name: 'People' }).count(), 0);
    });
  });

  test('invite a person, accept as them, then a role change shows its effect', async () => {
    let url;
    await withPage({}, async (page) => {
      await signIn(page, stack);
      await page.getByRole('link', { name: 'People' }).click();
      await page.getByRole('heading', { name: 'People' }).waitFor();
      await page.getByRole('button', { name: 'Invite' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Name').fill('Nguyễn Thị Hà');
      await dialog.getByLabel('Email').fill('ha@acme.example');
      await dialog.getByRole('button', { name: 'Invite' }).click();
      url = await page.getByTestId('invitation-url').inputValue();
      assert.match(url, /token=/);
      await axe(page, 'invite dialog');
      await shot(page, 'people-invite');
      await dialog.getByRole('button', { name: 'Done' }).click();
      await dialog.waitFor({ state: 'detached' });
      // Accent-insensitive search finds her.
      await page.getByLabel('Search').fill('nguyen thi ha');
      await page.getByRole('link', { name: 'Nguyễn Thị Hà' }).waitFor();
      await axe(page, 'people');
      await shot(page, 'people');
    });
    const token = new URL(url).hash.replace(/^#token=/, '');
    await withPage({}, async (page) => {
      await page.goto(`${stack.base}/invitation#token=${token}`);
      await page.getByRole('heading', { name: 'Accept your invitation' }).waitFor();
      await axe(page, 'accept invitation');
      await shot(page, 'accept-invitation');
      await page.getByLabel('New password').fill('ha long passphrase');
      await page.getByLabel('Repeat the password').fill('ha long passphrase');
      await page.getByRole('button', { name: 'Activate my account' }).click();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.getByTestId('whoami').filter({ hasText: 'Nguyễn Thị Hà' }).waitFor();
      assert.equal(await page.getByRole('link', { name: 'People' }).count(), 0, 'staff must not see People');

      // The admin makes her an admin; her console shows People after a reload.
      await withPage({}, async (admin) => {
        await signIn(admin, stack);
        await admin.getByRole('link', { name: 'People' }).click();
        await admin.getByLabel('Search').fill('ha@acme');
        await admin.getByRole('link', { name: 'Nguyễn Thị Hà' }).click();
        await admin.getByRole('heading', { name: 'Nguyễn Thị Hà' }).waitFor();
        await axe(admin, 'person');
        await shot(admin, 'person');
        await admin.getByRole('checkbox', { name: 'Admin', exact: true }).check();
        await admin.getByRole('button', { name: 'Save roles' }).click();
        await admin.getByText('Saved').first().waitFor();
      });
      await page.goto(`${stack.base}/`);
      await page.getByRole('link', { name: 'People' }).waitFor();
    });
  });

  test('every page renders, passes axe and is screenshotted (desktop and phone)', async () => {
    const me = (await apiCall(stack, 'GET', '/me', { token: adminToken })).body;
    const pages = [
      ['', 'Overview', 'overview'],
      [`people/${me.user.id}`, ADMIN.name, 'person'],
      ['people', 'People'],
      ['people?tab=deletions', 'People'],
      ['people?tab=reports', 'People'],
      ['retention?tab=overrides', 'Retention'],
      ['retention?tab=holds', 'Retention'],
      ['retention?tab=runs', 'Retention'],
      ['roles', 'Roles'],
      ['retention', 'Retention'],
      ['audit', 'Audit log'],
      ['privacy', 'Privacy'],
      ['settings', 'Settings'],
      ['storage', 'Storage'],
      ['account', 'My account'],
      ['directory', 'Directory'],
      ['directory?tab=people', 'Directory'],
      ['directory?tab=positions', 'Directory'],
      ['announcements', 'Announcements'],
      ['attendance', 'Attendance'],
      ['attendance?tab=rules', 'Attendance'],
      ['attendance?tab=excused', 'Attendance'],
      ['attendance?tab=export', 'Attendance'],
      ['approvals', 'Approval templates'],
    ];
    for (const vp of [DESKTOP, PHONE]) {
      await withPage(vp, async (page) => {
        await signIn(page, stack);
        await page.getByRole('heading', { name: 'Overview' }).waitFor();
        for (const [path, title, name = path.replace(/[?=]/g, '-')] of pages) {
          await page.goto(`${stack.base}/${path}`);
          await page.getByRole('heading', { name: title, level: 1 }).waitFor();
          await page.waitForLoadState('networkidle');
          assert.equal(await page.getByTestId('problem').count(), 0, `${path} shows a problem`);
          await check(page, vp, name);
        }
      });
    }
  });

  test('the pages outside the navigation render, pass axe and fit (desktop and phone)', async () => {
    for (const vp of [DESKTOP, PHONE]) {
      // Signed out: sign-in, single sign-on's error state, accepting an invitation.
      await withPage(vp, async (page) => {
        await page.goto(`${stack.base}/`);
        await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
        await check(page, vp, 'sign-in');
        await page.goto(`${stack.base}/sso#error=access_denied`);
        await page.getByTestId('problem').filter({ hasText: 'access_denied' }).waitFor();
        await check(page, vp, 'sso-error');
        const created = await apiCall(stack, 'POST', '/users', {
          token: adminToken,
          body: { display_name: `Ivy ${vp.name}`, email: `ivy.${vp.name}@acme.example` },
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
        await page.goto(`${stack.base}/invitation#token=${encodeURIComponent(created.body.invitation.token)}`);
        await page.getByRole('heading', { name: 'Accept your invitation', level: 1 }).waitFor();
        await check(page, vp, 'accept-invitation');
      });
      // The operator area: its sign-in and the tenants.
      await withPage(vp, async (page) => {
        await page.goto(`${stack.base}/operator`);
        await page.getByRole('heading', { name: 'Operator sign-in', level: 1 }).waitFor();
        await check(page, vp, 'operator-sign-in');
        await page.locator('input[name=operator_token]').fill(OPERATOR_TOKEN);
        await page.getByRole('button', { name: 'Continue' }).click();
        await page.getByRole('row').filter({ hasText: TENANT }).waitFor();
        await check(page, vp, 'operator-tenants');
      });
      // A session the server ended: the sign-in page says so.
      await withPage(vp, async (page) => {
        await signIn(page, stack);
        await page.getByRole('heading', { name: 'Overview' }).waitFor();
        for (const x of (await apiCall(stack, 'GET', '/me/sessions', { token: adminToken })).body) {
          if (!x.current) await apiCall(stack, 'DELETE', `/me/sessions/${x.id}`, { token: adminToken });
        }
        // Any request now answers 401: the Overview's refresh, or asking for the account page.
        await page.evaluate(() => window.history.pushState(null, '', '/admin/account'));
        await page.evaluate(() => window.dispatchEvent(new PopStateEvent('popstate')));
        await page.getByTestId('expired').waitFor();
        await page.getByRole('heading', { name: 'Sign in', level: 1 }).waitFor();
        await check(page, vp, 'session-expired');
      });
    }
  });

  test('each language renders the sign-in page', async () => {
    for (const [locale, heading] of [
      ['vi-VN', 'Đăng nhập'],
      ['zh-CN', '登录'],
    ]) {
      await withPage({ locale }, async (page) => {
        await page.goto(`${stack.base}/`);
        await page.getByRole('heading', { name: heading }).waitFor();
        await axe(page, `sign-in ${locale}`);
        await shot(page, `sign-in-${locale}`);
      });
    }
  });

  test('retention: the live preview matches the API, then the policy is saved', async () => {
    // Something to remove: two documents in the trash, and a policy that purges the trash at
    // once (the class has no minimum), so the preview cannot be 0 = 0.
    const space = (await apiCall(stack, 'POST', '/spaces', { token: adminToken, body: { name: 'Retention e2e' } })).body;
    assert.ok(space?.id, `space: ${JSON.stringify(space)}`);
    for (const name of ['old-minutes.txt', 'old-draft.txt']) {
      const r = await fetch(`${stack.api}/api/v1/spaces/${space.id}/documents?name=${name}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/octet-stream' },
        body: `the text of ${name}`,
      });
      const doc = await r.json();
      assert.ok(r.ok, `upload answered ${r.status}: ${JSON.stringify(doc)}`);
      const d = await apiCall(stack, 'DELETE', `/documents/${doc.id}`, { token: adminToken });
      assert.equal(d.status, 204, JSON.stringify(d.body));
    }
    const policy = (await apiCall(stack, 'GET', '/retention/policy', { token: adminToken })).body;
    const cls = policy.classes.find((c) => c.class === 'trash');
    assert.ok(cls, 'the trash class');
    assert.equal(cls.min_days, 0);
    assert.notEqual(cls.days, 0, 'the default keeps the trash a while');
    const input = { set: [{ class: cls.class, days: 0 }], reset: [] };
    await withPage({}, async (page) => {
      await signIn(page, stack);
      await page.getByRole('link', { name: 'Retention' }).click();
      await page.getByTestId('preview-total').waitFor();
      const field = page.getByLabel(`Days kept for ${cls.class}`);
      if (await page.getByLabel(`Keep ${cls.class} forever`).isChecked()) {
        await page.getByLabel(`Keep ${cls.class} forever`).uncheck();
      }
      await field.fill('0');
      await page.getByText('What the next run would remove with your changes').waitFor();
      const save = page.getByRole('button', { name: 'Save policy' });
      await until(async () => save.isEnabled(), 'the preview of the draft');
      const api = (await apiCall(stack, 'POST', '/retention/preview', { token: adminToken, body: input })).body;
      const trash = api.classes.find((c) => c.class === 'trash');
      assert.ok(trash.items >= 2, `the API previews the two trashed documents: ${JSON.stringify(trash)}`);
      const shown = await page.getByTestId('preview-total').innerText();
      assert.match(shown, new RegExp(`^${api.items.toLocaleString('en-US')} item`), `UI "${shown}" vs API ${api.items}`);
      for (const c of api.classes.filter((x) => x.items > 0)) {
        assert.equal(await page.getByTestId(`preview-items-${c.class}`).innerText(), c.items.toLocaleString('en-US'));
      }
      await axe(page, 'retention');
      await shot(page, 'retention-preview');
      await save.click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText(`${api.items.toLocaleString('en-US')} items will be removed`).waitFor();
      // The confirmation lists the same numbers, class by class.
      for (const c of api.classes.filter((x) => x.items > 0)) {
        assert.equal(await dialog.getByTestId(`confirm-items-${c.class}`).innerText(), c.items.toLocaleString('en-US'));
      }
      await axe(page, 'retention confirm');
      await dialog.getByRole('button', { name: 'Save policy' }).click();
      await dialog.waitFor({ state: 'detached' });
    });
    const after = (await apiCall(stack, 'GET', '/retention/policy', { token: adminToken })).body;
    assert.equal(after.classes.find((c) => c.class === cls.class).days, 0);
  });

  test('audit export downloads JSON Lines and CSV, and the chain verifies', async () => {
    await withPage({}, async (page) => {
      await signIn(page, stack);
      await page.getByRole('link', { name: 'Audit log' }).click();
      await page.getByRole('heading', { name: 'Audit log' }).waitFor();
      for (const [button, check] of [
        ['Export JSON Lines', (s) => s.trim().split('\n').every((l) => JSON.parse(l).action)],
        ['Export CSV', (s) => /^.*action.*\n/.test(s)],
      ]) {
        const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
        const path = await dl.path();
        const text = readFileSync(path, 'utf8');
        assert.ok(text.includes('auth.login'), `${button}: has sign-ins`);
        assert.ok(check(text), `${button}: format`);
      }
      await page.getByRole('button', { name: 'Verify the chain' }).click();
      const result = page.getByTestId('chain-result');
      await result.getByText('The audit chain is intact').waitFor();
      await axe(page, 'audit verified');
      await shot(page, 'audit-verified');
    });
  });

  test('delete a person: the dialog previews what goes where like the API, and the erasure report agrees', async () => {
    const s = await apiCall(stack, 'PUT', '/settings/account-deletion', {
      token: adminToken,
      body: { grace_days: 0, authored_messages: 'pseudonymise', sign_in_cancels: false },
    });
    assert.equal(s.status, 200, JSON.stringify(s.body));
    // Someone with something to hand on and to erase: a group room they own, three messages.
    const id = await addPerson(stack, adminToken, 'Dana Gone', 'dana@acme.example', 'dana long passphrase');
    const heir = await addPerson(stack, adminToken, 'Hal Heir', 'hal@acme.example', 'hal long passphrase');
    const dana = await login(stack, 'dana@acme.example', 'dana long passphrase');
    const room = await apiCall(stack, 'POST', '/rooms', { token: dana, body: { kind: 'group', name: 'Dana team', member_ids: [heir] } });
    assert.equal(room.status, 201, JSON.stringify(room.body));
    for (const body of ['first', 'second', 'third']) {
      const m = await apiCall(stack, 'POST', `/rooms/${room.body.id}/messages`, {
        token: dana,
        body: { body },
        headers: { 'idempotency-key': crypto.randomUUID() },
      });
      assert.equal(m.status, 201, JSON.stringify(m.body));
    }
    const en = (n) => n.toLocaleString('en-US');
    const key = (l) => `${l.feature}.${l.what}`;
    const eventful = (l) => l.items > 0 || l.bytes > 0 || l.held > 0 || l.kept > 0;
    let preview;
    // At phone width the dialog with its preview passes axe and fits the screen.
    await withPage(PHONE, async (page) => {
      await signIn(page, stack);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.goto(`${stack.base}/people/${id}`);
      await page.getByRole('heading', { name: 'Dana Gone' }).waitFor();
      await page.getByRole('button', { name: 'Delete…' }).click();
      await page.getByRole('dialog').getByTestId('deletion-preview-erased').waitFor();
      await check(page, PHONE, 'person-delete-preview');
    });
    await withPage({}, async (page) => {
      await signIn(page, stack);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.goto(`${stack.base}/people/${id}`);
      await page.getByRole('heading', { name: 'Dana Gone' }).waitFor();
      await page.getByRole('button', { name: 'Delete…' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByTestId('deletion-consequences').getByText('grace period of 0 days').waitFor();
      // With the first choices (documents erased, rooms to another member) the preview is there.
      await dialog.getByTestId('deletion-preview-erased').waitFor();
      await dialog.getByTestId('deletion-preview-transferred').getByText('Another member of each room').waitFor();
      // Documents to the company, rooms to Hal: previewed again.
      await dialog.getByLabel('Documents of the personal space').click();
      await page.getByRole('option', { name: 'Move to the company space' }).click();
      await dialog.getByLabel('Person taking over their rooms').fill('Hal');
      await page.getByRole('option', { name: /Hal Heir/ }).click();
      const moved = dialog.getByTestId('deletion-preview-transferred');
      await moved.getByRole('link', { name: 'Hal Heir' }).waitFor();
      const erased = dialog.getByTestId('deletion-preview-erased');
      await erased.waitFor();
      const r = await apiCall(stack, 'GET', `/users/${id}/deletion/preview?documents_to=company&rooms_to=${heir}`, { token: adminToken });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      preview = r.body;
      // The API counts the room handed on, the three messages kept under the pseudonym, the memberships.
      const line = (k) => preview.erased.find((l) => key(l) === k);
      assert.equal(line('messaging.messages')?.kept, 3, JSON.stringify(preview.erased));
      assert.ok(line('messaging.memberships')?.items >= 1, JSON.stringify(preview.erased));
      const rooms = preview.transferred.find((l) => key(l) === 'messaging.rooms owned');
      assert.deepEqual([rooms?.items, rooms?.to], [1, `person:${heir}`], JSON.stringify(preview.transferred));
      // The dialog shows the same numbers, line by line.
      assert.equal(await moved.locator('tbody tr').count(), preview.transferred.length);
      for (const l of preview.transferred) {
        assert.equal(await moved.getByTestId(`transfer-items-${key(l)}`).innerText(), en(l.items), key(l));
      }
      assert.equal(await moved.getByTestId('transfer-to-messaging.rooms owned').innerText(), 'Hal Heir');
      assert.equal(await erased.locator('tbody tr').count(), preview.erased.filter(eventful).length);
      for (const l of preview.erased.filter(eventful)) {
        for (const col of ['items', 'kept', 'held']) {
          assert.equal(await erased.getByTestId(`erased-${col}-${key(l)}`).innerText(), en(l[col]), `${col} of ${key(l)}`);
        }
      }
      for (const col of ['items', 'kept', 'held']) {
        assert.equal(await erased.getByTestId(`erased-${col}-total`).innerText(), en(preview.totals[col]), `total ${col}`);
      }
      assert.match(await dialog.getByTestId('deletion-preview-totals').innerText(), new RegExp(`${en(preview.totals.transferred)} given to successors`));
      await axe(page, 'delete dialog');
      await shot(page, 'person-delete');
      await dialog.getByTestId('deletion-preview-totals').scrollIntoViewIfNeeded();
      await shot(page, 'person-delete-preview');
      const confirm = dialog.getByRole('button', { name: 'Delete', exact: true });
      assert.ok(await confirm.isDisabled(), 'delete needs the name typed');
      await dialog.getByLabel(/Type/).fill('Dana Gone');
      await confirm.click();
      const reportId = await until(
        async () => (await apiCall(stack, 'GET', `/users/${id}/deletion`, { token: adminToken })).body?.report_id,
        'the erasure',
        60_000,
      );
      // What went is what the preview said would go.
      const report = (await apiCall(stack, 'GET', `/erasure-reports/${reportId}`, { token: adminToken })).body;
      const done = (k) => report.erased.find((l) => key(l) === k);
      assert.equal(done('messaging.messages')?.kept, line('messaging.messages').kept, JSON.stringify(report.erased));
      assert.equal(done('messaging.memberships')?.items, line('messaging.memberships').items, JSON.stringify(report.erased));
      assert.deepEqual(
        report.transferred.map((l) => [key(l), l.items, l.to]),
        preview.transferred.map((l) => [key(l), l.items, l.to]),
      );
      await page.reload();
      await page.getByRole('button', { name: 'Open the erasure report' }).click();
      const view = page.getByTestId('erasure-report');
      await view.waitFor();
      await view.getByText(report.pseudonym).waitFor();
      assert.equal(await view.getByTestId('report-erased-kept-messaging.messages').innerText(), en(done('messaging.messages').kept));
      assert.equal(await view.getByTestId('report-erased-items-messaging.memberships').innerText(), en(done('messaging.memberships').items));
      await view.getByTestId('report-transferred-to-messaging.rooms owned').getByRole('link', { name: 'Hal Heir' }).waitFor();
      await axe(page, 'erasure report');
      await shot(page, 'erasure-report');
    });
  });

  test('person data export: start one, wait until it is ready, download it by its link', async () => {
    const id = await addPerson(stack, adminToken, 'Eve Export', 'eve@acme.example', 'eve long passphrase');
    await withPage({}, async (page) => {
      await signIn(page, stack);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.goto(`${stack.base}/people/${id}`);
      await page.getByRole('heading', { name: 'Eve Export' }).waitFor();
      const card = page.getByTestId('person-exports');
      await card.getByText('Nothing here.').waitFor();
      await card.getByRole('button', { name: 'Export their data' }).click();
      // The export is prepared in the background: the list follows it until it is ready.
      const ex = await until(
        async () => (await apiCall(stack, 'GET', `/users/${id}/exports`, { token: adminToken })).body?.items?.[0],
        'the export in the list',
      );
      await card.getByTestId(`export-status-${ex.id}`).filter({ hasText: 'Ready' }).waitFor({ timeout: 180_000 });
      const ready = (await apiCall(stack, 'GET', `/users/${id}/exports`, { token: adminToken })).body.items[0];
      assert.equal(ready.status, 'ready');
      assert.ok(ready.size_bytes > 0, JSON.stringify(ready));
      await axe(page, 'person export');
      await card.getByRole('button', { name: 'Get a download link' }).click();
      const link = card.getByTestId(`export-link-${ex.id}`);
      await link.waitFor();
      await shot(page, 'person-export');
      const href = await link.getAttribute('href');
      assert.match(href, /^\/api\/v1\/exports\/.+\/download\?token=/);
      // The link is the credential: it works without the session.
      const r = await fetch(new URL(href, stack.base));
      assert.equal(r.status, 200);
      const body = Buffer.from(await r.arrayBuffer());
      assert.equal(body.length, ready.size_bytes);
      assert.equal(body.subarray(0, 2).toString(), 'PK', 'a zip archive');
    });
  });

  test('storage: chat attachments are shown to those who manage files, and totalled on the overview', async () => {
    const up = await fetch(`${stack.api}/api/v1/files?name=minutes.txt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/octet-stream' },
      body: 'the minutes of the meeting, attached to a chat message',
    });
    assert.ok(up.ok, `upload answered ${up.status}: ${await up.text()}`);
    const usage = (await apiCall(stack, 'GET', '/files/usage', { token: adminToken })).body;
    assert.ok(usage.used_bytes > 0, JSON.stringify(usage));
    const mine = usage.by_user.find((u) => u.bytes > 0);
    await withPage({}, async (page) => {
      await signIn(page, stack);
      await page.getByTestId('overview-files').filter({ hasText: 'Chat attachments:' }).waitFor();
      await page.goto(`${stack.base}/storage`);
      const card = page.getByTestId('files-usage');
      await card.getByRole('heading', { name: 'Chat attachments' }).waitFor();
      const row = card.getByRole('row').filter({ hasText: ADMIN.name });
      await row.getByRole('cell', { name: String(mine.files), exact: true }).waitFor();
      await axe(page, 'storage with chat attachments');
      await shot(page, 'storage-chat-attachments');
    });
    // Without files.manage the card is not there (nor its request).
    await addPerson(stack, adminToken, 'Sid Staff', 'sid@acme.example', 'sid long passphrase');
    await withPage({}, async (page) => {
      await signIn(page, stack, 'sid@acme.example', 'sid long passphrase');
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.goto(`${stack.base}/storage`);
      await page.getByRole('heading', { name: 'Storage', level: 1 }).waitFor();
      await page.waitForLoadState('networkidle');
      assert.equal(await page.getByTestId('files-usage').count(), 0);
      assert.equal(await page.getByTestId('problem').count(), 0);
    });
  });

  test('settings: a change is saved through the API', async () => {
    await withPage({}, async (page) => {
      await signIn(page, stack);
      await page.getByRole('link', { name: 'Settings' }).click();
      const docs = page.getByTestId('settings-documents');
      await docs.getByLabel('Versions kept per document').fill('7');
      await docs.getByRole('button', { name: 'Save' }).click();
      await until(
        async () => (await apiCall(stack, 'GET', '/settings/documents', { token: adminToken })).body.versions_kept === 7,
        'the saved setting',
      );
      await axe(page, 'settings');
      await shot(page, 'settings');
    });
  });

  test('operator area: create, suspend and resume a tenant', async () => {
    await withPage({}, async (page) => {
      await page.goto(`${stack.base}/operator`);
      await page.getByRole('heading', { name: 'Operator sign-in' }).waitFor();
      await axe(page, 'operator sign-in');
      await page.locator('input[name=operator_token]').fill(OPERATOR_TOKEN);
      await page.getByRole('button', { name: 'Continue' }).click();
      await page.getByRole('heading', { name: 'Tenants' }).waitFor();
      await page.getByRole('button', { name: 'Create a tenant' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Slug').fill('beta');
      await dialog.getByLabel(/^Name/).fill('Beta GmbH');
      await dialog.getByLabel('First admin’s email').fill('bo@beta.example');
      await dialog.getByRole('button', { name: 'Create a tenant' }).click();
      await dialog.getByTestId('invitation-url').waitFor();
      await dialog.getByRole('button', { name: 'Done' }).click();
      await dialog.waitFor({ state: 'detached' });
      const row = page.getByRole('row').filter({ hasText: 'Beta GmbH' });
      await row.waitFor();
      await axe(page, 'operator tenants');
      await shot(page, 'operator');
      await row.getByRole('button', { name: 'Suspend' }).click();
      await page.getByRole('dialog').getByLabel(/Type/).fill('beta');
      await page.getByRole('dialog').getByRole('button', { name: 'Suspend' }).click();
      await row.getByText('suspended').waitFor();
      const t = await fetch(`${stack.api}/api/v1/operator/tenants/beta`, { headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
      assert.equal((await t.json()).status, 'suspended');
      await row.getByRole('button', { name: 'Resume' }).click();
      await row.getByText('active').waitFor();
      // The credential is in the page's memory only: no storage holds it, and a reload asks again.
      const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }) + document.cookie);
      assert.ok(!stored.includes(OPERATOR_TOKEN), 'the operator token is not readable from storage');
      await page.reload();
      await page.getByRole('heading', { name: 'Operator sign-in' }).waitFor();
      assert.equal(await page.locator('input[name=operator_token]').inputValue(), '');
    });
  });

  test('CSRF: a request without the token, or forged by another site, is refused', async () => {
    await withPage({}, async (page) => {
      await signIn(page, stack);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      // The page's own script, but without X-CSRF-Token (or with a wrong one): 403 csrf_failed.
      for (const headers of [{}, { 'x-csrf-token': 'not-the-token' }]) {
        const r = await page.evaluate(async (h) => {
          const res = await fetch('/api/v1/roles', {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...h },
            body: JSON.stringify({ name: 'forged', description: '', permissions: [] }),
          });
          return { status: res.status, body: await res.json() };
        }, headers);
        assert.equal(r.status, 403, JSON.stringify(r));
        assert.equal(r.body.code, 'csrf_failed');
      }
      // Another site posts a form to sign the admin out everywhere and to create a role.
      const evil = await startEvilSite(stack.api);
      try {
        for (const path of ['/forge-logout', '/forge-role']) {
          await page.goto(`${evil.url}${path}`);
          await page.waitForLoadState('load');
        }
      } finally {
        await evil.close();
      }
      const roles = (await apiCall(stack, 'GET', '/roles', { token: adminToken })).body;
      assert.ok(!roles.some((r) => r.name === 'forged'), 'no forged role');
      await page.goto(`${stack.base}/people`);
      await page.getByRole('heading', { name: 'People', level: 1 }).waitFor();
    });
  });

  test('a session the server ended sends the console back to sign-in', async () => {
    await withPage({}, async (page) => {
      await signIn(page, stack);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      // End every session of the admin's console from outside (sign-out everywhere).
      const sessions = await apiCall(stack, 'GET', '/me/sessions', { token: adminToken });
      for (const s of sessions.body) {
        if (s.current) continue;
        await apiCall(stack, 'DELETE', `/me/sessions/${s.id}`, { token: adminToken });
      }
      // The console finds out at its next request: a background refresh may already have
      // sent it to sign-in (the People link then leaves the page mid-click); otherwise the
      // navigation does. Either way it must end on the sign-in page.
      const clicked = page
        .getByRole('link', { name: 'People' })
        .click({ timeout: 5_000 })
        .catch(() => 'left the page');
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await clicked;
    });
  });
});

test('privacy: publish a version, accept it in the console, see the count', async () => {
  // Someone to see the consent page at phone width (added before the policy holds up the admin).
  await addPerson(stack, adminToken, 'Cam Consent', 'cam@acme.example', 'cam long passphrase');
  await withPage({}, async (page) => {
    await signIn(page, stack);
    await page.getByRole('link', { name: 'Privacy' }).click();
    await page.getByRole('heading', { name: 'Privacy policy' }).waitFor();
    await page.getByRole('button', { name: 'Publish a new version' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Version label').fill('2026-11');
    await dialog.getByLabel('Text').fill('We keep what the law requires and nothing more.');
    await dialog.getByRole('button', { name: 'Publish a new version' }).click();
    const confirm = page.getByRole('dialog').filter({ hasText: 'cannot be changed' });
    await confirm.getByRole('button', { name: 'Publish a new version' }).click();
    // In effect now: everyone must accept it before anything else works; at phone width too.
    await withPage(PHONE, async (phone) => {
      await signIn(phone, stack, 'cam@acme.example', 'cam long passphrase');
      await phone.getByTestId('policy-text').filter({ hasText: 'nothing more' }).waitFor();
      await check(phone, PHONE, 'consent');
    });
    await page.goto(`${stack.base}/`);
    await page.getByTestId('policy-text').filter({ hasText: 'nothing more' }).waitFor();
    await axe(page, 'consent');
    await shot(page, 'consent');
    await page.getByRole('button', { name: 'I accept' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.goto(`${stack.base}/privacy`);
    await page.getByTestId('accepted-2026-11').filter({ hasText: '1' }).waitFor();
    await shot(page, 'privacy');
  });
});

describe('session expiry', () => {
  let short;
  before(async () => {
    short = await startStack({ STOA_SESSION__IDLE_TIMEOUT_SECS: '5' });
  });
  after(async () => {
    await stopStack(short);
  });
  test('an idle session ends and the console says so', async () => {
    await withPage({}, async (page) => {
      await signIn(page, short);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      // Idle expiry is the passing of time itself: stay idle past it (polling would be use).
      await new Promise((r) => setTimeout(r, 7_000));
      await page.getByRole('link', { name: 'People' }).click();
      await page.getByTestId('expired').waitFor();
      await page.getByRole('heading', { name: 'Sign in' }).waitFor();
      await shot(page, 'session-expired');
    });
  });
});

describe('single sign-on', () => {
  let sso;
  let oidc;
  before(async () => {
    oidc = await startOidc();
    sso = await startStack({ STOA_OUTBOUND__ALLOW_HOSTS: '127.0.0.1' });
    const reg = await fetch(`${oidc.url}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: [`${sso.api}/api/v1/auth/sso/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      }),
    });
    assert.equal(reg.status, 201);
    const client = await reg.json();
    const token = await login(sso);
    const r = await apiCall(sso, 'PUT', '/settings/sso', {
      token,
      body: {
        enabled: true,
        issuer: oidc.url,
        client_id: client.client_id,
        client_secret: client.client_secret,
        jit: true,
        allowed_domains: [],
        role_mapping: [],
        redirect_uris: [],
        assume_email_verified: false,
      },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });
  after(async () => {
    await stopStack(sso);
    oidc?.stop();
  });
  test('the SSO button signs a person in through the provider', async () => {
    await withPage({}, async (page) => {
      await page.goto(`${sso.base}/`);
      await page.locator('input[name=tenant]').fill(TENANT);
      const button = page.getByRole('button', { name: 'Sign in with single sign-on' });
      await button.click();
      // The provider's own login and consent pages.
      for (let i = 0; i < 5 && !page.url().startsWith(sso.base); i++) {
        await page.waitForLoadState('load');
        if (page.url().startsWith(sso.base)) break;
        const loginField = page.locator('input[name=login]');
        if (await loginField.count()) {
          await loginField.fill('sso-1~sam.sso@acme.example~1');
          await page.locator('input[name=password]').fill('any');
        }
        await Promise.all([page.waitForURL(() => true), page.locator('button[type=submit], [type=submit]').first().click()]);
      }
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.getByTestId('whoami').filter({ hasText: 'sam sso' }).waitFor();
      assert.ok(!page.url().includes('code='), 'the one-time code is gone from the address');
    });
  });
});

export { TENANT };
