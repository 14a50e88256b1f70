/**
 * The center's operator actions and the guards the review added, with real
 * components: a revocation ends the kiosk's reservation (back to PENDING) and
 * tells it nothing more; an operator voids a job and the application stays
 * pending; a kiosk's own stale reservation is released at its next request;
 * a released reservation is told to the kiosk (`failed` `voided`); the
 * one-time code never enters the audit log's body MAC.
 */
import t from 'tap';
import { createHmac } from 'node:crypto';
import { readKeyFile } from '../../../common/key-files.js';
import { voidJob } from '../../../center/jobs.js';
import { setKioskStatus } from '../../../center/registry.js';
import { RawKiosk } from '../../fixtures/raw-kiosk.js';
import { startRig } from '../../fixtures/rig.js';

const rig = await startRig(t, { kiosks: ['kiosk-1', 'kiosk-2', 'kiosk-3'], cardsPerStation: 4 });
// One agent per kiosk ID: two clients with one client ID would take the connection from each other.
const kiosk1 = await rig.startKiosk('kiosk-1');
const d = rig.center.deps;
const deps = { db: d.db, audit: d.audit, clock: d.clock };
const reader = (id: string): string => rig.stations[id]!.identity.id;

void t.test('revoking a kiosk releases its reservation; the application can be served elsewhere', async (t) => {
  const [app] = await rig.addApps(1);
  const raw = await RawKiosk.connect(t, rig.center.url, rig.pki, 'kiosk-2');
  await raw.hello(reader('kiosk-2'));
  await raw.waitDown('welcome');
  const from = raw.downs.length;
  await raw.send('request', { application: app!.id, code: app!.code });
  await raw.waitDown('insert-card', from);
  t.equal((await rig.jobOf(app!.id))?.state, 'RESERVED');
  await setKioskStatus(deps, 'kiosk-2', 'revoked', 'test');
  const job = await rig.jobOf(app!.id);
  t.equal(job?.state, 'PENDING', 'the reservation went back with the revocation');
  t.equal(job?.kiosk_id, null);
  t.same(await kiosk1.request(app!.id, app!.code), { outcome: 'issued', job: job!.id }, 'another kiosk issues it');
});

void t.test('an operator voids a pending job; a later request starts a new job', async (t) => {
  const [app] = await rig.addApps(1);
  const first = await rig.jobOf(app!.id);
  const voided = await voidJob(deps, first!.id, 'test');
  t.equal(voided.state, 'VOIDED');
  t.equal((await rig.application(app!.id))?.status, 'pending', 'the application stays pending');
  await t.rejects(voidJob(deps, first!.id, 'again'), { code: 'JOB_CONFLICT' }, 'a final job cannot be voided again');
  const r = await kiosk1.request(app!.id, app!.code);
  t.equal(r.outcome, 'issued');
  t.not(r.job, first!.id, 'a new job');
  t.same((await rig.jobsOf(app!.id)).map((j) => j.state).sort(), ['ISSUED', 'VOIDED']);
});

void t.test("a kiosk's own stale reservation is released at its next request; a released one is told to the kiosk", async (t) => {
  const [app] = await rig.addApps(1);
  const raw = await RawKiosk.connect(t, rig.center.url, rig.pki, 'kiosk-3');
  await raw.hello(reader('kiosk-3'));
  await raw.waitDown('welcome');
  let from = raw.downs.length;
  await raw.send('request', { application: app!.id, code: app!.code });
  const first = await raw.waitDown('insert-card', from);
  from = raw.downs.length;
  await raw.send('request', { application: app!.id, code: app!.code });
  const second = await raw.waitDown('insert-card', from);
  t.equal((second.body as { job: string }).job, (first.body as { job: string }).job, 'the same job, reserved again (not busy)');
  from = raw.downs.length;
  // A new session: the center releases the reservation and says so.
  raw.client.end(true);
  const again = await RawKiosk.connect(t, rig.center.url, rig.pki, 'kiosk-3');
  await again.hello(reader('kiosk-3'));
  const failed = await again.waitDown('failed');
  t.same(failed.body, { job: (first.body as { job: string }).job, reason: 'voided' });
  t.equal((await rig.jobOf(app!.id))?.state, 'PENDING');
});

void t.test('the one-time code is not in the audited body MAC', async (t) => {
  const [app] = await rig.addApps(1);
  const mark = (await rig.audit()).length;
  t.equal((await kiosk1.request(app!.id, app!.code)).outcome, 'issued');
  const entry = (await rig.audit(mark)).find((e) => e.kind === 'wire.in' && e.detail.type === 'request');
  const key = await readKeyFile(rig.pki.center.auditKey, 32, { secret: true });
  const mac = (body: unknown): string => createHmac('sha256', key).update(JSON.stringify(body)).digest('hex');
  t.equal(entry?.detail.body, mac({ application: app!.id }), 'MAC of the body without the code');
  t.not(entry?.detail.body, mac({ application: app!.id, code: app!.code }));
});

void t.test('writing data that no longer authenticates at rest: the job FAILS, the card is captured, nothing reaches the gate', async (t) => {
  const [app] = await rig.addApps(1);
  // Someone edits the ciphertext in the database: XChaCha20-Poly1305 refuses it (DATA_INTEGRITY).
  await d.db.query('UPDATE applications SET data_enc = set_byte(data_enc, 0, get_byte(data_enc, 0) # 1) WHERE id = $1', [app!.id]);
  const station = rig.stations['kiosk-1']!;
  const gateBefore = (await station.cards('gate')).length;
  const rejectBefore = (await station.cards('reject')).length;
  const mark = (await rig.audit()).length;
  const r = await kiosk1.request(app!.id, app!.code);
  t.same(r, { outcome: 'failed', job: r.job, reason: 'internal' }, 'the customer is told it failed');
  t.equal((await rig.jobOf(app!.id))?.state, 'FAILED');
  t.equal((await station.cards('gate')).length, gateBefore, 'no card to the gate');
  t.equal((await station.cards('reject')).length, rejectBefore + 1, 'the bound card is captured');
  const failure = (await rig.audit(mark)).find((e) => e.kind === 'handler.failed');
  t.match(failure?.detail, { type: 'card', code: 'DATA_INTEGRITY' }, 'audited with its code');
  t.match(rig.logs.center.matching(/"msg":"handler failed"/).join(''), /"code":"DATA_INTEGRITY"/, 'logged with its code');
});
