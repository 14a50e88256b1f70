/**
 * What a kiosk's `csr` gets on a real center (docs/provisioning.md §3,
 * center/fleet/csr.ts): a certificate only when a renewal was asked in the
 * session or is due; the same request again (same key) gets the same
 * certificate back — no new serial, nothing on the CRL; at most
 * MAX_RENEWAL_CERTS_PER_DAY new certificates per kiosk a day; nothing for a
 * kiosk revoked while its request was being certified (the certificate
 * issued meanwhile recorded revoked and put on the CRL). And one operator
 * request makes one `renew`, whether the hello or the watcher sees it first.
 */
import t, { type Test } from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { X509Certificate } from 'node:crypto';
import { kioskCerts } from '../../../center/certs.js';
import type { FleetCa } from '../../../center/fleet/ca.js';
import { MAX_RENEWAL_CERTS_PER_DAY } from '../../../center/fleet/csr.js';
import { markRenewalRequested } from '../../../center/fleet/renew-request.js';
import { revokeInRegistry } from '../../../center/fleet/revoke.js';
import { pkiFleetCa } from '../../../cli/commands/fleet-ca.js';
import { newSoftwareTlsKey } from '../../../kiosk/keystore/software-tls.js';
import type { RawKiosk } from '../../fixtures/raw-kiosk.js';
import { startFleetRig, type FleetRig } from './fleet-rig.js';

/** What the center asked of its CA. */
const calls = { certify: [] as string[], revoked: [] as string[] };
/** The kiosk the CA revokes (as another process would) while it certifies its request. */
const REVOKED_MEANWHILE = 'kiosk-p4';
const up: { rig?: FleetRig } = {};
const countingCa: FleetCa = {
  async certify(dir, csr, o) {
    calls.certify.push(o.kioskId);
    const cert = await pkiFleetCa.certify(dir, csr, o);
    if (o.kioskId === REVOKED_MEANWHILE && up.rig) {
      const d = up.rig.center.deps;
      await revokeInRegistry({ db: d.db, audit: d.audit, clock: d.clock }, o.kioskId, 'revoked meanwhile');
    }
    return cert;
  },
  async revokeSerials(dir, entries, o) {
    calls.revoked.push(...entries.map((e) => e.serial));
    return pkiFleetCa.revokeSerials(dir, entries, o);
  },
  publishCrl: (dir, o) => pkiFleetCa.publishCrl(dir, o),
};

const rig = (up.rig = await startFleetRig(t, { kiosks: ['kiosk-p1', 'kiosk-p2', 'kiosk-p3', 'kiosk-p4', 'kiosk-p5'], fleetCa: countingCa }));
const { center } = rig;
const db = center.deps.db;

const helloed = rig.helloed;

async function refusal(t: Test, k: RawKiosk, csr: string, reason: string): Promise<void> {
  const m = await rig.mark();
  const n = k.downs.length;
  await k.send('csr', { csr });
  const refused = await rig.waitForAudit((e) => e.kind === 'kiosk.csr-refused', 'kiosk.csr-refused', { from: m.entry });
  t.match(refused, { kiosk: k.id, detail: { reason } }, `audited kiosk.csr-refused ${reason}`);
  await center.idle();
  t.same(k.downs.slice(n).map((e) => e.type), [], 'no answer');
}

void t.test('a csr nobody asked for (90 days left, no request): refused not-asked, nothing certified', async (t) => {
  const k = await helloed(t, 'kiosk-p1');
  const key = await newSoftwareTlsKey('kiosk-p1');
  key.pkcs8Pem.fill(0);
  await refusal(t, k, key.csr, 'not-asked');
  t.same(calls.certify, [], 'the CA was not asked');
  t.same((await kioskCerts(db, 'kiosk-p1')).map((c) => c.state), ['current'], 'nothing recorded');
});

void t.test('the same csr twice: the same certificate, no new serial, nothing on the CRL', async (t) => {
  const k = await helloed(t, 'kiosk-p2');
  t.same(await center.requestRenewal('kiosk-p2'), { asked: true });
  await k.waitDown('renew');
  const key = await newSoftwareTlsKey('kiosk-p2');
  key.pkcs8Pem.fill(0);
  const before = calls.revoked.length;
  let n = k.downs.length;
  await k.send('csr', { csr: key.csr });
  const first = (await k.waitDown('certificate', n)).body as { pem: string; notAfter: number };
  const m = await rig.mark();
  n = k.downs.length;
  await k.send('csr', { csr: key.csr });
  const again = (await k.waitDown('certificate', n)).body as { pem: string; notAfter: number };
  t.equal(again.pem, first.pem, 'the very certificate issued before');
  t.equal(again.notAfter, first.notAfter);
  t.same(calls.certify, ['kiosk-p2'], 'certified once');
  t.equal(calls.revoked.length, before, 'no CRL entry');
  const serial = new X509Certificate(first.pem).serialNumber.toLowerCase();
  t.same((await kioskCerts(db, 'kiosk-p2')).filter((c) => c.source === 'renewal').map((c) => [c.serial, c.state]), [[serial, 'pending']], 'one pending certificate');
  t.match(await rig.waitForAudit((e) => e.kind === 'kiosk.cert-resent', 'kiosk.cert-resent', { from: m.entry }), { kiosk: 'kiosk-p2', detail: { serial } });
});

