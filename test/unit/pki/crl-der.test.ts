/**
 * common/crl-der.ts, the bounded CRL reader both the CA and the center use:
 * what it reads from a CRL the CA signed, and what it refuses.
 */
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { crlDerOfPem, CrlDerError, crlSignedBy, parseCrlDer, subjectDer } from '../../../common/crl-der.js';
import { pemBlocks } from '../../../common/pem-blocks.js';
import { FakeClock } from '../../../common/clock.js';
import { createCrl, loadCa } from '../../../provisioning/pki/ca.js';
import { devPki } from './helpers.js';

const T0 = Date.UTC(2031, 4, 1, 12, 0, 0);

void t.test('reads what the CA signs; the signature checks against the issuer only', async (t) => {
  const clock = new FakeClock(T0);
  const layout = await devPki(t, { clock });
  const ca = await loadCa(await readFile(layout.ca.issuingCert, 'ascii'), await readFile(layout.ca.issuingKey, 'ascii'));
  const pem = await createCrl(ca, [{ serial: '00ab', date: new Date(T0), reason: 'superseded' }, { serial: '4a5b', date: new Date(T0) }], { clock, days: 7, number: 300 });
  const crl = parseCrlDer(crlDerOfPem(pem));
  t.same(crl.serials, ['ab', '4a5b'], 'canonical serials, leading zero byte dropped');
  t.equal(crl.crlNumber, 300);
  t.equal(crl.nextUpdate?.getTime(), T0 + 7 * 86_400_000);
  t.equal(crl.signatureOid, '1.2.840.10045.4.3.2');
  const issuing = new X509Certificate(await readFile(layout.ca.issuingCert));
  const root = new X509Certificate(await readFile(layout.ca.cert));
  t.ok(crl.issuer.equals(subjectDer(issuing)));
  t.equal(crlSignedBy(crl, issuing), true);
  t.equal(crlSignedBy(crl, root), false, 'another CA');
  const tampered = Buffer.from(crlDerOfPem(pem));
  tampered[tampered.length - 5]! ^= 1;
  t.equal(crlSignedBy(parseCrlDer(tampered), issuing), false, 'a flipped signature bit');
  const rootCrl = parseCrlDer(crlDerOfPem(pemBlocks(await readFile(layout.ca.crl, 'ascii'), 'X509 CRL')[0]!));
  t.equal(crlSignedBy(rootCrl, root), true);
  t.same(rootCrl.serials, [], 'an empty CRL has no entries');
});

void t.test('refuses what is not DER of a CertificateList', async (t) => {
  const clock = new FakeClock(T0);
  const layout = await devPki(t, { clock });
  const der = crlDerOfPem(pemBlocks(await readFile(layout.ca.crl, 'ascii'), 'X509 CRL')[1]!);
  const cases: [string, Buffer][] = [
    ['empty', Buffer.alloc(0)],
    ['truncated', der.subarray(0, der.length - 1)],
    ['trailing data', Buffer.concat([der, Buffer.of(0)])],
    ['indefinite length', Buffer.concat([Buffer.of(0x30, 0x80), der.subarray(2)])],
    ['a length past the end', Buffer.of(0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0)],
    ['a certificate, not a CRL', new X509Certificate(await readFile(layout.ca.cert)).raw],
  ];
  for (const [what, bytes] of cases) t.throws(() => parseCrlDer(bytes), CrlDerError, what);
  t.throws(() => crlDerOfPem('-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n'), { code: 'MALFORMED' });
});
