/**
 * Console logins and sessions over HTTP, on the rig with real PGlite and
 * the console's clock faked: login ok, wrong password and unknown user (one
 * answer), lockout after 5 failures (the same answer again: the lock is told
 * only to the audit log) and its end after 15 minutes, parallel logins
 * counted before the lock, idle and absolute session expiry, logout, a
 * disabled account, feeds that end with their session, and what is audited.
 * Nothing logged holds a password, a cookie token or a CSRF token.
 */
import t from 'tap';
import { DEFAULT_FEED_LIMITS } from '../../../center/console/feed.js';
import { addOperator, disableOperator } from '../../../center/console/operators.js';
import { IDLE_MS } from '../../../center/console/sessions.js';
import { FakeClock } from '../../../common/clock.js';
import { startConsoleRig } from '../../fixtures/console-rig.js';
import { random, TEST_SCRYPT } from '../../fixtures/rig.js';
import { Browserish, send } from './client.js';
import { openSse, type SseStream } from './sse.js';

const clock = new FakeClock(Date.now());
// maxLogins: room for the parallel logins below (the default 8 would answer some 503 busy).
const c = await startConsoleRig(t, { clock, kiosk: false, console: { maxLogins: 32 } });
const { viewer, operator, admin } = c.accounts;
const d = c.rig.center.deps;
const secrets: string[] = [viewer.password, operator.password, admin.password];

void t.test('login: 200 with role and CSRF token, an HttpOnly SameSite=Strict session cookie', async (t) => {
  const b = new Browserish(c.url);
  const r = await b.login(operator.username, operator.password);
  t.equal(r.status, 200);
  t.match(r.json, { username: operator.username, role: 'operator', csrf: /^[A-Za-z0-9_-]{43}$/ });
  const set = r.headers['set-cookie']![0]!;
  t.match(set, /^cl_session=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/$/);
  t.notMatch(set, /Max-Age|Expires|Secure/, 'a session cookie (no TLS here: not Secure)');
  secrets.push(b.cookie.split('=')[1]!, b.csrf);
  const s = await b.get('/api/session');
  t.same(s.json, { username: operator.username, role: 'operator', csrf: b.csrf });
  const stored = await d.db.query<{ token_hash: Uint8Array }>('SELECT token_hash FROM console_sessions WHERE username = $1', [operator.username]);
  t.ok(stored.rows.length >= 1);
  const token = b.cookie.split('=')[1]!;
  t.notOk(
    stored.rows.some((row) => Buffer.from(row.token_hash).toString('base64url') === token),
    'only a hash of the token is stored',
  );
  const a = await c.rig.waitForAudit((e) => e.kind === 'console.login' && e.detail.username === operator.username, 'the login audited');
  t.equal(a.detail.role, 'operator');
});

void t.test('wrong password and unknown user get the same 401 bad-credentials', async (t) => {
  const b = new Browserish(c.url);
  const wrong = await b.login(viewer.username, 'not-the-password');
  const unknown = await b.login('nobody-here', 'not-the-password');
  t.equal(wrong.status, 401);
  t.equal(unknown.status, 401);
  t.same(wrong.json, unknown.json, 'one answer');
  t.same(wrong.json, { error: 'bad-credentials', message: 'wrong username or password' });
  t.notOk(wrong.headers['set-cookie'], 'no cookie');
  t.equal((await b.get('/api/session')).status, 401, 'no session');
  const failed = (await c.rig.audit()).filter((e) => e.kind === 'console.login-failed');
  t.ok(failed.some((e) => e.detail.username === viewer.username && e.detail.reason === 'password'));
  t.ok(failed.some((e) => e.detail.username === null && e.detail.reason === 'unknown-user'), 'an unknown username is not recorded');
  await disableOperator({ db: d.db, audit: d.audit, clock }, viewer.username).then(async () => {
    t.same((await b.login(viewer.username, viewer.password)).json, wrong.json, 'a disabled account: the same answer with the right password');
    await d.db.query(`UPDATE operators SET status = 'active', failed_logins = 0 WHERE username = $1`, [viewer.username]);
  });
});

