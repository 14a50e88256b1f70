/**
 * The console's writes over HTTP on the rig: an operator adds applications
 * (the CLI's JSON and parser) and voids a job, an admin revokes a kiosk;
 * each is done as its CLI command does it and audited `console.action`
 * with the actor. Refusals (an invalid or existing application, a final
 * job, an unknown kiosk) are 4xx with their code and change nothing. And
 * over HTTPS the session cookie is Secure.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { addApplicationsAction, revokeKiosk, voidJobAction } from '../../../center/console/actions.js';
import { consoleDepsOf } from '../../../center/console/deps.js';
import { toConsoleError } from '../../../center/console/error-map.js';
import { addKiosk } from '../../../center/registry.js';
import { startConsole } from '../../../center/console/server.js';
import { silentLogger } from '../../../common/log.js';
import { startConsoleRig } from '../../fixtures/console-rig.js';
import { random } from '../../fixtures/rig.js';
import { Browserish } from './client.js';

const c = await startConsoleRig(t);
const d = c.rig.center.deps;
const operator = new Browserish(c.url);
const admin = new Browserish(c.url);
await operator.login(c.accounts.operator.username, c.accounts.operator.password);
await admin.login(c.accounts.admin.username, c.accounts.admin.password);

const sampleApp = (id: string, code = 'A1B2C3D4'): Record<string, unknown> => ({ id, code, profile: 'cardline-basic', dgis: [{ tag: '0101', value: '7003010203' }] });

void t.test('an operator adds applications; a kiosk then issues one', async (t) => {
  const ids = [`CON-${Date.now()}-1`, `CON-${Date.now()}-2`];
  const r = await operator.post('/api/applications', [sampleApp(ids[0]!), sampleApp(ids[1]!)]);
  t.equal(r.status, 200);
  t.same(r.json, { added: ids });
  t.equal((await c.rig.jobOf(ids[0]!))?.state, 'PENDING', 'each with its PENDING job');
  const a = await c.rig.waitForAudit((e) => e.kind === 'console.action' && e.detail.action === 'applications.add', 'the action audited');
  t.match(a.detail, { actor: c.accounts.operator.username, count: 2 });
  t.equal((await c.kiosk!.request(ids[0]!, 'A1B2C3D4')).outcome, 'issued', 'the same data the CLI would have stored');
});

void t.test('invalid or existing applications: 400 / 409 naming the field, never its value; none added', async (t) => {
  const id = `CON-${Date.now()}-x`;
  const bad = await operator.post('/api/applications', [sampleApp(id), { ...sampleApp(`${id}2`), code: 'SECRET!' }]);
  t.equal(bad.status, 400);
  t.match(bad.json, { error: 'bad-request', message: /application #2: code/ });
  t.notMatch(bad.text, 'SECRET');
  t.equal(await c.rig.jobOf(id), undefined, 'all or none');
  t.equal((await operator.post('/api/applications', { ...sampleApp(id), profile: 'no-such' })).status, 400);
  t.equal((await operator.post('/api/applications', sampleApp(id))).status, 200);
  const again = await operator.post('/api/applications', sampleApp(id));
  t.equal(again.status, 409);
  t.match(again.json, { error: 'conflict' });
  const big = await operator.post('/api/applications', null, { raw: JSON.stringify({ pad: 'x'.repeat(300 * 1024) }) });
  t.equal(big.status, 413, 'beyond 256 KiB');
});

void t.test('an operator voids a job; a final job is 409; an unknown one 404', async (t) => {
  const [app] = await c.rig.addApps(1);
  const job = await c.rig.jobOf(app!.id);
  const r = await operator.post(`/api/jobs/${job!.id}/void`, { reason: 'customer moved' });
  t.equal(r.status, 200);
  t.same(r.json, { job: job!.id, state: 'VOIDED' });
  t.equal((await c.rig.jobOf(app!.id))?.state, 'VOIDED');
  t.equal((await c.rig.application(app!.id))?.status, 'pending', 'the application stays pending');
  const a = await c.rig.waitForAudit((e) => e.kind === 'console.action' && e.job === job!.id, 'the void audited');
  t.match(a.detail, { actor: c.accounts.operator.username, action: 'job.void', reason: 'customer moved' });
  t.match((await operator.post(`/api/jobs/${job!.id}/void`, { reason: 'again' })).json, { error: 'conflict' });
  t.match((await operator.post('/api/jobs/00000000-0000-4000-8000-000000000000/void', { reason: 'x' })).json, { error: 'not-found' });
  t.match((await operator.post(`/api/jobs/${job!.id}/void`, { reason: '' })).json, { error: 'bad-request' });
  t.match((await operator.post(`/api/jobs/${job!.id}/void`, { reason: 'x', more: 1 })).json, { error: 'bad-request' });
});

void t.test('an action and its console.action entry are one transaction: when the entry cannot be written, the action did not happen', async (t) => {
  const failing = { ...consoleDepsOf(d), audit: { ...d.audit, append: (tx: Parameters<typeof d.audit.append>[0], e: Parameters<typeof d.audit.append>[1]) => (e.kind === 'console.action' ? Promise.reject(new Error('audit down')) : d.audit.append(tx, e)) } };
  await t.rejects(revokeKiosk(failing, 'ada', 'kiosk-1', 'stolen'), /audit down/);
  t.equal((await d.db.query<{ status: string }>(`SELECT status FROM kiosks WHERE id = 'kiosk-1'`)).rows[0]?.status, 'active', 'the kiosk is still active');
  const [app] = await c.rig.addApps(1);
  const job = (await d.db.query<{ id: string }>(`SELECT id FROM jobs WHERE application_id = $1`, [app!.id])).rows[0]!.id;
  await t.rejects(voidJobAction(failing, 'ada', job, 'mistake'), /audit down/);
  t.equal((await d.db.query<{ state: string }>(`SELECT state FROM jobs WHERE id = $1`, [job])).rows[0]?.state, 'PENDING', 'the job is still PENDING');
  await t.rejects(addApplicationsAction(failing, 'ada', JSON.stringify([sampleApp(`ATOM-${Date.now()}`)])), /audit down/);
  t.equal((await d.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM applications WHERE id LIKE 'ATOM-%'`)).rows[0]?.n, 0, 'no application added');
});

void t.test('an admin revokes a kiosk: revoked in the registry, refused by the center, audited with the actor', async (t) => {
  t.match((await admin.post('/api/kiosks/no-such-kiosk/revoke', { reason: 'x' })).json, { error: 'not-found' });
  const before = (await c.rig.audit()).length;
  // Two admins at once: one revokes, the other is told it already was (one conditional UPDATE decides).
  const both = await Promise.all([admin.post('/api/kiosks/kiosk-1/revoke', { reason: 'stolen' }), admin.post('/api/kiosks/kiosk-1/revoke', { reason: 'stolen' })]);
  t.same(both.map((x) => x.status).sort(), [200, 409], 'one 200, one 409');
  const r = both.find((x) => x.status === 200)!;
  t.same(r.json, { kiosk: 'kiosk-1', status: 'revoked' });
  t.match(both.find((x) => x.status === 409)?.json, { error: 'conflict', message: /already revoked/ });
  const added = await c.rig.audit(before);
  t.equal(added.filter((e) => e.kind === 'kiosk.status').length, 1, 'one kiosk.status entry');
  t.equal(added.filter((e) => e.kind === 'console.action').length, 1, 'one console.action entry');
  t.equal(added.filter((e) => e.kind === 'kiosk.certs-revoked' && e.kiosk === 'kiosk-1').length, 1, "the running center's path: its certificate revoked too (docs/provisioning.md §4)");
  t.same((await d.db.query<{ state: string }>(`SELECT state FROM kiosk_certs WHERE kiosk_id = 'kiosk-1'`)).rows, [{ state: 'revoked' }]);
  t.equal((await d.db.query<{ status: string }>(`SELECT status FROM kiosks WHERE id = 'kiosk-1'`)).rows[0]?.status, 'revoked');
  const entries = await c.rig.audit();
  t.ok(entries.some((e) => e.kind === 'kiosk.status' && e.kiosk === 'kiosk-1' && e.detail.status === 'revoked' && e.detail.reason === 'stolen'), 'as `center kiosks revoke` records it');
  t.ok(entries.some((e) => e.kind === 'console.action' && e.kiosk === 'kiosk-1' && e.detail.actor === c.accounts.admin.username && e.detail.action === 'kiosk.revoke'));
  const fleet = (await admin.get('/api/fleet')).json as { kiosks: { status: string; online: boolean }[] };
  t.match(fleet.kiosks[0], { status: 'revoked', online: false });
  const [app] = await c.rig.addApps(1);
  t.not((await c.kiosk!.request(app!.id, app!.code)).outcome, 'issued', 'the revoked kiosk issues nothing');
  t.match((await admin.post('/api/kiosks/kiosk-1/revoke', { reason: 'again' })).json, { error: 'conflict' });
});

void t.test('two revokes at once: one changes the kiosk and is audited, the other is refused KIOSK_UNCHANGED (409 conflict)', async (t) => {
  await addKiosk(d, { id: 'kiosk-race', signingPublicKey: random(32), certFingerprint: 'race' });
  const before = (await c.rig.audit()).length;
  const both = await Promise.allSettled([revokeKiosk(consoleDepsOf(d), 'ada', 'kiosk-race', 'first'), revokeKiosk(consoleDepsOf(d), 'otto', 'kiosk-race', 'second')]);
  t.same(both.map((x) => x.status).sort(), ['fulfilled', 'rejected']);
  const refused = both.find((x) => x.status === 'rejected')!.reason as unknown;
  t.match(refused, { code: 'KIOSK_UNCHANGED' });
  t.match(toConsoleError(refused), { code: 'conflict', status: 409 });
  const added = (await c.rig.audit(before)).filter((e) => e.kiosk === 'kiosk-race');
  t.equal(added.filter((e) => e.kind === 'kiosk.status').length, 1, 'one kiosk.status entry');
  t.equal(added.filter((e) => e.kind === 'console.action').length, 1, 'one console.action entry');
});

void t.test('over HTTPS the session cookie is Secure and HSTS is sent', async (t) => {
  const tls = { cert: await readFile(c.rig.pki.broker.cert, 'utf8'), key: await readFile(c.rig.pki.broker.key, 'utf8') };
  const s = await startConsole({ deps: consoleDepsOf(d, { logger: silentLogger }), port: 0, tls });
  t.teardown(() => s.close());
  t.match(s.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
  const body = JSON.stringify({ username: c.accounts.viewer.username, password: c.accounts.viewer.password });
  const res = await new Promise<{ status: number; cookie: string; hsts: string }>((resolve, reject) => {
    const req = request(new URL('/api/login', s.url), { method: 'POST', ca: c.rig.ca, headers: { 'Content-Type': 'application/json', Origin: new URL(s.url).origin } }, (r) => {
      r.resume();
      r.on('end', () => resolve({ status: r.statusCode ?? 0, cookie: r.headers['set-cookie']?.[0] ?? '', hsts: String(r.headers['strict-transport-security']) }));
    });
    req.on('error', reject);
    req.end(body);
  });
  t.equal(res.status, 200);
  t.match(res.cookie, /; HttpOnly; SameSite=Strict; Path=\/; Secure$/);
  t.match(res.hsts, /max-age=/);
});

void t.test('nothing secret in the logs', (t) => {
  const all = [...c.log.lines, ...c.rig.logs.all()].join('');
  for (const s of [operator.csrf, admin.csrf, operator.cookie.split('=')[1]!, c.accounts.operator.password, c.accounts.admin.password, 'A1B2C3D4']) t.notOk(all.includes(s));
  t.end();
});
