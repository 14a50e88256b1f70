/**
 * The center console in a real Chromium (docs/screens.md "The center
 * console"), against the real console server over the end-to-end rig
 * (test/fixtures/console-rig.ts): one center, one kiosk agent with its
 * simulated station, one account per role.
 *
 * Each role signs in in its own browser context (own cookies). Everything is
 * driven through the page: the login form, the nav, the confirm dialogs. The
 * rig is only used to issue a card (the kiosk agent serves a customer) and to
 * read the store afterwards, so every check of an action also looks at what
 * the center actually did.
 *
 * Screenshots: .tap/screenshots/console-*.png.
 */
import t, { type Test } from 'tap';
import type { Page, Request } from 'playwright-core';
import { toHex } from '../../card/bytes.js';
import { demoApplications } from '../../cli/demo/sample-apps.js';
import { KIOSK_AGENT_VERSION } from '../../kiosk/agent.js';
import { launchBrowser, loopbackOnly, type BrowserRig } from '../fixtures/browser.js';
import { startConsoleRig, type ConsoleAccount, type ConsoleRig } from '../fixtures/console-rig.js';
import { random } from '../fixtures/rig.js';

/** A bound on waiting for the page (not a timing assertion: only how long before we call it a failure). */
const WAIT = { timeout: 20_000 };

interface Watched {
  page: Page;
  /** Requests that left loopback. */
  outside: string[];
  /** POSTs to /api/ (other than the login) without Content-Type JSON or X-CSRF-Token. */
  badWrites: string[];
  /** Uncaught errors and console errors of the page. */
  errors: string[];
}

async function openConsole(browser: BrowserRig, c: ConsoleRig): Promise<Watched> {
  const context = await browser.context({ width: 1280, height: 800 });
  const page = await context.newPage();
  const w: Watched = { page, outside: [], badWrites: [], errors: [] };
  loopbackOnly(page, (url) => w.outside.push(url));
  page.on('request', (req: Request) => {
    const url = new URL(req.url());
    if (req.method() !== 'POST' || !url.pathname.startsWith('/api/')) return;
    const h = req.headers();
    if (!h['content-type']?.startsWith('application/json')) w.badWrites.push(`${url.pathname}: content-type ${h['content-type']}`);
    if (url.pathname !== '/api/login' && !h['x-csrf-token']) w.badWrites.push(`${url.pathname}: no X-CSRF-Token`);
  });
  page.on('pageerror', (e) => w.errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A refused request is logged by Chromium as a console error: those are expected where a test provokes them.
    if (m.type() === 'error' && !/status of (401|403)/.test(m.text())) w.errors.push(`console: ${m.text()}`);
  });
  await page.goto(c.url);
  await page.locator('#login-form').waitFor(WAIT);
  return w;
}

async function signIn(page: Page, a: ConsoleAccount): Promise<void> {
  await page.fill('#login-username', a.username);
  await page.fill('#login-password', a.password);
  await page.click('#login-submit');
  await page.locator('#who-text', { hasText: a.username }).waitFor(WAIT);
  await page.locator('#view-fleet[data-loaded]').waitFor(WAIT);
}

async function goTo(page: Page, view: string): Promise<void> {
  await page.click(`#nav a[data-view="${view}"]`);
  await page.locator(`#view-${view}`).waitFor({ state: 'visible', ...WAIT });
}

/** Waits for a data view's next load after `act` (a click that reloads it). */
async function reloaded(page: Page, view: string, act: () => Promise<void>): Promise<void> {
  const before = await page.locator(`#view-${view}`).getAttribute('data-loaded');
  await act();
  // A locator, not waitForFunction with a string: the page's CSP (no 'unsafe-eval') refuses the polling of a string predicate.
  const changed = before === null ? '[data-loaded]' : `[data-loaded]:not([data-loaded="${before}"])`;
  await page.locator(`#view-${view}${changed}:not([aria-busy])`).waitFor(WAIT);
}

async function storage(page: Page): Promise<{ local: number; session: number; cookie: string }> {
  return page.evaluate<{ local: number; session: number; cookie: string }>('({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie })');
}