void t.test('5 failures lock the account for 15 minutes: even the right password then gets the same 401, the audit says locked', async (t) => {
  const b = new Browserish(c.url);
  for (let i = 0; i < 5; i++) t.equal((await b.login(admin.username, `wrong-password-${i}`)).status, 401, `failure ${i + 1}`);
  const unknown = await b.login('nobody-here', 'not-the-password');
  const locked = await b.login(admin.username, admin.password);
  t.equal(locked.status, 401);
  t.same(locked.json, unknown.json, 'the answer of an unknown user: neither the account nor its lock is told');
  t.same(locked.json, { error: 'bad-credentials', message: 'wrong username or password' });
  t.notOk(locked.headers['set-cookie'], 'no cookie');
  const last = (await c.rig.audit()).filter((e) => e.kind === 'console.login-failed' && e.detail.username === admin.username).at(-1);
  t.match(last?.detail, { username: admin.username, reason: 'locked' }, 'the reason is in the audit log');
  t.ok(c.log.lines.some((l) => l.includes('login refused') && l.includes('"reason":"locked"')), 'and in the log');
  clock.advance(14 * 60_000);
  t.equal((await b.login(admin.username, admin.password)).status, 401, 'still locked after 14 minutes');
  clock.advance(60_000 + 1);
  t.equal((await b.login(admin.username, admin.password)).status, 200, 'open again after 15 minutes');
  const row = (await d.db.query<{ failed_logins: number; locked_until: Date | null }>('SELECT failed_logins, locked_until FROM operators WHERE username = $1', [admin.username])).rows[0];
  t.same(row, { failed_logins: 0, locked_until: null }, 'a success resets the count');
});

void t.test('parallel logins cannot pass the lock together: of 20 wrong ones at once, 5 are counted; then a right one in a batch is refused', async (t) => {
  const pat = { username: 'pat', password: 'parallel-password-4' };
  // A costlier hash than the tests' (as a real one is): the attempts overlap while their passwords are checked.
  await addOperator({ db: d.db, audit: d.audit, clock, random, scrypt: { ...TEST_SCRYPT, logN: 14 } }, { username: pat.username, role: 'viewer', password: pat.password });
  const from = (await c.rig.audit()).length;
  const wrong = await Promise.all(Array.from({ length: 20 }, (_, i) => new Browserish(c.url).login(pat.username, `wrong-password-${i}`)));
  t.same(new Set(wrong.map((r) => r.status)), new Set([401]), 'each refused with 401');
  const failed = (await c.rig.audit(from)).filter((e) => e.kind === 'console.login-failed' && e.detail.username === pat.username);
  t.equal(failed.length, 20, 'each audited');
  t.equal(failed.filter((e) => e.detail.reason === 'password').length, 5, 'only 5 passwords were checked against the account before the lock');
  t.equal(failed.filter((e) => e.detail.reason === 'locked').length, 15, 'the rest refused as locked');
  const row = (await d.db.query<{ locked_until: Date | null }>('SELECT locked_until FROM operators WHERE username = $1', [pat.username])).rows[0];
  t.ok(row?.locked_until && row.locked_until.getTime() > clock.now(), 'the account is locked');

  const batch = await Promise.all([...Array.from({ length: 3 }, (_, i) => new Browserish(c.url).login(pat.username, `wrong-again-${i}`)), new Browserish(c.url).login(pat.username, pat.password)]);
  t.same(batch.map((r) => r.status), [401, 401, 401, 401], 'the right password in the batch is refused too');
  const after = (await c.rig.audit(from + 20)).filter((e) => e.kind === 'console.login-failed' && e.detail.username === pat.username);
  t.same(after.map((e) => e.detail.reason), ['locked', 'locked', 'locked', 'locked']);
  t.notOk((await c.rig.audit(from)).some((e) => e.kind === 'console.login' && e.detail.username === pat.username), 'no login');
});

void t.test('a session ends after 15 minutes idle; activity keeps it; 8 hours end it anyway', async (t) => {
  const b = new Browserish(c.url);
  await b.login(viewer.username, viewer.password);
  clock.advance(14 * 60_000);
  t.equal((await b.get('/api/fleet')).status, 200, 'used after 14 minutes');
  clock.advance(14 * 60_000);
  t.equal((await b.get('/api/fleet')).status, 200, 'idle time restarts with each request');
  clock.advance(15 * 60_000);
  const idle = await b.get('/api/fleet');
  t.equal(idle.status, 401);
  t.match(idle.json, { error: 'unauthenticated' });

  const long = new Browserish(c.url);
  await long.login(viewer.username, viewer.password);
  for (let i = 0; i < 40; i++) {
    clock.advance(12 * 60_000);
    if ((await long.get('/api/session')).status !== 200) break;
  }
  const after = await long.get('/api/session');
  t.equal(after.status, 401, 'ended by the 8-hour limit though never idle');
});

