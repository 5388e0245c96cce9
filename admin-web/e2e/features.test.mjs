// The console's pages for the directory, announcements, attendance and approval templates, end
// to end in headless Debian chromium against the real binary: each page opens, passes axe, is
// screenshotted, and one real action goes through to the API.
// Run: npm run e2e (needs STOA_BIN; `make console-e2e` sets it).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ADMIN, addPerson, apiCall, axe, launchBrowser, login, shot, signIn, startStack, stopStack, until, withPage as withPageOf } from './harness.mjs';

let stack;
let browser;
let adminToken;

before(async () => {
  stack = await startStack();
  browser = await launchBrowser();
  adminToken = await login(stack);
});

after(async () => {
  await browser?.close();
  await stopStack(stack);
});

const withPage = (opts, fn) => withPageOf(browser, opts, fn);

/** Signs in and opens a section from the navigation. */
async function open(page, link, heading = link) {
  await signIn(page, stack);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.getByRole('link', { name: link }).click();
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
}

/** Picks an option of a Mantine Select (or MultiSelect) by its label. */
async function pick(scope, page, label, option) {
  await scope.getByLabel(label).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

describe('feature pages', { concurrency: false }, () => {
  test('directory: create a department under another and see it in the tree', async () => {
    await withPage({}, async (page) => {
      await open(page, 'Directory');
      for (const [name, parent] of [
        ['Sales', null],
        ['North', 'Sales'],
      ]) {
        await page.getByRole('button', { name: 'New department' }).click();
        const dialog = page.getByRole('dialog');
        await dialog.getByLabel('Name').fill(name);
        if (parent) await pick(dialog, page, 'Parent department', parent);
        if (!parent) await axe(page, 'new department');
        await dialog.getByRole('button', { name: 'Create' }).click();
        await dialog.waitFor({ state: 'detached' });
        await page.getByTestId(`dept-${name}`).waitFor();
      }
      const chart = (await apiCall(stack, 'GET', '/directory/chart', { token: adminToken })).body;
      const sales = chart.nodes.find((n) => n.name === 'Sales');
      const north = chart.nodes.find((n) => n.name === 'North');
      assert.equal(north?.parent_id, sales?.id, JSON.stringify(chart));
      assert.equal(north.depth, 1);
      await axe(page, 'directory');
      await shot(page, 'directory-departments');
      // The people tab finds the admin by an accent-free search.
      await page.getByRole('tab', { name: 'People' }).click();
      await page.getByLabel('Search people').fill('ann');
      await page.getByRole('cell', { name: ADMIN.name }).first().waitFor();
      await axe(page, 'directory people');
      await shot(page, 'directory-people');
    });
  });

  test('announcements: publish one and read its receipts', async () => {
    // Someone else in the audience, so the receipts are not only the author's.
    await addPerson(stack, adminToken, 'Bình Reader', 'binh@acme.example', 'binh long passphrase');
    await withPage({}, async (page) => {
      await open(page, 'Announcements');
      await page.getByRole('button', { name: 'New announcement' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Title').fill('Office closed on Friday');
      await dialog.getByLabel('Text').fill('The office is closed on **Friday** for maintenance.');
      await dialog.getByLabel('Acknowledgement asked').check();
      await axe(page, 'new announcement');
      await shot(page, 'announcement-new');
      await dialog.getByRole('button', { name: 'Publish' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByText('Office closed on Friday').waitFor();
      const list = (await apiCall(stack, 'GET', '/announcements?all=true', { token: adminToken })).body;
      const a = list.items.find((x) => x.title === 'Office closed on Friday');
      assert.ok(a?.ack_required, JSON.stringify(list));
      await axe(page, 'announcements');
      await shot(page, 'announcements');
      await page.getByRole('button', { name: 'Receipts of “Office closed on Friday”' }).click();
      const r = (await apiCall(stack, 'GET', `/announcements/${a.id}/receipts`, { token: adminToken })).body;
      assert.ok(r.audience >= 1, JSON.stringify(r));
      const receipts = page.getByRole('dialog');
      for (const k of ['audience', 'read', 'acknowledged', 'pending']) {
        await until(async () => (await receipts.getByTestId(`receipts-${k}`).innerText()) === String(r[k]), `receipts ${k} = ${r[k]}`, 20_000);
      }
      await receipts.getByRole('cell', { name: 'Bình Reader' }).waitFor();
      await axe(page, 'announcement receipts');
      await shot(page, 'announcement-receipts');
    });
  });

  test('attendance: create a schedule and export a month as CSV', async () => {
    await withPage({}, async (page) => {
      await open(page, 'Attendance');
      await page.getByRole('button', { name: 'New schedule' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Name').fill('Head office');
      await dialog.getByLabel('Time zone').fill('Asia/Ho_Chi_Minh');
      await dialog.getByLabel('Sat').check();
      await axe(page, 'new schedule');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByRole('cell', { name: 'Head office', exact: true }).waitFor();
      const list = (await apiCall(stack, 'GET', '/attendance/schedules', { token: adminToken })).body;
      const s = list.items.find((x) => x.name === 'Head office');
      assert.deepEqual(s?.days, [1, 2, 3, 4, 5, 6], JSON.stringify(list));
      assert.equal(s.zone, 'Asia/Ho_Chi_Minh');
      await axe(page, 'attendance schedules');
      await shot(page, 'attendance-schedules');

      await page.getByRole('tab', { name: 'Export' }).click();
      const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
      const text = readFileSync(await dl.path(), 'utf8');
      assert.match(dl.suggestedFilename(), /^attendance-\d{4}-\d{2}\.csv$/);
      assert.ok(text.split('\n')[0].includes(','), `a CSV header: ${text.slice(0, 200)}`);
      await page.getByTestId('export-done').waitFor();
      await axe(page, 'attendance export');
      await shot(page, 'attendance-export');

      // Excused days: add a span, find it in the list like the API has it, filter it out, and
      // remove it after a confirmation that names the span.
      await page.getByRole('tab', { name: 'Excused days' }).click();
      const add = page.locator('form').filter({ has: page.getByRole('button', { name: 'Excuse these days' }) });
      await pick(add, page, 'Person', 'Bình Reader <binh@acme.example>');
      await add.getByLabel('First day').fill('2026-03-02');
      await add.getByLabel('Last day').fill('2026-03-04');
      await pick(add, page, 'Kind', 'Business trip');
      await add.getByLabel('Note').fill('Hanoi fair');
      await add.getByRole('button', { name: 'Excuse these days' }).click();
      const table = page.getByRole('table', { name: 'Excused days' });
      await table.getByRole('cell', { name: '2026-03-02 – 2026-03-04', exact: true }).waitFor();
      const listed = (await apiCall(stack, 'GET', '/attendance/excused', { token: adminToken })).body;
      assert.equal(listed.items.length, 1, JSON.stringify(listed));
      assert.deepEqual([listed.items[0].first_date, listed.items[0].last_date, listed.items[0].kind, listed.items[0].note], ['2026-03-02', '2026-03-04', 'trip', 'Hanoi fair']);
      assert.equal(await table.getByRole('row').count(), 1 + listed.items.length);
      await table.getByRole('cell', { name: 'Hanoi fair' }).waitFor();
      await axe(page, 'attendance excused days');
      await shot(page, 'attendance-excused');
      const filter = page.getByRole('search', { name: 'Filter excused days' });
      await filter.getByLabel('From').fill('2026-03-05');
      await table.getByText('Nothing here.').waitFor();
      await filter.getByLabel('From').fill('2026-03-04');
      await table.getByRole('cell', { name: 'Hanoi fair' }).waitFor();
      await table.getByRole('button', { name: 'Remove excused days 2026-03-02 – 2026-03-04' }).click();
      const confirm = page.getByRole('dialog');
      await confirm.getByText('2026-03-02 – 2026-03-04').waitFor();
      await axe(page, 'remove excused days');
      await confirm.getByRole('button', { name: 'Delete' }).click();
      await confirm.waitFor({ state: 'detached' });
      await until(async () => (await apiCall(stack, 'GET', '/attendance/excused', { token: adminToken })).body.items.length === 0, 'the span removed');
      await table.getByText('Nothing here.').waitFor();
    });
  });

  test('approval templates: create one, make version 2, and preview its chain like the API', async () => {
    await withPage({}, async (page) => {
      await open(page, 'Approval templates');
      await page.getByRole('button', { name: 'New template' }).click();
      let dialog = page.getByRole('dialog');
      await dialog.getByLabel('Name').fill('Purchase e2e');
      await dialog.getByLabel('Category').fill('Finance');
      await axe(page, 'new template');
      await shot(page, 'approval-template-new');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByRole('button', { name: 'Purchase e2e', exact: true }).waitFor();
      const find = async () =>
        (await apiCall(stack, 'GET', '/approvals/admin/templates', { token: adminToken })).body.items.find((x) => x.name === 'Purchase e2e');
      const v1 = await find();
      assert.equal(v1?.version, 1);

      // A new version: the second step from 500 instead of 1000, approved by Bình (not by the
      // admins: the only admin is the submitter here, whose own step is skipped).
      const binh = (await apiCall(stack, 'GET', '/users?q=binh', { token: adminToken })).body.items[0];
      assert.equal(binh?.display_name, 'Bình Reader');
      await page.getByRole('button', { name: 'New version of Purchase e2e' }).click();
      dialog = page.getByRole('dialog');
      // In the visual editor: a bad field id (a word of the condition language), a new single
      // choice field with options, the second step from 500 and approved by Bình.
      const field1 = dialog.getByRole('region', { name: 'Field 1' });
      await field1.getByRole('textbox', { name: 'Field', exact: true }).fill('and');
      await pick(dialog, page, 'Add a field…', 'Single choice');
      const field3 = dialog.getByRole('region', { name: 'Field 3' });
      await field3.getByRole('textbox', { name: 'Label', exact: true }).fill('Kind of purchase');
      await field3.getByRole('textbox', { name: 'Field', exact: true }).fill('purchase_kind');
      const options = field3.getByLabel('Options');
      for (const o of ['Laptop', 'Desk']) {
        await options.fill(o);
        await options.press('Enter');
      }
      await axe(page, 'template form editor');
      await shot(page, 'approval-template-form-editor');
      await dialog.getByRole('tab', { name: 'Flow' }).click();
      const step2 = dialog.getByRole('region', { name: 'Step 2' });
      await step2.getByLabel('Condition').fill('amount > 500');
      await pick(step2, page, 'Who', 'These people');
      await step2.getByLabel('People').click();
      await page.getByRole('option', { name: 'Bình Reader <binh@acme.example>' }).click();
      await step2.getByText('Step 2', { exact: false }).first().click();
      await axe(page, 'template flow editor');
      await shot(page, 'approval-template-flow-editor');
      // General: only Sales (and its sub-departments) and the administrators submit it (the
      // preview below runs as the admin, who must be able to submit); an icon the server does not know.
      const adminRole = (await apiCall(stack, 'GET', '/roles', { token: adminToken })).body.find((r) => r.builtin === 'admin');
      const sales = (await apiCall(stack, 'GET', '/directory/chart', { token: adminToken })).body.nodes.find((n) => n.name === 'Sales');
      const general = dialog.getByRole('tab', { name: 'General' });
      await general.click();
      await dialog.getByLabel('Everyone may submit it').uncheck();
      await dialog.getByText('Choose departments or roles, or let everyone submit it').waitFor();
      assert.ok(await dialog.getByRole('button', { name: 'Save the new version' }).isDisabled(), 'nobody may submit: not saved');
      await pick(dialog, page, 'Departments that may submit it', 'Sales');
      await general.click();
      await pick(dialog, page, 'Roles that may submit it', adminRole.name);
      await general.click();
      await dialog.getByLabel('Icon', { exact: true }).fill('rocket');
      await axe(page, 'template general editor');
      await shot(page, 'approval-template-general-editor');
      // The server refuses the icon: its detail shows on that input, in the General tab (reopened
      // from the Form tab).
      await dialog.getByRole('tab', { name: 'Form' }).click();
      await dialog.getByRole('button', { name: 'Save the new version' }).click();
      await dialog.getByRole('tabpanel', { name: 'General' }).getByText('one of leave, expense').waitFor();
      assert.equal(await general.getAttribute('aria-selected'), 'true');
      await dialog.getByLabel('Icon', { exact: true }).fill('purchase');
      // Then the id: its detail shows on that input, in the form tab it opens.
      await dialog.getByRole('button', { name: 'Save the new version' }).click();
      await field1.getByText('not a word of the condition language').waitFor();
      assert.equal(await dialog.getByRole('tab', { name: 'Form' }).getAttribute('aria-selected'), 'true');
      await field1.getByRole('textbox', { name: 'Field', exact: true }).fill('amount');
      await dialog.getByRole('button', { name: 'Save the new version' }).click();
      await dialog.waitFor({ state: 'detached' });
      await until(async () => (await find()).version === 2, 'version 2');
      const v2 = (await apiCall(stack, 'GET', `/approvals/templates/${v1.id}`, { token: adminToken })).body;
      assert.equal(v2.icon, 'purchase');
      assert.deepEqual(
        v2.submitters.map((x) => [x.kind, x.id, !!x.subtree]),
        [
          ['department', sales.id, true],
          ['role', adminRole.id, false],
        ],
        JSON.stringify(v2.submitters),
      );
      assert.deepEqual(v2.form.fields.find((f) => f.id === 'purchase_kind')?.options, ['Laptop', 'Desk'], JSON.stringify(v2.form));
      assert.deepEqual(v2.flow.nodes[1].approvers.map((r) => [r.kind, r.people]), [['people', [binh.id]]], JSON.stringify(v2.flow));
      assert.equal(v2.flow.nodes[1].condition, 'amount > 500');
      await axe(page, 'approval templates');
      await shot(page, 'approval-templates');

      // The chain for an amount over the new threshold, in the console and from the API.
      await page.getByRole('button', { name: 'Purchase e2e', exact: true }).click();
      dialog = page.getByRole('dialog');
      await dialog.getByText('amount > 500').waitFor();
      // Answered in the form generated from the template's fields.
      const answers = { amount: '750', reason: 'A new laptop', purchase_kind: 'Desk' };
      await dialog.getByRole('textbox', { name: 'Amount' }).fill(answers.amount);
      await dialog.getByRole('textbox', { name: 'Reason' }).fill(answers.reason);
      await pick(dialog, page, 'Kind of purchase', 'Desk');
      await dialog.getByRole('button', { name: 'Preview', exact: true }).click();
      await dialog.getByTestId('chain').waitFor();
      const api = (await apiCall(stack, 'POST', '/approvals/preview', { token: adminToken, body: { template_id: v1.id, answers, chosen: {} } })).body;
      assert.equal(api.version, 2);
      const second = api.nodes.find((n) => n.node_id === 'admins');
      assert.ok(!second.skipped && second.approvers.some((p) => p.display_name === 'Bình Reader'), JSON.stringify(api));
      for (const n of api.nodes) {
        if (n.skipped) await dialog.getByTestId(`skipped-${n.node_id}`).waitFor();
        else assert.ok((await dialog.getByTestId(`approvers-${n.node_id}`).innerText()).startsWith(n.approvers.map((p) => p.display_name).join(', ')));
      }
      await axe(page, 'approval preview');
      await shot(page, 'approval-preview');

      // The advanced JSON holds the generated form's answers; under the threshold the admins'
      // step is skipped by its condition, and the amount comes back to the form.
      await dialog.getByRole('tab', { name: 'Advanced (JSON)' }).click();
      const json = dialog.getByLabel('Answers (JSON)');
      assert.deepEqual(JSON.parse(await json.inputValue()), answers);
      await json.fill(JSON.stringify({ ...answers, amount: '100' }));
      await dialog.getByRole('button', { name: 'Preview', exact: true }).click();
      await dialog.getByTestId('skipped-admins').getByText('Skipped: condition not met').waitFor();
      await dialog.getByRole('tab', { name: 'Answers', exact: true }).click();
      assert.equal(await dialog.getByRole('textbox', { name: 'Amount' }).inputValue(), '100');
    });
  });

  test('the template editor works at phone width: axe-clean, nothing wider than the screen, JSON edits come back', async () => {
    await withPage({ width: 390, height: 844 }, async (page) => {
      await signIn(page, stack);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.goto(`${stack.base}/approvals`);
      await page.getByRole('heading', { name: 'Approval templates', level: 1 }).waitFor();
      await page.getByRole('button', { name: 'New template' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('region', { name: 'Field 1' }).waitFor();
      for (const tab of ['General', 'Form', 'Flow', 'Advanced (JSON)']) {
        await dialog.getByRole('tab', { name: tab }).click();
        await dialog.getByRole('tabpanel', { name: tab }).waitFor();
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(wide <= 390, `${tab}: the page is ${wide}px wide`);
        await axe(page, `template editor ${tab} (phone)`);
        await shot(page, `approval-template-${tab.split(' ')[0].toLowerCase()}-phone`);
      }
      // The advanced view holds both halves as JSON; a change there comes back to the visual tabs.
      const json = dialog.getByRole('textbox', { name: 'Form and flow (JSON)' });
      await json.fill((await json.inputValue()).replace('"Reason"', '"Why"'));
      await dialog.getByRole('tab', { name: 'Form' }).click();
      assert.equal(await dialog.getByRole('region', { name: 'Field 2' }).getByRole('textbox', { name: 'Label', exact: true }).inputValue(), 'Why');
    });
  });

  test('roles: who holds a role; a person page: end one of their sessions', async () => {
    const users = (await apiCall(stack, 'GET', '/users?q=binh', { token: adminToken })).body.items;
    const binh = users[0];
    const roles = (await apiCall(stack, 'GET', '/roles', { token: adminToken })).body;
    const staff = roles.find((r) => r.builtin === 'staff');
    const role = await apiCall(stack, 'POST', '/roles', { token: adminToken, body: { name: 'Readers', permissions: [] } });
    assert.equal(role.status, 201, JSON.stringify(role.body));
    const set = await apiCall(stack, 'PUT', `/users/${binh.id}/roles`, { token: adminToken, body: { role_ids: [staff.id, role.body.id] } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const binhToken = await login(stack, 'binh@acme.example', 'binh long passphrase');
    await withPage({}, async (page) => {
      await open(page, 'Roles');
      await page.getByRole('button', { name: 'Holders of Readers' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('link', { name: 'Bình Reader' }).waitFor();
      const api = (await apiCall(stack, 'GET', `/users?role_id=${role.body.id}`, { token: adminToken })).body;
      assert.deepEqual(api.items.map((u) => u.display_name), ['Bình Reader']);
      assert.equal(await dialog.getByRole('row').count(), 1 + api.items.length);
      await axe(page, 'role holders');
      await shot(page, 'role-holders');
      await dialog.getByRole('link', { name: 'Bình Reader' }).click();
      await page.getByRole('heading', { name: 'Bình Reader', level: 1 }).waitFor();
      const sessions = page.getByRole('table', { name: 'Where they are signed in' });
      await sessions.getByRole('row').nth(1).waitFor();
      const live = (await apiCall(stack, 'GET', `/users/${binh.id}/sessions`, { token: adminToken })).body;
      assert.equal(await sessions.getByRole('row').count(), 1 + live.length);
      await axe(page, 'person sessions');
      await shot(page, 'person-sessions');
      assert.equal((await apiCall(stack, 'GET', '/me', { token: binhToken })).status, 200);
      for (let i = 0; i < live.length; i++) {
        await sessions.getByRole('button', { name: 'Sign out there' }).first().click();
        await until(async () => (await sessions.getByRole('button', { name: 'Sign out there' }).count()) === live.length - i - 1, 'the session list to shrink');
      }
      assert.equal((await apiCall(stack, 'GET', '/me', { token: binhToken })).status, 401, 'his app is signed out');
    });
  });

  test('a staff member reads the directory but manages nothing, and sees no other of these pages', async () => {
    await addPerson(stack, adminToken, 'Chi Staff', 'chi@acme.example', 'chi long passphrase');
    await withPage({}, async (page) => {
      await signIn(page, stack, 'chi@acme.example', 'chi long passphrase');
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      for (const link of ['Announcements', 'Attendance', 'Approval templates']) {
        assert.equal(await page.getByRole('link', { name: link }).count(), 0, `staff must not see ${link}`);
      }
      await page.getByRole('link', { name: 'Directory' }).click();
      await page.getByTestId('dept-Sales').waitFor();
      assert.equal(await page.getByRole('button', { name: 'New department' }).count(), 0, 'staff cannot create departments');
      assert.equal(await page.getByRole('button', { name: 'Delete Sales' }).count(), 0, 'staff cannot delete departments');
      await axe(page, 'directory (staff)');
      await shot(page, 'directory-staff');
    });
  });
});

// Admin tasks the API offers beyond the pages above: the SSO group-to-role mapping, retention
// run reports, rooms and spaces picked by name, directory administration, meeting resources
// and bulletin moderation.
describe('admin tasks', { concurrency: false }, () => {
  /** A team space with `names` uploaded and then deleted (in the trash): something to purge. */
  async function spaceWithTrash(spaceName, names) {
    const space = (await apiCall(stack, 'POST', '/spaces', { token: adminToken, body: { name: spaceName } })).body;
    assert.ok(space?.id, `space: ${JSON.stringify(space)}`);
    for (const name of names) {
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
    return space;
  }

  test('settings: an SSO group-to-role mapping set in the console is what the API holds; a role the admin may not grant is refused with its detail', async () => {
    const roles = (await apiCall(stack, 'GET', '/roles', { token: adminToken })).body;
    const staff = roles.find((r) => r.builtin === 'staff');
    const admin = roles.find((r) => r.builtin === 'admin');
    await withPage({}, async (page) => {
      await open(page, 'Settings');
      const sso = page.getByTestId('settings-sso');
      await sso.getByText('No mapping').waitFor();
      for (const [i, group, role] of [
        [1, '/acme/staff', staff.name],
        [2, '/acme/it', admin.name],
      ]) {
        await sso.getByRole('button', { name: 'Add a mapping' }).click();
        await sso.getByRole('textbox', { name: `Group ${i}`, exact: true }).fill(group);
        await pick(sso, page, `Role for group ${i}`, role);
      }
      // A third row left half-filled blocks the save until it is removed.
      await sso.getByRole('button', { name: 'Add a mapping' }).click();
      await sso.getByRole('textbox', { name: 'Group 3', exact: true }).fill('/acme/nobody');
      await sso.getByText('Choose a role').waitFor();
      assert.ok(await sso.getByRole('button', { name: 'Save' }).isDisabled());
      await sso.getByRole('button', { name: 'Remove mapping 3' }).click();
      await axe(page, 'sso mapping');
      await shot(page, 'settings-sso-mapping');
      await sso.getByRole('button', { name: 'Save' }).click();
      await until(
        async () => (await apiCall(stack, 'GET', '/settings/sso', { token: adminToken })).body.role_mapping.length === 2,
        'the mapping saved',
      );
      const saved = (await apiCall(stack, 'GET', '/settings/sso', { token: adminToken })).body;
      assert.deepEqual(saved.role_mapping, [
        { group: '/acme/staff', role_id: staff.id },
        { group: '/acme/it', role_id: admin.id },
      ]);
      // Reloaded, the rows come back from the server.
      await page.reload();
      await page.getByTestId('settings-sso').getByRole('textbox', { name: 'Group 2', exact: true }).waitFor();
      assert.equal(await page.getByTestId('settings-sso').getByRole('textbox', { name: 'Group 2', exact: true }).inputValue(), '/acme/it');
    });
    // Someone who manages settings but holds little else may not hand out the admin role.
    const role = await apiCall(stack, 'POST', '/roles', {
      token: adminToken,
      body: { name: 'Settings keepers', permissions: ['settings.manage', 'roles.read'] },
    });
    assert.equal(role.status, 201, JSON.stringify(role.body));
    const keeper = await addPerson(stack, adminToken, 'Dung Keeper', 'dung@acme.example', 'dung long passphrase');
    const set = await apiCall(stack, 'PUT', `/users/${keeper}/roles`, { token: adminToken, body: { role_ids: [staff.id, role.body.id] } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    await withPage({}, async (page) => {
      await signIn(page, stack, 'dung@acme.example', 'dung long passphrase');
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.getByRole('link', { name: 'Settings' }).click();
      const sso = page.getByTestId('settings-sso');
      await sso.getByRole('textbox', { name: 'Group 1', exact: true }).fill('/acme/all-staff');
      await sso.getByRole('button', { name: 'Save' }).click();
      const problem = sso.getByTestId('problem');
      await problem.waitFor();
      assert.ok((await problem.innerText()).trim().length > 0);
      await shot(page, 'settings-sso-mapping-refused');
      const still = (await apiCall(stack, 'GET', '/settings/sso', { token: adminToken })).body;
      assert.deepEqual(still.role_mapping.map((m) => m.group), ['/acme/staff', '/acme/it'], 'nothing changed');
    });
  });

  test('retention: a dry run\'s report is a table per data class with the numbers the API reports', async () => {
    await spaceWithTrash('Report e2e', ['a.txt', 'b.txt']);
    // The trash purged at once, so the run has something to count.
    const input = { set: [{ class: 'trash', days: 0 }], reset: [] };
    const preview = (await apiCall(stack, 'POST', '/retention/preview', { token: adminToken, body: input })).body;
    const put = await apiCall(stack, 'PUT', '/retention/policy', { token: adminToken, body: { ...input, confirm_items: preview.items } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    await withPage({}, async (page) => {
      await signIn(page, stack);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.goto(`${stack.base}/retention?tab=runs`);
      await page.getByRole('heading', { name: 'Retention', level: 1 }).waitFor();
      assert.ok(await page.getByLabel('Dry run').isChecked());
      await page.getByRole('button', { name: 'Run now' }).click();
      const runs = page.getByRole('table', { name: 'Runs' });
      await runs.getByText('done').first().waitFor({ timeout: 60_000 });
      const run = (await apiCall(stack, 'GET', '/retention/runs', { token: adminToken })).body.items[0];
      assert.equal(run.status, 'done', JSON.stringify(run));
      assert.ok(run.dry_run);
      const trash = run.report.classes.find((c) => c.class === 'trash');
      assert.ok(trash.items >= 2, JSON.stringify(trash));
      await runs.getByRole('button', { name: /^Report of the run started/ }).first().click();
      const dialog = page.getByRole('dialog');
      const report = dialog.getByRole('table', { name: 'Run report per data class' });
      assert.equal(await report.getByTestId('report-items-trash').innerText(), trash.items.toLocaleString('en-US'));
      assert.equal(await report.getByTestId('report-items-total').innerText(), run.report.totals.items.toLocaleString('en-US'));
      await dialog.getByText(`A dry run: ${run.report.totals.items.toLocaleString('en-US')} items would be removed`).waitFor();
      // Only the classes with something to say are listed, unless every class is asked for.
      const eventful = run.report.classes.filter((c) => c.items > 0 || c.rows > 0 || c.blobs > 0 || c.index_entries > 0 || c.held.some((h) => h.items > 0) || c.error);
      assert.equal(await report.locator('tbody tr').count(), eventful.length);
      await dialog.getByLabel('Show every data class').check();
      assert.equal(await report.locator('tbody tr').count(), run.report.classes.length);
      assert.equal(await dialog.getByTestId('run-report-json').count(), 0, 'the raw JSON is hidden at first');
      await axe(page, 'run report');
      await shot(page, 'retention-run-report');
      await dialog.getByRole('button', { name: 'Show the raw report (JSON)' }).click();
      assert.deepEqual(JSON.parse(await dialog.getByTestId('run-report-json').innerText()), run.report);
    });
    await withPage({ width: 390, height: 844 }, async (page) => {
      await signIn(page, stack);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.goto(`${stack.base}/retention?tab=runs`);
      await page.getByRole('button', { name: /^Report of the run started/ }).first().click();
      await page.getByRole('dialog').getByRole('table', { name: 'Run report per data class' }).waitFor();
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(wide <= 390, `the page is ${wide}px wide`);
      await axe(page, 'run report (phone)');
      await shot(page, 'retention-run-report-phone');
    });
  });

  test('retention: overrides and a legal hold pick any room or space of the tenant by name; an override is confirmed with what it removes there', async () => {
    // A space with trash the admin handed to Olive and left, and a group room of Olive's the admin
    // is not a member of.
    const olive = await addPerson(stack, adminToken, 'Olive Owner', 'olive@acme.example', 'olive long passphrase');
    const oliveToken = await login(stack, 'olive@acme.example', 'olive long passphrase');
    const space = await spaceWithTrash('Override e2e', ['x.txt', 'y.txt', 'z.txt']);
    const me = (await apiCall(stack, 'GET', '/me', { token: adminToken })).body.user.id;
    const handed = await apiCall(stack, 'PUT', `/spaces/${space.id}/members/${olive}`, { token: adminToken, body: { role: 'manager' } });
    assert.equal(handed.status, 204, JSON.stringify(handed.body));
    const left = await apiCall(stack, 'DELETE', `/spaces/${space.id}/members/${me}`, { token: oliveToken });
    assert.equal(left.status, 204, JSON.stringify(left.body));
    const room = await apiCall(stack, 'POST', '/rooms', { token: oliveToken, body: { kind: 'group', name: 'Olive private e2e' } });
    assert.equal(room.status, 201, JSON.stringify(room.body));
    assert.equal((await apiCall(stack, 'GET', `/rooms/${room.body.id}`, { token: adminToken })).status, 404, 'the admin is not in the room');
    const channel = await apiCall(stack, 'POST', '/rooms', { token: adminToken, body: { kind: 'channel', name: 'Lobby e2e' } });
    assert.equal(channel.status, 201, JSON.stringify(channel.body));
    // More channels than a page of the picker's search.
    for (let i = 0; i < 55; i++) {
      const c = await apiCall(stack, 'POST', '/rooms', { token: adminToken, body: { kind: 'channel', name: `Paged e2e ${String(i).padStart(2, '0')}` } });
      assert.equal(c.status, 201, JSON.stringify(c.body));
    }
    const en = (n) => n.toLocaleString('en-US');
    await withPage({}, async (page) => {
      await signIn(page, stack);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.goto(`${stack.base}/retention?tab=overrides`);
      await page.getByRole('heading', { name: 'Retention', level: 1 }).waitFor();
      const form = page.locator('form').filter({ has: page.getByRole('heading', { name: 'Set a period for one room or space' }) });

      // The search pages on as its list is scrolled to the end.
      await form.getByPlaceholder('Search rooms by name').fill('Paged e2e');
      const paged = page.getByRole('option', { name: /^Paged e2e/ });
      const options = page.getByRole('option');
      // The first page of what matches (50) and the line saying more do (the search settles
      // once the typing pauses).
      await until(async () => (await paged.count()) === 50 && (await options.count()) === 51, 'the first page of the search');
      await page.getByRole('option', { name: /More rooms match/ }).scrollIntoViewIfNeeded();
      await until(async () => (await paged.count()) === 55, 'the next page of the search');
      assert.equal(await page.getByRole('option', { name: /More rooms match/ }).count(), 0, 'no more pages');
      await shot(page, 'retention-override-picker-paged');
      await form.getByPlaceholder('Search rooms by name').fill('');
      await page.keyboard.press('Escape');

      // Olive's space, found by name though the admin is not in it.
      await pick(form, page, 'Kind', 'Space');
      await form.getByPlaceholder('Search spaces by name').fill('Override');
      await page.getByRole('option', { name: /^Override e2e/ }).click();
      await pick(form, page, 'Data class', 'trash');
      await form.getByLabel('Kept for').fill('0');
      await axe(page, 'override form');
      await form.getByRole('button', { name: 'Save' }).click();
      let dialog = page.getByRole('dialog');
      await dialog.getByText('Set a period for “Override e2e”?').waitFor();
      const impact = dialog.getByRole('table', { name: 'What the next run removes here' });
      await impact.waitFor();
      const body = { set: [{ class: 'trash', days: 0 }], reset: [] };
      const measured = (await apiCall(stack, 'POST', `/retention/overrides/space/${space.id}/preview`, { token: adminToken, body })).body;
      const trash = measured.classes.find((c) => c.class === 'trash');
      assert.equal(trash.items, 3, JSON.stringify(measured));
      assert.equal(trash.containers[0]?.name, 'Override e2e', JSON.stringify(trash));
      assert.equal(await impact.getByTestId('override-impact-items-trash').innerText(), en(trash.items));
      assert.equal(await impact.locator('tbody tr').count(), measured.classes.filter((c) => c.class === 'trash' || c.items > 0 || c.held.length > 0).length);
      await dialog.getByTestId('override-impact-total').getByText(`The next run removes ${en(measured.items)} items here`).waitFor();
      await axe(page, 'override confirm');
      await shot(page, 'retention-override-confirm');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      await until(
        async () => (await apiCall(stack, 'GET', '/retention/overrides', { token: adminToken })).body.some((o) => o.kind === 'space' && o.id === space.id && o.class === 'trash' && o.days === 0),
        'the override saved',
      );

      // Olive's room: found by name, its impact measured there alone.
      await pick(form, page, 'Kind', 'Room');
      await form.getByPlaceholder('Search rooms by name').fill('olive');
      await page.getByRole('option', { name: /^Olive private e2e/ }).click();
      await pick(form, page, 'Data class', 'messages_group');
      await form.getByLabel('Kept for').fill('30');
      await form.getByRole('button', { name: 'Save' }).click();
      dialog = page.getByRole('dialog');
      await dialog.getByText('Set a period for “Olive private e2e”?').waitFor();
      await dialog.getByTestId('override-impact-items-messages_group').waitFor();
      const roomPreview = (
        await apiCall(stack, 'POST', `/retention/overrides/room/${room.body.id}/preview`, {
          token: adminToken,
          body: { set: [{ class: 'messages_group', days: 30 }], reset: [] },
        })
      ).body;
      const group = roomPreview.classes.find((c) => c.class === 'messages_group');
      assert.equal(group.days, 30, JSON.stringify(roomPreview));
      assert.equal(await dialog.getByTestId('override-impact-items-messages_group').innerText(), en(group.items));
      assert.ok(roomPreview.classes.every((c) => ['notifications', 'attachments', 'messages_direct', 'messages_group', 'messages_channel'].includes(c.class)), 'room classes only');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      // The list names both.
      const list = page.getByRole('table', { name: 'Rooms and spaces' });
      await list.getByText('Override e2e').waitFor();
      await list.getByText('Olive private e2e').waitFor();
      await shot(page, 'retention-overrides-named');

      // A legal hold on Olive's room, the channel and the space, picked by name.
      await page.getByRole('tab', { name: 'Legal holds' }).click();
      await page.getByRole('button', { name: 'Place a legal hold' }).click();
      const hold = page.getByRole('dialog');
      await hold.getByRole('textbox', { name: 'Name' }).fill('Case 42');
      await hold.getByLabel('Reason').fill('A dispute');
      await hold.getByPlaceholder('Search rooms by name').fill('Lobby');
      await page.getByRole('option', { name: /^Lobby e2e/ }).click();
      await hold.getByPlaceholder('Search rooms by name').fill('Olive');
      await page.getByRole('option', { name: /^Olive private e2e/ }).click();
      await hold.getByPlaceholder('Search spaces by name').fill('Override');
      await page.getByRole('option', { name: /^Override e2e/ }).click();
      await hold.getByLabel('Reason').click();
      await axe(page, 'new hold');
      await shot(page, 'retention-hold-new');
      await hold.getByRole('button', { name: 'Place hold' }).click();
      await hold.waitFor({ state: 'detached' });
      const placed = (await apiCall(stack, 'GET', '/retention/holds', { token: adminToken })).body.items.find((h) => h.name === 'Case 42');
      assert.deepEqual([[...(placed?.rooms ?? [])].sort(), placed?.spaces], [[channel.body.id, room.body.id].sort(), [space.id]], JSON.stringify(placed));
      const holds = page.getByRole('table', { name: 'Legal holds' });
      await holds.getByText('Lobby e2e').waitFor();
      await holds.getByText('Olive private e2e').waitFor();
      await holds.getByText('Override e2e').waitFor();
      await axe(page, 'holds named');
      await shot(page, 'retention-holds-named');

      // Held now: the space's preview says what the hold keeps back.
      await page.getByRole('tab', { name: 'Rooms and spaces' }).click();
      await pick(form, page, 'Kind', 'Space');
      await form.getByPlaceholder('Search spaces by name').fill('Override');
      await page.getByRole('option', { name: /^Override e2e/ }).click();
      await pick(form, page, 'Data class', 'trash');
      await form.getByLabel('Kept for').fill('0');
      await form.getByRole('button', { name: 'Save' }).click();
      dialog = page.getByRole('dialog');
      const held = (await apiCall(stack, 'POST', `/retention/overrides/space/${space.id}/preview`, { token: adminToken, body })).body;
      const heldTrash = held.classes.find((c) => c.class === 'trash');
      assert.deepEqual(heldTrash.held.map((h) => [h.name, h.items]), [['Case 42', 3]], JSON.stringify(heldTrash));
      await dialog.getByTestId('override-impact-held-trash').getByText('Case 42: 3').waitFor();
      assert.equal(await dialog.getByTestId('override-impact-items-trash').innerText(), en(heldTrash.items));
      await dialog
        .getByTestId('override-impact-total')
        .getByText(held.items > 0 ? `The next run removes ${en(held.items)} items here` : 'Nothing here would be removed')
        .waitFor();
      await shot(page, 'retention-override-confirm-held');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await dialog.waitFor({ state: 'detached' });

      // Olive's room back to the policy: confirmed with what that removes there.
      await list.getByRole('row').filter({ hasText: 'Olive private e2e' }).getByRole('button', { name: 'Follow the policy' }).click();
      dialog = page.getByRole('dialog');
      await dialog.getByText('Follow the policy in “Olive private e2e”?').waitFor();
      await dialog.getByTestId('override-impact-items-messages_group').waitFor();
      const back = (
        await apiCall(stack, 'POST', `/retention/overrides/room/${room.body.id}/preview`, {
          token: adminToken,
          body: { set: [], reset: ['messages_group'] },
        })
      ).body;
      const policyGroup = back.classes.find((c) => c.class === 'messages_group');
      assert.equal(await dialog.getByTestId('override-impact-items-messages_group').innerText(), en(policyGroup.items));
      await axe(page, 'override reset confirm');
      await dialog.getByRole('button', { name: 'Follow the policy' }).click();
      await dialog.waitFor({ state: 'detached' });
      await until(
        async () => !(await apiCall(stack, 'GET', '/retention/overrides', { token: adminToken })).body.some((o) => o.id === room.body.id),
        'the room back on the policy',
      );
      await list.getByText('Olive private e2e').waitFor({ state: 'detached' });
    });
  });

  test('directory: rename, move and merge departments (the merge confirmed with what moves), visibility settings, CSV export and import', async () => {
    const dept = async (name, parent_id) => {
      const r = await apiCall(stack, 'POST', '/directory/departments', { token: adminToken, body: { name, parent_id } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body.id;
    };
    const ops = await dept('Ops');
    const field = await dept('Field', ops);
    const support = await dept('Support');
    const desk = await dept('Desk', support);
    const em = await addPerson(stack, adminToken, 'Em Field', 'em@acme.example', 'em long passphrase');
    const placed = await apiCall(stack, 'PUT', `/directory/people/${em}`, { token: adminToken, body: { primary_department_id: field } });
    assert.equal(placed.status, 200, JSON.stringify(placed.body));
    const chart = async () => (await apiCall(stack, 'GET', '/directory/chart', { token: adminToken })).body.nodes;
    await withPage({}, async (page) => {
      await open(page, 'Directory');
      const act = async (name, item) => {
        await page.getByRole('button', { name: `More actions for ${name}` }).click();
        await page.getByRole('menuitem', { name: item }).click();
        return page.getByRole('dialog');
      };
      // Rename.
      let dialog = await act('Support', 'Rename or change head…');
      await dialog.getByLabel('Name').fill('Customer care');
      await axe(page, 'edit department');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      await page.getByTestId('dept-Customer care').waitFor();
      assert.equal((await chart()).find((n) => n.id === support).name, 'Customer care');
      // Move Desk under Ops.
      dialog = await act('Desk', 'Move');
      await pick(dialog, page, 'New parent department', 'Ops');
      await dialog.getByRole('button', { name: 'Move' }).click();
      await dialog.waitFor({ state: 'detached' });
      await until(async () => (await chart()).find((n) => n.id === desk).parent_id === ops, 'Desk under Ops');
      // Merge Field into Customer care: the confirmation says who moves.
      dialog = await act('Field', 'Merge');
      await pick(dialog, page, 'Merge into', 'Customer care');
      await dialog.getByRole('button', { name: 'Next' }).click();
      await dialog.getByText('Merge “Field” into “Customer care”?').waitFor();
      assert.equal(await dialog.getByTestId('merge-members').innerText(), '1');
      assert.equal(await dialog.getByTestId('merge-children').innerText(), '0');
      await axe(page, 'merge confirm');
      await shot(page, 'directory-merge-confirm');
      await dialog.getByRole('button', { name: 'Merge' }).click();
      await dialog.waitFor({ state: 'detached' });
      await until(async () => !(await chart()).some((n) => n.id === field), 'Field merged away');
      const person = (await apiCall(stack, 'GET', `/directory/people/${em}`, { token: adminToken })).body;
      assert.deepEqual(person.departments.map((d) => d.id), [support], JSON.stringify(person));
      await axe(page, 'directory after merge');
      await shot(page, 'directory-departments-admin');

      // Visibility.
      await page.getByRole('tab', { name: 'Visibility' }).click();
      const visibility = page.getByRole('tabpanel', { name: 'Visibility' });
      await pick(visibility, page, 'Work email visible to', 'Nobody');
      await pick(visibility, page, 'Work phone visible to', 'People in the same department');
      await axe(page, 'directory visibility');
      await shot(page, 'directory-visibility');
      await visibility.getByRole('button', { name: 'Save' }).click();
      await until(async () => {
        const v = (await apiCall(stack, 'GET', '/settings/directory', { token: adminToken })).body;
        return v.email === 'nobody' && v.phone === 'same_department';
      }, 'the visibility saved');

      // Export, then import a file with one good row and one bad.
      await page.getByRole('tab', { name: 'Import and export' }).click();
      const [dl] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
      const text = readFileSync(await dl.path(), 'utf8');
      assert.equal(text.split('\n')[0].trim(), 'kind,department,position,person,head,manager,other_departments');
      assert.ok(text.includes('Customer care'), text);
      await page.getByTestId('directory-exported').waitFor();
      const csv = 'kind,department,position,person,head,manager,other_departments\ndepartment,Logistics/Night shift,,,,,\nperson,Ops,,nobody@nowhere.example,,,\n';
      await page.locator('input[type=file]').setInputFiles({ name: 'org.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
      await page.getByRole('button', { name: 'Check the file' }).click();
      const check = page.getByTestId('import-check');
      await check.waitFor();
      const dry = (await fetch(`${stack.api}/api/v1/directory/import?dry_run=true`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'text/csv' },
        body: csv,
      }).then((r) => r.json()));
      assert.equal(dry.applied, 1, JSON.stringify(dry));
      assert.equal(await check.getByTestId('import-applied').innerText(), String(dry.applied));
      assert.equal(await check.getByTestId('import-departments').innerText(), String(dry.departments_created));
      await check.getByRole('table', { name: 'Rejected rows' }).getByRole('cell', { name: '3', exact: true }).waitFor();
      assert.ok(!(await chart()).some((n) => n.name === 'Night shift'), 'a check writes nothing');
      await axe(page, 'import check');
      await shot(page, 'directory-import-check');
      await page.getByRole('button', { name: 'Import 1 row' }).click();
      await page.getByTestId('import-report').waitFor();
      await until(async () => (await chart()).some((n) => n.name === 'Night shift'), 'the import applied');
    });
    await withPage({ width: 390, height: 844 }, async (page) => {
      await signIn(page, stack);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      for (const tab of ['import', 'settings']) {
        await page.goto(`${stack.base}/directory?tab=${tab}`);
        await page.getByRole('heading', { name: 'Directory', level: 1 }).waitFor();
        await page.waitForLoadState('networkidle');
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(wide <= 390, `${tab}: the page is ${wide}px wide`);
        await axe(page, `directory ${tab} (phone)`);
        await shot(page, `directory-${tab}-phone`);
      }
    });
  });

  test('meeting rooms and resources: add one, edit it, delete it after a confirmation', async () => {
    await withPage({}, async (page) => {
      await open(page, 'Meeting rooms', 'Meeting rooms and resources');
      await page.getByRole('button', { name: 'New room or resource' }).click();
      let dialog = page.getByRole('dialog');
      await dialog.getByRole('textbox', { name: 'Name' }).fill('Room Saigon');
      await dialog.getByLabel('Capacity').fill('8');
      await dialog.getByLabel('Location').fill('Floor 3');
      await axe(page, 'new resource');
      await dialog.getByRole('button', { name: 'Add' }).click();
      await dialog.waitFor({ state: 'detached' });
      const table = page.getByRole('table', { name: 'Meeting rooms and resources' });
      await table.getByRole('cell', { name: 'Room Saigon', exact: true }).waitFor();
      const find = async () => (await apiCall(stack, 'GET', '/meeting-resources', { token: adminToken })).body.items.find((r) => r.name === 'Room Saigon');
      const made = await find();
      assert.deepEqual([made?.kind, made?.capacity, made?.location], ['room', 8, 'Floor 3'], JSON.stringify(made));
      await page.getByRole('button', { name: 'Edit Room Saigon' }).click();
      dialog = page.getByRole('dialog');
      await pick(dialog, page, 'Kind', 'Equipment');
      await dialog.getByLabel('Capacity').fill('');
      await dialog.getByRole('button', { name: 'Save' }).click();
      await dialog.waitFor({ state: 'detached' });
      await until(async () => (await find())?.kind === 'equipment', 'the edit saved');
      assert.equal((await find()).capacity ?? null, null, 'the capacity removed');
      await table.getByRole('cell', { name: 'Equipment', exact: true }).waitFor();
      await axe(page, 'meeting resources');
      await shot(page, 'meeting-resources');
      await page.getByRole('button', { name: 'Delete Room Saigon' }).click();
      dialog = page.getByRole('dialog');
      await dialog.getByText('Delete “Room Saigon”?').waitFor();
      await axe(page, 'delete resource');
      await dialog.getByRole('button', { name: 'Delete' }).click();
      await dialog.waitFor({ state: 'detached' });
      await until(async () => !(await find()), 'the resource deleted');
      await table.getByText('Nothing here.').waitFor();
    });
  });

  test('bulletin moderation: filter the board, remove someone\'s post with a reason, resolve one\'s own; staff see neither page', async () => {
    await addPerson(stack, adminToken, 'Giang Poster', 'giang@acme.example', 'giang long passphrase');
    const giang = await login(stack, 'giang@acme.example', 'giang long passphrase');
    const day = new Date(Date.now() - 2 * 86_400_000).toISOString().slice(0, 10);
    const post = async (token, kind, title) => {
      const r = await apiCall(stack, 'POST', '/bulletin/posts', {
        token,
        body: { kind, category: 'wallet', occurred_on: day, province: 'Hà Nội', district: 'Ba Đình', title, description: `${title}, brown leather`, contact_preference: 'message' },
      });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return r.body;
    };
    const spam = await post(giang, 'lost', 'Cheap watches for sale');
    const mine = await post(adminToken, 'found', 'Found a wallet');
    await withPage({}, async (page) => {
      await open(page, 'Bulletin moderation', 'Bulletin board moderation');
      const table = page.getByRole('table', { name: 'Posts' });
      await table.getByText('Cheap watches for sale', { exact: true }).waitFor();
      await table.getByText('Found a wallet', { exact: true }).waitFor();
      const filters = page.getByRole('search', { name: 'Filter posts' });
      await pick(filters, page, 'Kind', 'Found');
      await until(async () => (await table.getByText('Cheap watches for sale', { exact: true }).count()) === 0, 'the filter');
      await table.getByText('Found a wallet', { exact: true }).waitFor();
      await axe(page, 'bulletin');
      await shot(page, 'bulletin-moderation');
      // Resolve the admin's own post.
      await table.getByRole('button', { name: 'Mark “Found a wallet” resolved' }).click();
      let dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Mark resolved' }).click();
      await dialog.waitFor({ state: 'detached' });
      await until(async () => (await apiCall(stack, 'GET', `/bulletin/posts/${mine.id}`, { token: adminToken })).body.status === 'resolved', 'resolved');
      assert.equal(await table.getByRole('button', { name: 'Mark “Found a wallet” resolved' }).count(), 0);
      // Remove Giang's post, with a reason.
      await filters.getByLabel('Kind').click();
      await page.getByRole('option', { name: 'Lost', exact: true }).click();
      await table.getByRole('button', { name: 'Remove “Cheap watches for sale”' }).click();
      dialog = page.getByRole('dialog');
      assert.ok(await dialog.getByRole('button', { name: 'Remove' }).isDisabled(), 'a reason is needed');
      await dialog.getByLabel('Reason').fill('Advertising, not lost and found');
      await axe(page, 'remove post');
      await shot(page, 'bulletin-remove');
      await dialog.getByRole('button', { name: 'Remove' }).click();
      await dialog.waitFor({ state: 'detached' });
      await until(async () => (await apiCall(stack, 'GET', `/bulletin/posts/${spam.id}`, { token: adminToken })).status === 404, 'the post removed');
      await table.getByText('Nothing here.').waitFor();
    });
    await withPage({ width: 390, height: 844 }, async (page) => {
      await signIn(page, stack);
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      for (const [path, title] of [
        ['bulletin', 'Bulletin board moderation'],
        ['meeting-resources', 'Meeting rooms and resources'],
      ]) {
        await page.goto(`${stack.base}/${path}`);
        await page.getByRole('heading', { name: title, level: 1 }).waitFor();
        await page.waitForLoadState('networkidle');
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(wide <= 390, `${path}: the page is ${wide}px wide`);
        await axe(page, `${path} (phone)`);
        await shot(page, `${path}-phone`);
      }
    });
    await withPage({}, async (page) => {
      await signIn(page, stack, 'giang@acme.example', 'giang long passphrase');
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      for (const link of ['Meeting rooms', 'Bulletin moderation']) {
        assert.equal(await page.getByRole('link', { name: link }).count(), 0, `staff must not see ${link}`);
      }
    });
  });
});
