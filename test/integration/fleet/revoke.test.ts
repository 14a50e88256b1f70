/**
 * Revocation on a real center (issue 7 point 4; docs/provisioning.md §4):
 * RunningCenter.revokeKiosk closes the kiosk's live connection within 1 s,
 * puts its certificate on the CRL and has the broker reload it, so that its
 * reconnection is refused at TLS (CERT_REVOKED, audited broker.refused);
 * its neighbour is unaffected. A revocation made by another process (status
 * in the store, CRL file re-signed) is noticed by the fleet watcher: the
 * kiosk is kicked and the new CRL loaded. The kick does not wait for the CRL
 * step: with the CA's lock held by another writer it still comes within 1 s.
 */
import t from 'tap';
import { rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setKioskStatus } from '../../../center/registry.js';
import { revokeSerials } from '../../../provisioning/pki/issuing.js';
import { systemClock } from '../../../common/clock.js';
import { attemptConnect, credsOf } from '../../fixtures/mqtt-clients.js';
import { random } from '../../fixtures/rig.js';
import { startFleetRig } from './fleet-rig.js';

const rig = await startFleetRig(t, { kiosks: ['kiosk-1', 'kiosk-2', 'kiosk-3', 'kiosk-4'] });
const { center } = rig;

const helloed = rig.helloed;

void t.test('revokeKiosk: kicked within 1 s, its certificate on the CRL, refused at TLS; the neighbour keeps working', async (t) => {
  const victim = await helloed(t, 'kiosk-1');
  const neighbour = await helloed(t, 'kiosk-2');
  const m = await rig.mark();
  const closed = new Promise<number>((resolve) => victim.client.once('close', () => resolve(performance.now())));
  const start = performance.now();
  const outcome = await center.revokeKiosk('kiosk-1', 'stolen');
  const elapsed = (await closed) - start;
  t.ok(elapsed < 1000, `the live connection closed ${elapsed.toFixed(0)} ms after the call (< 1000 ms)`);
  t.same(outcome, { serials: [rig.serialOf('kiosk-1')], crl: 'updated', kicked: true });

  const entries = await rig.audit(m.entry);
  t.match(entries.find((e) => e.kind === 'kiosk.status'), { kiosk: 'kiosk-1', detail: { status: 'revoked', reason: 'stolen' } });
  t.match(entries.find((e) => e.kind === 'kiosk.certs-revoked'), { kiosk: 'kiosk-1', detail: { serials: rig.serialOf('kiosk-1'), count: 1 } });
  const row = (await center.deps.db.query<{ state: string; revocation_reason: string }>('SELECT state, revocation_reason FROM kiosk_certs WHERE kiosk_id = $1', ['kiosk-1'])).rows;
  t.same(row, [{ state: 'revoked', revocation_reason: 'privilegeWithdrawn' }], 'the CRL reason recorded per certificate (the operator\'s is in kiosk.status)');
  await rig.log.waitFor(/"msg":"broker CRL reloaded","blocks":2/, 'the broker reloading both CRLs', { from: m.line });

  const again = await rig.mark();
  const a = await attemptConnect(center.url, rig.ca, await credsOf(rig.pki, 'kiosk-1'), 'kiosk-1');
  t.equal(a.connected, false, 'its reconnection fails');
  await rig.log.waitFor(/"msg":"tls refused","stage":"tls","reason":"CERT_REVOKED"/, 'the TLS refusal in the center log', { from: again.line });
  const refused = await rig.waitForAudit((e) => e.kind === 'broker.refused', 'broker.refused', { from: again.entry });
  t.same(refused.detail, { stage: 'tls', reason: 'CERT_REVOKED', topic: null });
  t.same(rig.log.matching(/"msg":"client connected".*"kiosk":"kiosk-1"/, again.line), [], 'never admitted');

  t.equal(neighbour.client.connected, true, 'kiosk-2 is still connected');
  const before = neighbour.downs.length;
  await neighbour.send('request', { application: 'NO-SUCH-APP', code: '000000' });
  t.match((await neighbour.waitDown('request-refused', before)).body, { reason: 'bad-credentials' }, 'and still served');
  t.equal((await attemptConnect(center.url, rig.ca, await credsOf(rig.pki, 'kiosk-2'), 'kiosk-2-probe')).connected, false, '(a wrong client ID is refused, as always)');

  await t.rejects(center.revokeKiosk('kiosk-1', 'again'), { code: 'KIOSK_UNCHANGED' }, 'a second revoke changes nothing');
  await t.rejects(center.revokeKiosk('kiosk-9', 'x'), { code: 'KIOSK_UNKNOWN' });
});

void t.test('revoked by another process: the watcher kicks the connected kiosk and loads the re-signed CRL', async (t) => {
  const k = await helloed(t, 'kiosk-3');
  const m = await rig.mark();
  const closed = new Promise<void>((resolve) => k.client.once('close', () => resolve()));
  // What `cardline center kiosks revoke` does on PostgreSQL while the center runs: the store, then the CRL file.
  await setKioskStatus({ db: center.deps.db, audit: center.deps.audit, clock: systemClock }, 'kiosk-3', 'revoked', 'from the CLI');
  await revokeSerials(rig.pkiDir, [{ serial: rig.serialOf('kiosk-3'), reason: 'privilegeWithdrawn' }], { random, clock: systemClock });
  await closed;
  t.pass('kiosk-3 was disconnected');
  const kicked = await rig.waitForAudit((e) => e.kind === 'kiosk.kicked', 'kiosk.kicked', { from: m.entry });
  t.match(kicked, { kiosk: 'kiosk-3', detail: { status: 'revoked' } });
  await rig.log.waitFor(/"msg":"broker CRL reloaded"/, 'the CRL file change noticed', { from: m.line });
  const again = await rig.mark();
  t.equal((await attemptConnect(center.url, rig.ca, await credsOf(rig.pki, 'kiosk-3'), 'kiosk-3')).connected, false);
  const refused = await rig.waitForAudit((e) => e.kind === 'broker.refused', 'broker.refused', { from: again.entry });
  t.same(refused.detail, { stage: 'tls', reason: 'CERT_REVOKED', topic: null }, 'refused at TLS, not only at CONNECT');
});

void t.test("the CA's lock held by another writer: the kiosk is still kicked within 1 s, the CRL step comes after", async (t) => {
  const k = await helloed(t, 'kiosk-4');
  // A live writer's lock (provisioning/pki/lock-file.ts: { pid, host, at, token }): revokeSerials waits up to 10 s for it.
  const lock = join(rig.pkiDir, 'ca', 'revoked.json.lock');
  await writeFile(lock, JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now(), token: 'held-by-the-test' }), { flag: 'wx' });
  t.teardown(() => rm(lock, { force: true }));
  const closed = new Promise<number>((resolve) => k.client.once('close', () => resolve(performance.now())));
  const start = performance.now();
  const revoking = center.revokeKiosk('kiosk-4', 'stolen');
  const elapsed = (await closed) - start;
  t.ok(elapsed < 1000, `the live connection closed ${elapsed.toFixed(0)} ms after the call (< 1000 ms), the lock still held`);
  await rm(lock);
  const outcome = await revoking;
  t.same(outcome, { serials: [rig.serialOf('kiosk-4')], crl: 'updated', kicked: true }, 'then the CRL step, once the lock is free');
});