/** Ends the browser side's checks: nothing left loopback, every write was well formed, no script errors, nothing stored. */
async function checkClean(tt: Test, w: Watched): Promise<void> {
  tt.same(w.outside, [], 'no request left loopback');
  tt.same(w.badWrites, [], 'every POST carried Content-Type: application/json and X-CSRF-Token');
  tt.same(w.errors, [], 'no script errors');
  tt.same(await storage(w.page), { local: 0, session: 0, cookie: '' }, 'nothing in localStorage or sessionStorage; no cookie readable from JS (HttpOnly)');
}

void t.test('the center console in Chromium', async (t) => {
  const c = await startConsoleRig(t, { console: { feed: { pollMs: 100 } } });
  const browser = await launchBrowser(t);
  const kioskId = c.kiosk!.id;
  const readerId = c.rig.stations[kioskId]!.identity.id;

  await t.test('viewer: login refusal, fleet, live feed, jobs, audit, charts; no actions', async (t) => {
    const w = await openConsole(browser, c);
    const { page } = w;
    await browser.screenshot(page, 'console-login');

    // A wrong password is refused, with its message, and nothing else opens.
    await page.fill('#login-username', c.accounts.viewer.username);
    await page.fill('#login-password', 'not-the-password');
    await page.click('#login-submit');
    const err = page.locator('#login-error');
    await err.waitFor({ state: 'visible', ...WAIT });
    t.equal(await err.textContent(), 'Wrong username or password. After 5 failures the account is locked for 15 minutes.', 'the refusal says so, and the lockout rule');
    t.equal(await err.getAttribute('data-code'), 'bad-credentials');
    t.equal(await page.inputValue('#login-password'), '', 'the password field is cleared');
    t.ok(await page.locator('#nav').isHidden(), 'no view is offered');
    await browser.screenshot(page, 'console-login-refused');

    await signIn(page, c.accounts.viewer);
    t.equal(await page.textContent('#who-text'), `${c.accounts.viewer.username} (viewer)`);
    t.ok(await page.locator('#login-error').isHidden(), 'the refusal is gone');

    // Fleet: the rig's kiosk online, with its agent version and its authenticated reader.
    const row = page.locator(`#view-fleet tr[data-kiosk="${kioskId}"]`);
    await row.locator('.online', { hasText: 'online' }).waitFor(WAIT);
    t.equal(await row.locator('.status').textContent(), 'active');
    t.equal(await row.locator('.agent').textContent(), `cardline-kiosk/${KIOSK_AGENT_VERSION}`, 'the agent version');
    const reader = row.locator(`li[data-reader="${readerId}"]`);
    t.match(await reader.textContent(), /^authenticated/, 'the reader is authenticated');
    t.equal(await row.locator('.cert-expired, .cert-soon').count(), 0, 'the certificate is neither expired nor about to be');
    t.equal(await page.locator('#view-fleet tbody button').count(), 0, 'a viewer is offered no Revoke');
    t.ok(await page.locator('#nav a[data-view="applications"]').isHidden(), 'nor the applications view');
    await browser.screenshot(page, 'console-fleet');

    // A card issued at the kiosk appears in the live feed, newest first.
    await goTo(page, 'feed');
    await page.locator('#feed-state', { hasText: 'live' }).waitFor(WAIT);
    const [app] = await c.rig.addApps(1);
    t.match(await c.kiosk!.request(app!.id, app!.code), { outcome: 'issued' }, 'the kiosk issued the card');
    const job = await c.rig.jobOf(app!.id);
    t.equal(job?.state, 'ISSUED');
    const issuedRow = page.locator(`#feed-table tbody tr[data-job="${job!.id}"]`, { hasText: 'ISSUED' });
    await issuedRow.waitFor(WAIT);
    const first = page.locator('#feed-table tbody tr').first();
    t.equal(await first.getAttribute('data-job'), job!.id, 'the newest change is first');
    t.match(await first.textContent(), new RegExp(`${app!.id}.*ISSUED.*${kioskId}`), 'with its application, state and kiosk');
    t.ok((await page.locator(`#feed-table tbody tr[data-job="${job!.id}"]`).count()) >= 2, 'the job\'s earlier moves are listed too');
    await browser.screenshot(page, 'console-feed');

    // Jobs by state: the issued job is counted and listed; a viewer may void nothing.
    await goTo(page, 'jobs');
    await page.locator('#view-jobs[data-loaded]:not([aria-busy])').waitFor(WAIT);
    t.equal(await page.textContent('#view-jobs button[data-state="ISSUED"] .count-n'), '1', 'one job ISSUED');
    t.equal(await page.textContent('#view-jobs button[data-state="PENDING"] .count-n'), '0', 'none PENDING');
    await reloaded(page, 'jobs', () => page.click('#view-jobs button[data-state="ISSUED"]'));
    t.equal(await page.getAttribute('#view-jobs button[data-state="ISSUED"]', 'aria-pressed'), 'true', 'the filter is shown as chosen');
    t.equal(await page.locator('#view-jobs tbody tr[data-job]').count(), 1, 'the ISSUED filter lists the one job');
    t.equal(await page.getAttribute('#view-jobs tbody tr[data-job]', 'data-job'), job!.id);
    t.equal(await page.locator('#view-jobs tbody button').count(), 0, 'a viewer is offered no Void');
    t.equal(await page.locator('#view-jobs thead th', { hasText: 'Actions' }).count(), 0, 'nor an Actions column');
    await browser.screenshot(page, 'console-jobs');

    // The audit browser: verification OK, entries newest first, paging to older ones.
    await goTo(page, 'audit');
    await page.locator('#view-audit [data-verification]').waitFor(WAIT);
    t.equal(await page.getAttribute('#view-audit [data-verification]', 'data-verification'), 'ok', 'the log verifies');
    t.match(await page.textContent('#view-audit .banner'), /Verified/);
    const indexes = async (): Promise<number[]> => Promise.all((await page.locator('#view-audit tbody tr[data-index]').all()).map(async (r) => Number(await r.getAttribute('data-index'))));
    const page1 = await indexes();
    t.ok(page1.length > 0, 'entries are listed');
    t.same(page1, [...page1].sort((a, b) => b - a), 'newest first');
    t.equal(await page.locator('#view-audit tbody tr', { hasText: 'job.move' }).filter({ hasText: '"to":"ISSUED"' }).count(), 1, 'the issuance is in the log');
    t.equal(await page.locator('#view-audit tbody tr', { hasText: 'console.login-failed' }).count(), 1, 'and the refused login');
    await browser.screenshot(page, 'console-audit');
    if (await page.locator('#view-audit button', { hasText: 'Older' }).isEnabled()) {
      await reloaded(page, 'audit', () => page.click('#view-audit button:has-text("Older")'));
      const page2 = await indexes();
      t.ok(page2.length > 0 && Math.max(...page2) < Math.min(...page1), 'the older page holds older entries');
      await reloaded(page, 'audit', () => page.click('#view-audit button:has-text("Newer")'));
      t.same(await indexes(), page1, 'and Newer comes back');
    } else {
      t.fail(`expected more than one page of audit entries (${page1.length} shown)`);
    }

    // Charts: at least the one issuance, and its latency.
    await goTo(page, 'charts');
    await page.locator('#chart-per-minute svg').waitFor(WAIT);
    t.ok(Number(await page.getAttribute('#chart-per-minute svg', 'data-issued')) >= 1, 'the per-minute chart counts the issuance');
    t.ok(await page.locator('#chart-per-minute rect.bar-issued').count() >= 1, 'and draws a bar for it');
    t.equal(await page.locator('#chart-latency rect.lat').count(), 3, 'p50, p90 and p99 are drawn');
    t.match(await page.textContent('#chart-latency .chart-summary'), /^1 issuance: p50 \d/, 'the latency summary');
    await browser.screenshot(page, 'console-charts');

    // The server refuses a viewer's write even when the page is bypassed (with the session's own CSRF token).
    const session = (await (await page.request.get(`${c.url}api/session`)).json()) as { csrf: string };
    const forbidden = await page.request.post(`${c.url}api/kiosks/${kioskId}/revoke`, {
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf, Origin: c.url.replace(/\/$/, '') },
      data: { reason: 'viewer tries' },
    });
    t.equal(forbidden.status(), 403);
    t.match(await forbidden.json(), { error: 'forbidden' });

    // Logout ends the session: a reload shows the login form again.
    await page.click('#logout');
    await page.locator('#view-login').waitFor({ state: 'visible', ...WAIT });
    await page.reload();
    await page.locator('#view-login').waitFor({ state: 'visible', ...WAIT });
    t.ok(await page.locator('#nav').isHidden(), 'after logout and a reload, nothing but the login form');

    // 5 wrong passwords in a row lock the account (the sign-in above reset the count); the page's answer never changes, so it tells nobody.
    for (let i = 0; i < 5; i++) {
      await page.fill('#login-username', c.accounts.viewer.username);
      await page.fill('#login-password', `wrong-password-${i}`);
      const [r] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/login'), WAIT), page.click('#login-submit')]);
      t.equal(r.status(), 401, `failure ${i + 1}`);
      await page.locator('#login-submit:enabled').waitFor(WAIT);
    }
    t.equal(await err.getAttribute('data-code'), 'bad-credentials');
    await page.fill('#login-password', c.accounts.viewer.password);
    const [locked] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/login'), WAIT), page.click('#login-submit')]);
    t.equal(locked.status(), 401, 'the right password is refused while locked, with the same answer');
    await page.locator('#login-submit:enabled').waitFor(WAIT);
    t.equal(await err.getAttribute('data-code'), 'bad-credentials');
    t.match(await err.textContent(), /After 5 failures the account is locked for 15 minutes/, 'the page states the rule, not the lock');
    t.ok(await page.locator('#nav').isHidden(), 'even the right password does not open it now');
    const refused = (await c.rig.audit()).filter((e) => e.kind === 'console.login-failed' && e.detail.username === c.accounts.viewer.username).at(-1);
    t.match(refused?.detail, { reason: 'locked' }, 'the audit log says why');
    await browser.screenshot(page, 'console-login-locked');
    await checkClean(t, w);
    await page.context().close();
  });

  await t.test('admin revokes the kiosk through the confirm dialog (cancel first)', async (t) => {
    const w = await openConsole(browser, c);
    const { page } = w;
    await signIn(page, c.accounts.admin);
    const row = page.locator(`#view-fleet tr[data-kiosk="${kioskId}"]`);
    const revoke = row.locator('button', { hasText: 'Revoke' });
    await revoke.waitFor(WAIT);
    const auditBefore = (await c.rig.audit()).length;

    await revoke.click();
    const dialog = page.locator('dialog#confirm');
    await dialog.waitFor({ state: 'visible', ...WAIT });
    t.match(await page.textContent('#confirm-title'), `Revoke kiosk ${kioskId}?`, 'the dialog names the kiosk');
    t.match(await page.textContent('#confirm-what'), /will be revoked/, 'and says what will happen');
    t.equal(await page.evaluate<string>('document.activeElement.id'), 'confirm-reason', 'focus is in the dialog, on the reason');
    await page.fill('#confirm-reason', 'cancelled on purpose');
    await browser.screenshot(page, 'console-revoke-dialog');
    await page.click('#confirm-cancel');
    await dialog.waitFor({ state: 'hidden', ...WAIT });
    await reloaded(page, 'fleet', () => page.click('#view-fleet .refresh'));
    t.equal(await row.locator('.status').textContent(), 'active', 'Cancel: the kiosk is still active');
    t.notOk((await c.rig.audit(auditBefore)).some((e) => e.kind === 'kiosk.status' || e.kind === 'console.action'), 'Cancel: nothing reached the center');

    // Confirm without a reason is refused in the dialog; with one, the kiosk is revoked.
    await revoke.click();
    await dialog.waitFor({ state: 'visible', ...WAIT });
    t.equal(await page.inputValue('#confirm-reason'), '', 'the reason starts empty again');
    await page.click('#confirm-ok');
    t.match(await page.textContent('#confirm-error'), /Give a reason/, 'a reason is asked for');
    await page.fill('#confirm-reason', 'lost in transit');
    await page.click('#confirm-ok');
    await dialog.waitFor({ state: 'hidden', ...WAIT });
    await row.locator('.status', { hasText: 'revoked' }).waitFor(WAIT);
    t.equal(await row.locator('button', { hasText: 'Revoke' }).count(), 0, 'no Revoke for a revoked kiosk');
    await page.waitForFunction("document.activeElement && document.activeElement.id === 'fleet-title'", undefined, WAIT);
    t.pass('focus moves to the view heading (the Revoke button is gone)');
    t.match(await page.textContent('#notice'), `Kiosk ${kioskId} revoked.`);
    const entries = await c.rig.audit(auditBefore);
    t.match(
      entries.find((e) => e.kind === 'kiosk.status'),
      { kiosk: kioskId, detail: { status: 'revoked', reason: 'lost in transit' } },
      'the center revoked it, with the reason',
    );
    t.match(entries.find((e) => e.kind === 'console.action'), { detail: { actor: c.accounts.admin.username, action: 'kiosk.revoke' } }, 'audited with the admin as actor');
    await browser.screenshot(page, 'console-fleet-revoked');
    await checkClean(t, w);
    await page.context().close();
  });

  await t.test('operator voids a pending job and adds an application through the dialogs', async (t) => {
    const w = await openConsole(browser, c);
    const { page } = w;
    await signIn(page, c.accounts.operator);
    await page.locator(`#view-fleet tr[data-kiosk="${kioskId}"]`).waitFor(WAIT);
    t.equal(await page.locator('#view-fleet tbody button').count(), 0, 'an operator is offered no Revoke');

    // Void: a fresh application's PENDING job.
    const [app] = await c.rig.addApps(1);
    const job = await c.rig.jobOf(app!.id);
    t.equal(job?.state, 'PENDING');
    await goTo(page, 'jobs');
    await page.locator('#view-jobs[data-loaded]:not([aria-busy])').waitFor(WAIT);
    await reloaded(page, 'jobs', () => page.click('#view-jobs button[data-state="PENDING"]'));
    const row = page.locator(`#view-jobs tr[data-job="${job!.id}"]`);
    await row.waitFor(WAIT);
    await row.locator('button', { hasText: 'Void' }).click();
    const dialog = page.locator('dialog#confirm');
    await dialog.waitFor({ state: 'visible', ...WAIT });
    t.match(await page.textContent('#confirm-what'), `Job ${job!.id} (application ${app!.id}, now PENDING)`, 'the dialog names the job, its application and state');
    await page.fill('#confirm-reason', 'customer withdrew');
    await browser.screenshot(page, 'console-void-dialog');
    await page.click('#confirm-ok');
    await dialog.waitFor({ state: 'hidden', ...WAIT });
    await page.locator('#notice', { hasText: `Job ${job!.id} voided.` }).waitFor(WAIT);
    t.equal((await c.rig.jobOf(app!.id))?.state, 'VOIDED', 'the center voided the job');
    await page.locator(`#view-jobs tr[data-job="${job!.id}"]`).waitFor({ state: 'detached', ...WAIT });
    t.pass('the job left the PENDING list');
    await browser.screenshot(page, 'console-jobs-operator');

    // Add: what the page refuses by itself first (not JSON), then a real application.
    await goTo(page, 'applications');
    await page.fill('#apps-json', '{ not json');
    await page.click('#apps-form button[type="submit"]');
    t.match(await page.textContent('#apps-error'), /not valid JSON/, 'text that is not JSON is refused in the page');
    t.ok(await dialog.isHidden(), 'without a dialog');

    const [sample] = demoApplications(1, random, `console${toHex(random(3))}`);
    const input = sample!.input;
    const json = JSON.stringify({ id: input.id, code: input.code, profile: input.profile, dgis: input.dgis.map((d) => ({ tag: d.tag.toString(16).padStart(4, '0'), value: toHex(d.value) })) }, null, 2);
    await page.fill('#apps-json', json);
    await page.click('#apps-form button[type="submit"]');
    await dialog.waitFor({ state: 'visible', ...WAIT });
    t.equal(await page.textContent('#confirm-title'), 'Add 1 application?');
    t.same(await page.locator('#confirm-list li').allTextContents(), [input.id], 'the dialog names the application');
    t.notOk((await page.textContent('#confirm'))!.includes(input.code), 'and never shows its one-time code');
    t.ok(await page.locator('#confirm-reason-field').isHidden(), 'no reason is asked for');
    await browser.screenshot(page, 'console-add-dialog');
    await page.click('#confirm-ok');
    await dialog.waitFor({ state: 'hidden', ...WAIT });
    await page.locator('#notice', { hasText: `Added 1 application: ${input.id}.` }).waitFor(WAIT);
    t.equal(await page.inputValue('#apps-json'), '', 'the text (with its code) is cleared');
    t.ok(await c.rig.application(input.id), 'the center has the application');
    t.equal((await c.rig.jobOf(input.id))?.state, 'PENDING', 'with its PENDING job');
    await browser.screenshot(page, 'console-applications');
    await checkClean(t, w);
    await page.context().close();
  });
});
