/**
 * A leaf never outlives the CA that signs it (provisioning/pki/ca.ts
 * issueCertificate, so certifyKioskRequest too): notAfter is capped at the
 * issuing CA's notAfter, and an expired CA issues nothing.
 */
import t from 'tap';
import { FakeClock } from '../../../common/clock.js';
import { newSoftwareTlsKey } from '../../../kiosk/keystore/software-tls.js';
import { createCa, createSubCa, issueCertificate, pemJoin } from '../../../provisioning/pki/ca.js';
import { certifyKioskRequest, type IssuingCa } from '../../../provisioning/pki/issuing.js';
import { newP256KeyPair } from '../../../provisioning/pki/tls-keys.js';
import { DAY, random } from './helpers.js';

const T0 = Date.UTC(2031, 4, 1, 12, 0, 0);

async function issuingFor30Days(clock: FakeClock): Promise<IssuingCa> {
  const root = await createCa({ name: 'Test Root', days: 3650, random, clock });
  const sub = await createSubCa({ root: root.ca, name: 'Test Issuing', days: 30, random, clock });
  return { ca: sub.ca, chainPem: pemJoin(sub.ca.certPem), rootPem: pemJoin(root.ca.certPem) };
}

void t.test('a 90-day kiosk request from an issuing CA that expires in 30 days gets at most 30 days', async (t) => {
  const clock = new FakeClock(T0);
  const issuing = await issuingFor30Days(clock);
  const caEnd = issuing.ca.cert.notAfter.getTime();
  const req = await newSoftwareTlsKey('kiosk-1');
  req.pkcs8Pem.fill(0);
  const c = await certifyKioskRequest(issuing, req.csr, { kioskId: 'kiosk-1', days: 90, random, clock });
  t.ok(c.notAfter.getTime() <= caEnd, `kiosk notAfter ${c.notAfter.toISOString()} ≤ the CA's ${new Date(caEnd).toISOString()}`);
  t.equal(c.notAfter.getTime(), caEnd, 'capped at the CA, not shortened further');
  t.ok(c.notAfter.getTime() - T0 <= 30 * DAY);

  const keys = await newP256KeyPair();
  const short = await issueCertificate({ ca: issuing.ca, subject: { cn: 'cardline-broker', ou: 'broker' }, profile: 'server', days: 10, publicKey: keys.publicKey, random, clock });
  t.equal(short.cert.notAfter.getTime(), T0 - 5 * 60_000 + 10 * DAY, 'a shorter request is not touched');
  const long = await issueCertificate({ ca: issuing.ca, subject: { cn: 'cardline-broker', ou: 'broker' }, profile: 'server', days: 90, publicKey: keys.publicKey, random, clock });
  t.equal(long.cert.notAfter.getTime(), caEnd, 'every profile is capped');
});

void t.test('an issuing CA that has expired issues nothing', async (t) => {
  const clock = new FakeClock(T0);
  const issuing = await issuingFor30Days(clock);
  clock.advance(31 * DAY);
  const req = await newSoftwareTlsKey('kiosk-1');
  req.pkcs8Pem.fill(0);
  await t.rejects(certifyKioskRequest(issuing, req.csr, { kioskId: 'kiosk-1', days: 90, random, clock }), { name: 'PkiError', code: 'CA_INVALID', message: /expired/ });
});
