/**
 * Certificate renewal on a real center (issue 7 point 3; docs/provisioning.md
 * §3), the kiosk played by hand with a key made by kiosk/keystore/software-tls.ts:
 * asked to renew (`renew`) at its hello when its certificate is near its end
 * and at once when an operator asks; its `csr` certified (`certificate`,
 * recorded pending, audited); its first connection with the new certificate
 * promotes it (the old one superseded and on the CRL, audited
 * `kiosk.cert-renewed`); the old certificate then refused at TLS. Refusals:
 * a second csr within the minute, a csr for another kiosk's CN — each
 * audited, nothing issued. (A renewed certificate superseded by a later one,
 * and a revoked kiosk's pending one: renewal-later.test.ts; which requests
 * are certified at all: csr-policy.test.ts.)
 */
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import type { KioskCertRow } from '../../../center/certs.js';
import { kioskCerts } from '../../../center/certs.js';
import { newSoftwareTlsKey } from '../../../kiosk/keystore/software-tls.js';
import { attemptConnect, connectClient, credsOf } from '../../fixtures/mqtt-clients.js';
import { RawKiosk } from '../../fixtures/raw-kiosk.js';
import { startFleetRig } from './fleet-rig.js';

const rig = await startFleetRig(t, { kiosks: ['kiosk-r1', 'kiosk-r2', 'kiosk-r3'] });
const { center } = rig;
const db = center.deps.db;

const helloed = rig.helloed;

const states = async (id: string): Promise<Pick<KioskCertRow, 'serial' | 'state' | 'source'>[]> => (await kioskCerts(db, id)).map(({ serial, state, source }) => ({ serial, state, source }));
const pemString = (b: Uint8Array): string => Buffer.from(b).toString('ascii');

void t.test('a kiosk whose certificate ends within 30 days is asked at its hello', async (t) => {
  // The registry's record of kiosk-r3's certificate says it ends in 10 days.
  await db.query(`UPDATE kiosk_certs SET not_after = $2 WHERE kiosk_id = $1`, ['kiosk-r3', new Date(Date.now() + 10 * 86_400_000)]);
  const k = await helloed(t, 'kiosk-r3');
  const renew = await k.waitDown('renew');
  t.match(renew.body, { reason: 'expiring' });
  t.ok(Math.abs((renew.body as { notAfter: number }).notAfter - (Date.now() + 10 * 86_400_000)) < 60_000, 'with the end of its current certificate');
  const others = await helloed(t, 'kiosk-r2');
  await center.idle();
  t.same(others.downs.map((e) => e.type), ['welcome'], 'a kiosk with 90 days left is not asked');
});

