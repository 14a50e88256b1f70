/**
 * The console's common rules over HTTP (docs/screens.md): strict headers on
 * every answer, the Host check (421), a write's JSON type, Origin and CSRF
 * token (403, nothing changed), the roles (viewer cannot void or revoke,
 * operator cannot revoke), sessions required for every view, and the static
 * files (index.html at /, /static/…, clean 404s, no way out of the directory).
 */
import t, { type Test } from 'tap';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SECURITY_HEADERS } from '../../../common/http-guard.js';
import { startConsole } from '../../../center/console/server.js';
import { consoleDepsOf } from '../../../center/console/deps.js';
import { silentLogger } from '../../../common/log.js';
import { startConsoleRig } from '../../fixtures/console-rig.js';
import { Browserish, send, type Reply } from './client.js';

const c = await startConsoleRig(t, { kiosk: false });
const d = c.rig.center.deps;
const viewer = new Browserish(c.url);
const operator = new Browserish(c.url);
const admin = new Browserish(c.url);
await viewer.login(c.accounts.viewer.username, c.accounts.viewer.password);
await operator.login(c.accounts.operator.username, c.accounts.operator.password);
await admin.login(c.accounts.admin.username, c.accounts.admin.password);
const port = new URL(c.url).port;

const kioskStatus = async (): Promise<string | undefined> => (await d.db.query<{ status: string }>(`SELECT status FROM kiosks WHERE id = 'kiosk-1'`)).rows[0]?.status;
const jobState = async (appId: string): Promise<string | undefined> => (await c.rig.jobOf(appId))?.state;

function checkHeaders(t: Test, r: Reply, what: string): void {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) t.equal(r.headers[k.toLowerCase()], v, `${what}: ${k}`);
}

void t.test('strict security headers on pages, API answers and errors', async (t) => {
  t.match(SECURITY_HEADERS['Content-Security-Policy'], "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  checkHeaders(t, await viewer.get('/api/fleet'), 'API');
  checkHeaders(t, await send(c.url, '/api/fleet'), '401');
  checkHeaders(t, await send(c.url, '/nowhere'), '404');
  checkHeaders(t, await send(c.url, '/api/fleet', { headers: { Host: 'evil.example:80' } }), '421');
  checkHeaders(t, await send(c.url, '/'), 'page');
});

void t.test('Host check: another name is 421 host-refused (DNS rebinding); loopback names pass', async (t) => {
  for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1:${Number(port) + 1}`, `10.0.0.1:${port}`]) {
    const r = await send(c.url, '/api/session', { headers: { Host: host, Cookie: viewer.cookie } });
    t.equal(r.status, 421, host);
    t.match(r.json, { error: 'host-refused' });
  }
  const login = await send(c.url, '/api/login', { method: 'POST', headers: { Host: 'evil.example', Origin: 'http://evil.example', 'Content-Type': 'application/json' }, body: JSON.stringify(c.accounts.admin) });
  t.equal(login.status, 421, 'no login through a rebound name');
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`]) t.equal((await send(c.url, '/api/session', { headers: { Host: host, Cookie: viewer.cookie } })).status, 200, host);
});

void t.test('writes without the CSRF token, or with a wrong one, are 403 csrf and change nothing', async (t) => {
  const [app] = await c.rig.addApps(1);
  const job = await c.rig.jobOf(app!.id);
  const variants: Record<string, string>[] = [{}, { 'X-CSRF-Token': 'A'.repeat(43) }, { 'X-CSRF-Token': viewer.csrf }];
  for (const headers of variants) {
    const v = await admin.post(`/api/jobs/${job!.id}/void`, { reason: 'csrf test' }, { csrf: false, headers });
    t.equal(v.status, 403);
    t.match(v.json, { error: 'csrf' });
    const r = await admin.post('/api/kiosks/kiosk-1/revoke', { reason: 'csrf test' }, { csrf: false, headers });
    t.match(r.json, { error: 'csrf' });
  }
  t.equal(await jobState(app!.id), 'PENDING', 'the job is untouched');
  t.equal(await kioskStatus(), 'active', 'the kiosk is untouched');
  t.ok(c.log.lines.some((l) => l.includes('"code":"csrf"')), 'the refusal is logged with its code');
});