void t.test('logout ends the session (CSRF token required) and clears the cookie', async (t) => {
  const b = new Browserish(c.url);
  await b.login(viewer.username, viewer.password);
  t.equal((await b.post('/api/logout', {}, { csrf: false })).status, 403, 'not without the CSRF token');
  t.equal((await b.get('/api/session')).status, 200, 'still signed in');
  const out = await b.post('/api/logout', {});
  t.equal(out.status, 200);
  t.match(out.headers['set-cookie']![0], /^cl_session=; .*Max-Age=0/);
  t.equal((await b.get('/api/session')).status, 401, 'the old cookie no longer works');
});

/** Whether the server ends the stream within `ms` (real time). */
function endsWithin(s: SseStream, ms: number): Promise<boolean> {
  return Promise.race([s.ended.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

void t.test('an open feed ends with its session: at logout and at disable at once, at idle expiry by its own check', async (t) => {
  const b = new Browserish(c.url);
  await b.login(viewer.username, viewer.password);
  const atLogout = await openSse(c.url, { Cookie: b.cookie });
  t.teardown(() => atLogout.close());
  t.equal(atLogout.status, 200);
  t.equal((await b.post('/api/logout', {})).status, 200);
  t.ok(await endsWithin(atLogout, 5000), 'logout ends the feed at once (no clock moved)');

  const o = new Browserish(c.url);
  await o.login(operator.username, operator.password);
  const atDisable = await openSse(c.url, { Cookie: o.cookie });
  t.teardown(() => atDisable.close());
  t.equal(atDisable.status, 200);
  await disableOperator({ db: d.db, audit: d.audit, clock }, operator.username);
  t.ok(await endsWithin(atDisable, 5000), 'disabling the account ends its feed at once');
  await d.db.query(`UPDATE operators SET status = 'active' WHERE username = $1`, [operator.username]);

  const i = new Browserish(c.url);
  await i.login(viewer.username, viewer.password);
  const sleepers = clock.pending;
  const idle = await openSse(c.url, { Cookie: i.cookie });
  t.teardown(() => idle.close());
  t.equal(idle.status, 200);
  // The feed waits for its next poll on the console's (fake) clock.
  for (let n = 0; clock.pending <= sleepers && n < 200; n++) await new Promise((r) => setTimeout(r, 10));
  clock.advance(IDLE_MS + 1);
  let ended = await endsWithin(idle, 2000);
  // Two more polls at most: the check runs on a timer, not after 15 s of quiet polls.
  for (let n = 0; !ended && n < 2; n++) {
    clock.advance(DEFAULT_FEED_LIMITS.pollMs);
    ended = await endsWithin(idle, 2000);
  }
  t.ok(ended, 'the feed ends once its session is idle 15 minutes (an open feed is not activity)');
  t.equal((await i.get('/api/session')).status, 401, 'the session has ended');
});

void t.test('malformed logins are 400/415/413, not 500', async (t) => {
  const b = new Browserish(c.url);
  t.match((await b.post('/api/login', {}, { raw: 'not json' })).json, { error: 'bad-request' });
  t.match((await b.post('/api/login', { username: 'x', password: 'y', extra: 1 })).json, { error: 'bad-request' });
  t.equal((await b.post('/api/login', {}, { headers: { 'Content-Type': 'text/plain' } })).status, 415);
  t.equal((await b.post('/api/login', { username: 'x', password: 'y'.repeat(5000) })).status, 413);
  t.equal((await send(c.url, '/api/login')).status, 405, 'GET on a POST route');
  t.equal((await send(c.url, '/api/nothing')).status, 404);
});

void t.test('no password, cookie token or CSRF token in any log', (t) => {
  const all = [...c.log.lines, ...c.rig.logs.all()].join('');
  t.ok(c.log.lines.some((l) => l.includes('request refused') && l.includes('bad-credentials')), 'refusals are logged with their code');
  for (const s of secrets) t.notOk(all.includes(s), 'a secret is absent from the logs');
  t.end();
});