void t.test('renewal asked by the operator: csr, certificate, reconnection with it promotes it, the old one is refused', async (t) => {
  const k = await helloed(t, 'kiosk-r1');
  const oldSerial = rig.serialOf('kiosk-r1');
  const m = await rig.mark();
  t.same(await center.requestRenewal('kiosk-r1'), { asked: true });
  const renew = await k.waitDown('renew');
  t.match(renew.body, { reason: 'requested' });
  t.ok(await rig.waitForAudit((e) => e.kind === 'kiosk.renew-requested' && e.kiosk === 'kiosk-r1', 'kiosk.renew-requested', { from: m.entry }));

  const key = await newSoftwareTlsKey('kiosk-r1');
  t.teardown(() => key.pkcs8Pem.fill(0));
  const before = k.downs.length;
  await k.send('csr', { csr: key.csr });
  const cert = await k.waitDown('certificate', before);
  const body = cert.body as { pem: string; notAfter: number };
  const leaf = new X509Certificate(body.pem);
  t.match(leaf.subject, /CN=kiosk-r1/);
  t.equal(new Date(leaf.validTo).getTime(), body.notAfter, 'notAfter is the certificate\'s');
  t.ok(body.notAfter > Date.now() + 89 * 86_400_000, '90 days by default');
  const newSerial = leaf.serialNumber.toLowerCase();
  const issued = await rig.waitForAudit((e) => e.kind === 'kiosk.cert-issued', 'kiosk.cert-issued', { from: m.entry });
  t.match(issued, { kiosk: 'kiosk-r1', detail: { serial: newSerial, notAfter: new Date(body.notAfter).toISOString() } });
  const bySerial = (a: { serial: string }, b: { serial: string }): number => a.serial.localeCompare(b.serial);
  t.same(
    (await states('kiosk-r1')).sort(bySerial),
    [
      { serial: oldSerial, state: 'current', source: 'registered' },
      { serial: newSerial, state: 'pending', source: 'renewal' },
    ].sort(bySerial),
    'recorded pending beside the current one',
  );

  await t.test('a second csr within the minute: refused (rate-limited), audited, nothing issued', async (t) => {
    const m2 = await rig.mark();
    const other = await newSoftwareTlsKey('kiosk-r1');
    other.pkcs8Pem.fill(0);
    const n = k.downs.length;
    await k.send('csr', { csr: other.csr });
    const refused = await rig.waitForAudit((e) => e.kind === 'kiosk.csr-refused', 'kiosk.csr-refused', { from: m2.entry });
    t.match(refused, { kiosk: 'kiosk-r1', detail: { reason: 'rate-limited' } });
    await center.idle();
    t.same(k.downs.slice(n), [], 'no answer');
    t.equal((await kioskCerts(db, 'kiosk-r1')).length, 2, 'no certificate recorded');
    t.same(rig.log.matching(/"msg":"certificate request refused","kiosk":"kiosk-r1","reason":"rate-limited"/, m2.line).length, 1, 'logged');
  });

  const m3 = await rig.mark();
  const renewed = await connectClient(t, center.url, rig.ca, { cert: body.pem, key: pemString(key.pkcs8Pem) }, 'kiosk-r1');
  t.equal(renewed.connected, true, 'connected with the renewed certificate');
  const promoted = await rig.waitForAudit((e) => e.kind === 'kiosk.cert-renewed', 'kiosk.cert-renewed', { from: m3.entry });
  t.match(promoted, { kiosk: 'kiosk-r1', detail: { serial: newSerial, superseded: oldSerial } });
  t.same(
    (await states('kiosk-r1')).sort(bySerial),
    [
      { serial: oldSerial, state: 'superseded', source: 'registered' },
      { serial: newSerial, state: 'current', source: 'renewal' },
    ].sort(bySerial),
    'the renewed one current, the old one superseded',
  );
  const kiosk = (await db.query<{ cert_fingerprint: string; cert_not_after: Date; renew_requested_at: Date | null }>('SELECT cert_fingerprint, cert_not_after, renew_requested_at FROM kiosks WHERE id = $1', ['kiosk-r1'])).rows[0]!;
  t.equal(kiosk.cert_fingerprint, leaf.fingerprint256, 'the registry holds the new fingerprint');
  t.equal(kiosk.cert_not_after.getTime(), body.notAfter);
  t.equal(kiosk.renew_requested_at, null, 'the request is cleared');

  const m4 = await rig.mark();
  const old = await attemptConnect(center.url, rig.ca, await credsOf(rig.pki, 'kiosk-r1'), 'kiosk-r1');
  t.equal(old.connected, false, 'the old certificate no longer connects');
  const refused = await rig.waitForAudit((e) => e.kind === 'broker.refused', 'broker.refused', { from: m4.entry });
  t.same(refused.detail, { stage: 'tls', reason: 'CERT_REVOKED', topic: null }, 'refused at TLS: it is on the CRL (superseded)');
  t.equal(renewed.connected, true, 'the renewed connection is untouched');
});

void t.test("a csr for another kiosk's CN: refused csr-invalid, audited and logged, nothing issued", async (t) => {
  const k = await RawKiosk.connect(t, center.url, rig.pki, 'kiosk-r2');
  await k.hello(rig.readerOf('kiosk-r2'));
  await k.waitDown('welcome');
  t.same(await center.requestRenewal('kiosk-r2'), { asked: true }, 'asked (an unasked csr is refused before the CA sees it)');
  await k.waitDown('renew');
  const m = await rig.mark();
  const key = await newSoftwareTlsKey('kiosk-r1');
  key.pkcs8Pem.fill(0);
  const n = k.downs.length;
  await k.send('csr', { csr: key.csr });
  const refused = await rig.waitForAudit((e) => e.kind === 'kiosk.csr-refused', 'kiosk.csr-refused', { from: m.entry });
  t.match(refused, { kiosk: 'kiosk-r2', detail: { reason: 'csr-invalid', message: /not for CN kiosk-r2/ } });
  await rig.log.waitFor(/"msg":"certificate request refused","kiosk":"kiosk-r2","reason":"csr-invalid"/, 'the refusal logged', { from: m.line });
  await center.idle();
  t.same(k.downs.slice(n), [], 'no answer');
  t.same((await kioskCerts(db, 'kiosk-r2')).map((c) => c.state), ['current'], 'nothing recorded');
});

void t.test('a certificate the registry never recorded for the kiosk: refused cert-unknown at CONNECT', async (t) => {
  // kiosk-r3's certificate is valid (same CA, CN kiosk-r3) but the registry records another one as its current.
  await db.query(`UPDATE kiosk_certs SET fingerprint = 'AA:BB' WHERE kiosk_id = $1`, ['kiosk-r3']);
  const m = await rig.mark();
  const a = await attemptConnect(center.url, rig.ca, await credsOf(rig.pki, 'kiosk-r3'), 'kiosk-r3');
  t.equal(a.connected, false);
  t.equal(a.error?.code, 5, 'CONNACK 5');
  const e = await rig.waitForAudit((e) => e.kind === 'broker.refused', 'broker.refused', { from: m.entry });
  t.match(e, { kiosk: 'kiosk-r3', detail: { stage: 'connect', reason: 'cert-unknown' } });
});