void t.test('writes from another Origin (or none) are 403 origin; not JSON is 415', async (t) => {
  const [app] = await c.rig.addApps(1);
  const job = await c.rig.jobOf(app!.id);
  for (const origin of ['http://evil.example', `http://localhost:${Number(port) + 1}`, 'null']) {
    const r = await admin.post(`/api/jobs/${job!.id}/void`, { reason: 'origin test' }, { headers: { Origin: origin } });
    t.equal(r.status, 403, origin);
    t.match(r.json, { error: 'origin' });
  }
  const none = await send(c.url, `/api/jobs/${job!.id}/void`, { method: 'POST', headers: { 'Content-Type': 'application/json', Cookie: admin.cookie, 'X-CSRF-Token': admin.csrf }, body: '{"reason":"x"}' });
  t.match(none.json, { error: 'origin' }, 'no Origin at all');
  const form = await admin.post(`/api/jobs/${job!.id}/void`, {}, { raw: 'reason=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
  t.equal(form.status, 415, 'a form post is refused');
  t.equal(await jobState(app!.id), 'PENDING', 'nothing changed');
});

void t.test('roles: a viewer cannot void, add or revoke; an operator cannot revoke', async (t) => {
  const [app] = await c.rig.addApps(1);
  const job = await c.rig.jobOf(app!.id);
  const tries: [Browserish, string, unknown][] = [
    [viewer, `/api/jobs/${job!.id}/void`, { reason: 'role test' }],
    [viewer, '/api/kiosks/kiosk-1/revoke', { reason: 'role test' }],
    [viewer, '/api/applications', []],
    [operator, '/api/kiosks/kiosk-1/revoke', { reason: 'role test' }],
  ];
  for (const [who, path, body] of tries) {
    const r = await who.post(path, body);
    t.equal(r.status, 403, path);
    t.match(r.json, { error: 'forbidden' });
  }
  t.equal(await jobState(app!.id), 'PENDING');
  t.equal(await kioskStatus(), 'active');
  t.equal((await viewer.get('/api/fleet')).status, 200, 'a viewer reads');
});

void t.test('a malformed % escape in a path parameter is 400 bad-request, not 500', async (t) => {
  for (const path of ['/api/kiosks/%E0%A4%A/revoke', '/api/kiosks/%ZZ/revoke', '/api/jobs/%/void']) {
    const r = await admin.post(path, { reason: 'escape test' });
    t.equal(r.status, 400, path);
    t.match(r.json, { error: 'bad-request', message: /malformed % escape/ });
  }
  t.equal(await kioskStatus(), 'active', 'nothing changed');
  t.notOk(c.log.lines.some((l) => l.includes('request failed')), 'not logged as an internal failure');
});

void t.test('every view needs a session (401 unauthenticated)', async (t) => {
  for (const path of ['/api/session', '/api/fleet', '/api/jobs', '/api/feed', '/api/audit', '/api/stats']) {
    const r = await send(c.url, path, { headers: { Cookie: 'cl_session=' + 'x'.repeat(43) } });
    t.equal(r.status, 401, path);
    t.match(r.json, { error: 'unauthenticated' });
  }
});

void t.test('the feed is capped: beyond maxStreams, 503 busy', async (t) => {
  const capped = await startConsole({ deps: { ...consoleDepsOf(d, { logger: silentLogger }) }, port: 0, feed: { maxStreams: 0 } });
  t.teardown(() => capped.close());
  const b = new Browserish(capped.url);
  await b.login(c.accounts.viewer.username, c.accounts.viewer.password);
  const r = await b.get('/api/feed');
  t.equal(r.status, 503);
  t.match(r.json, { error: 'busy' });
});

void t.test('static files: / is index.html, /static/… under the directory, clean 404s', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'console-static-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>console</title>');
  await mkdir(join(dir, 'js'));
  await writeFile(join(dir, 'js', 'app.js'), 'export {};');
  const s = await startConsole({ deps: consoleDepsOf(d, { logger: silentLogger }), port: 0, staticDir: dir });
  t.teardown(() => s.close());
  const index = await send(s.url, '/');
  t.equal(index.status, 200);
  t.match(index.headers['content-type'], /^text\/html/);
  t.match(index.text, '<title>console</title>');
  const js = await send(s.url, '/static/js/app.js');
  t.match(js.headers['content-type'], /^text\/javascript/);
  for (const path of ['/static/missing.js', '/static/../secret.txt', '/static/%2e%2e/secret.txt', '/static/.hidden.js', '/index.html.bak', '/other']) {
    const r = await send(s.url, path);
    t.equal(r.status, 404, path);
    t.match(r.json, { error: 'not-found' });
  }
  t.equal((await send(s.url, '/', { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: new URL(s.url).origin } })).status, 405);
  const empty = await startConsole({ deps: consoleDepsOf(d, { logger: silentLogger }), port: 0, staticDir: join(dir, 'none') });
  t.teardown(() => empty.close());
  t.equal((await send(empty.url, '/')).status, 404, 'no front end yet: a clean 404');
  t.equal((await send(c.url, '/')).status, 200, "the real front end's index.html");
});

void t.test('a non-loopback address without TLS is refused at start', async (t) => {
  await t.rejects(startConsole({ deps: consoleDepsOf(d, { logger: silentLogger }), host: '0.0.0.0', port: 0 }), { code: 'CONFIG_INVALID' });
});
