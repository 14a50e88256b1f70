/**
 * Console logins and sessions over HTTP, on the rig with real PGlite and
 * the console's clock faked: login ok, wrong password and unknown user (one
 * answer), lockout after 5 failures and its end after 15 minutes, idle and
 * absolute session expiry, logout, a disabled account, and what is audited.
 * Nothing logged holds a password, a cookie token or a CSRF token.
 */
import t from 'tap';
import { disableOperator } from '../../../center/console/operators.js';
import { FakeClock } from '../../../common/clock.js';
import { startConsoleRig } from '../../fixtures/console-rig.js';
import { Browserish, send } from './client.js';

const clock = new FakeClock(Date.now());
const c = await startConsoleRig(t, { clock, kiosk: false });
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

void t.test('5 failures lock the account for 15 minutes (429 locked, even with the right password)', async (t) => {
  const b = new Browserish(c.url);
  for (let i = 0; i < 5; i++) t.equal((await b.login(admin.username, `wrong-password-${i}`)).status, 401, `failure ${i + 1}`);
  const locked = await b.login(admin.username, admin.password);
  t.equal(locked.status, 429);
  t.same(locked.json, { error: 'locked', message: 'too many failed logins: try again later' });
  clock.advance(14 * 60_000);
  t.equal((await b.login(admin.username, admin.password)).status, 429, 'still locked after 14 minutes');
  clock.advance(60_000 + 1);
  t.equal((await b.login(admin.username, admin.password)).status, 200, 'open again after 15 minutes');
  const row = (await d.db.query<{ failed_logins: number; locked_until: Date | null }>('SELECT failed_logins, locked_until FROM operators WHERE username = $1', [admin.username])).rows[0];
  t.same(row, { failed_logins: 0, locked_until: null }, 'a success resets the count');
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