void t.test(`at most ${MAX_RENEWAL_CERTS_PER_DAY} new certificates per kiosk a day: the next csr refused daily-limit`, async (t) => {
  const now = Date.now();
  for (let i = 0; i < MAX_RENEWAL_CERTS_PER_DAY; i++) {
    // Certificates issued to kiosk-p3 earlier today (the last hours), since superseded.
    await db.query(
      `INSERT INTO kiosk_certs (serial, kiosk_id, fingerprint, not_after, state, source, issued_at, revoked_at, revocation_reason) VALUES ($1, 'kiosk-p3', $2, $3, 'superseded', 'renewal', $4, $4, 'superseded')`,
      [`ab0${i}`, `FP:${i}`, new Date(now + 80 * 86_400_000), new Date(now - (i + 1) * 3_600_000)],
    );
  }
  const k = await helloed(t, 'kiosk-p3');
  t.same(await center.requestRenewal('kiosk-p3'), { asked: true });
  await k.waitDown('renew');
  const key = await newSoftwareTlsKey('kiosk-p3');
  key.pkcs8Pem.fill(0);
  const m = await rig.mark();
  await refusal(t, k, key.csr, 'daily-limit');
  t.notOk(calls.certify.includes('kiosk-p3'), 'the CA was not asked');
  t.equal(rig.log.matching(/"msg":"certificate request refused","kiosk":"kiosk-p3","reason":"daily-limit"/, m.line).length, 1, 'logged');
  // A day later the oldest no longer counts.
  await db.query(`UPDATE kiosk_certs SET issued_at = $2 WHERE serial = 'ab03' AND kiosk_id = $1`, ['kiosk-p3', new Date(now - 25 * 3_600_000)]);
  const n = k.downs.length;
  await k.send('csr', { csr: key.csr });
  t.ok(await k.waitDown('certificate', n), 'certified once under the limit');
});

void t.test('a kiosk revoked while its csr is certified: no certificate; the one issued is recorded revoked and put on the CRL', async (t) => {
  const k = await helloed(t, REVOKED_MEANWHILE);
  t.same(await center.requestRenewal(REVOKED_MEANWHILE), { asked: true });
  await k.waitDown('renew');
  const key = await newSoftwareTlsKey(REVOKED_MEANWHILE);
  key.pkcs8Pem.fill(0);
  const m = await rig.mark();
  const n = k.downs.length;
  await k.send('csr', { csr: key.csr });
  const refused = await rig.waitForAudit((e) => e.kind === 'kiosk.csr-refused', 'kiosk.csr-refused', { from: m.entry });
  t.match(refused, { kiosk: REVOKED_MEANWHILE, detail: { reason: 'kiosk-revoked' } });
  await center.idle();
  t.same(k.downs.slice(n).filter((e) => e.type === 'certificate'), [], 'no certificate sent');
  const rows = await kioskCerts(db, REVOKED_MEANWHILE);
  const issued = rows.find((c) => c.source === 'renewal');
  t.equal(issued?.state, 'revoked', 'the certificate issued meanwhile is recorded revoked');
  t.ok(issued && calls.revoked.includes(issued.serial), 'and put on the CRL');
  t.same(rows.filter((c) => c.state === 'pending'), [], 'no pending certificate');
});

void t.test('one operator request, one renew: the hello asks, the watcher does not ask again', async (t) => {
  const d = center.deps;
  // As `cardline center kiosks renew` does on PostgreSQL while the center runs (the kiosk offline).
  await markRenewalRequested({ db: d.db, audit: d.audit, clock: d.clock }, 'kiosk-p5');
  const k = await helloed(t, 'kiosk-p5');
  await k.waitDown('renew');
  // The watcher passes every fleetPollMs (250 ms): four passes and more.
  await sleep(1200);
  await center.idle();
  t.equal(k.downs.filter((e) => e.type === 'renew').length, 1, 'one renew');
});
