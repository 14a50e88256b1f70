/**
 * Renewal certificates that must not open the door (docs/provisioning.md
 * §3–4), on a real center whose clock a test can move ahead (past the one
 * new certificate per kiosk per minute; the CA backdates notBefore by five
 * minutes, so certificates issued a minute "later" are valid at TLS now):
 * a renewed certificate superseded by a later one before the kiosk used
 * it, and the pending certificate of a kiosk revoked meanwhile, are both on
 * the CRL and refused at TLS (CERT_REVOKED).
 */
import t, { type Test } from 'tap';
import { X509Certificate } from 'node:crypto';
import { kioskCerts } from '../../../center/certs.js';
import { systemClock, type Clock } from '../../../common/clock.js';
import { newSoftwareTlsKey } from '../../../kiosk/keystore/software-tls.js';
import { attemptConnect } from '../../fixtures/mqtt-clients.js';
import { RawKiosk } from '../../fixtures/raw-kiosk.js';
import { startFleetRig } from './fleet-rig.js';

let skewMs = 0;
const clock: Clock = { now: () => Date.now() + skewMs, sleep: (ms, signal) => systemClock.sleep(ms, signal) };
const rig = await startFleetRig(t, { kiosks: ['kiosk-s1', 'kiosk-s2'], clock });
const { center } = rig;
const db = center.deps.db;
const pemString = (b: Uint8Array): string => Buffer.from(b).toString('ascii');
/** A deadline the center's (skewed) clock has not passed. */
const deadline = (): number => clock.now() + 30_000;

async function asked(t: Test, id: string): Promise<RawKiosk> {
  const k = await RawKiosk.connect(t, center.url, rig.pki, id);
  // RawKiosk.hello's deadline is by the real clock: this one by the center's.
  await k.send('hello', { agent: 'raw-test-kiosk/0', readers: [{ id: rig.readerOf(id), kind: 'sim' }], card: { present: false } }, { deadline: deadline() });
  await k.waitDown('welcome');
  t.same(await center.requestRenewal(id), { asked: true });
  await k.waitDown('renew');
  return k;
}

/** A new key's request sent; resolves with the certificate answered and the key's PEM. */
async function renewed(k: RawKiosk): Promise<{ pem: string; key: string; serial: string }> {
  const key = await newSoftwareTlsKey(k.id);
  const n = k.downs.length;
  await k.send('csr', { csr: key.csr }, { deadline: deadline() });
  const pem = ((await k.waitDown('certificate', n)).body as { pem: string }).pem;
  const keyPem = pemString(key.pkcs8Pem);
  key.pkcs8Pem.fill(0);
  return { pem, key: keyPem, serial: new X509Certificate(pem).serialNumber.toLowerCase() };
}

async function refusedAtTls(t: Test, id: string, cert: { pem: string; key: string }): Promise<void> {
  const m = await rig.mark();
  const a = await attemptConnect(center.url, rig.ca, { cert: cert.pem, key: cert.key }, id);
  t.equal(a.connected, false, 'does not connect');
  const refused = await rig.waitForAudit((e) => e.kind === 'broker.refused', 'broker.refused', { from: m.entry });
  t.same(refused.detail, { stage: 'tls', reason: 'CERT_REVOKED', topic: null }, 'refused at TLS: it is on the CRL');
}

void t.test('a renewed certificate superseded by a later one before use: on the CRL, refused at TLS; the later one connects', async (t) => {
  const k = await asked(t, 'kiosk-s1');
  const first = await renewed(k);
  skewMs += 61_000; // past the one-new-certificate-a-minute limit
  const m = await rig.mark();
  const later = await renewed(k);
  t.not(later.serial, first.serial, 'a new serial for a new key');
  t.match(await rig.waitForAudit((e) => e.kind === 'kiosk.cert-issued', 'kiosk.cert-issued', { from: m.entry }), { kiosk: 'kiosk-s1', detail: { serial: later.serial, superseded: first.serial } });
  const states = Object.fromEntries((await kioskCerts(db, 'kiosk-s1')).map((c) => [c.serial, c.state]));
  t.equal(states[first.serial], 'superseded');
  t.equal(states[later.serial], 'pending');
  await rig.log.waitFor(/"msg":"broker CRL reloaded"/, 'the broker reloading the CRL', { from: m.line });
  await refusedAtTls(t, 'kiosk-s1', first);
  const ok = await attemptConnect(center.url, rig.ca, { cert: later.pem, key: later.key }, 'kiosk-s1');
  t.equal(ok.connected, true, 'the later certificate connects');
});

void t.test("a revoked kiosk's pending certificate: on the CRL, refused at TLS", async (t) => {
  const k = await asked(t, 'kiosk-s2');
  skewMs += 61_000;
  const pending = await renewed(k);
  const outcome = await center.revokeKiosk('kiosk-s2', 'stolen');
  t.same(outcome.serials.sort(), [rig.serialOf('kiosk-s2'), pending.serial].sort(), 'the current and the pending certificate revoked');
  t.equal(outcome.crl, 'updated');
  await refusedAtTls(t, 'kiosk-s2', pending);
});
