/**
 * The two tiers (docs/provisioning.md §1): the root (self-signed, pathLen 1),
 * the issuing CA (pathLen 0, signed by the root), and the leaves the issuing
 * CA signs, whose files carry the chain. Checked with Node's X509Certificate
 * and, independently, with `openssl verify -crl_check_all` on the real files
 * of a development PKI: both CRLs are needed, a revoked kiosk and a revoked
 * issuing CA are seen.
 */
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeClock, systemClock } from '../../../common/clock.js';
import { pemBlocks } from '../../../common/pem-blocks.js';
import { newSoftwareTlsKey } from '../../../kiosk/keystore/software-tls.js';
import { createCa, createSubCa } from '../../../provisioning/pki/ca.js';
import { certifyKioskCsr } from '../../../provisioning/pki/csr.js';
import { certifyKioskRequest, loadIssuingCa, publishCrl, revokeSerials } from '../../../provisioning/pki/issuing.js';
import { signRootCrl } from '../../../provisioning/pki/root-crl.js';
import * as x509 from '../../../provisioning/pki/x509.js';
import { DAY, devPki, noOpenssl, opensslVerify, random, tmp } from './helpers.js';

const parsed = (pem: string): x509.X509Certificate => new x509.X509Certificate(pem);
const certs = async (path: string): Promise<string[]> => pemBlocks(await readFile(path, 'ascii'), 'CERTIFICATE');

void t.test('root pathLen 1, issuing CA pathLen 0 signed by the root, leaves signed by the issuing CA with the chain in tls.crt', async (t) => {
  const T0 = Date.now();
  const layout = await devPki(t, { kiosks: ['kiosk-1'], clock: new FakeClock(T0) });
  const rootPem = await readFile(layout.ca.cert, 'ascii');
  const issuingPem = await readFile(layout.ca.issuingCert, 'ascii');
  t.equal(rootPem, await readFile(layout.root.cert, 'ascii'), 'ca/ca.crt is the root');
  const root = parsed(rootPem);
  const issuing = parsed(issuingPem);
  t.same([root.getExtension(x509.BasicConstraintsExtension)?.ca, root.getExtension(x509.BasicConstraintsExtension)?.pathLength], [true, 1], 'root: cA, pathLen 1');
  t.ok(root.getExtension(x509.BasicConstraintsExtension)?.critical);
  t.same([issuing.getExtension(x509.BasicConstraintsExtension)?.ca, issuing.getExtension(x509.BasicConstraintsExtension)?.pathLength], [true, 0], 'issuing: cA, pathLen 0');
  for (const c of [root, issuing]) t.equal(c.getExtension(x509.KeyUsagesExtension)?.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
  t.equal(issuing.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId, root.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId, 'issuing AKI = root SKI');
  const nRoot = new X509Certificate(rootPem);
  const nIssuing = new X509Certificate(issuingPem);
  t.ok(nRoot.checkIssued(nRoot) && nRoot.verify(nRoot.publicKey), 'the root is self-signed');
  t.ok(nIssuing.checkIssued(nRoot) && nIssuing.verify(nRoot.publicKey), 'the issuing CA is signed by the root');
  t.equal(root.notAfter.getTime() - root.notBefore.getTime(), 7300 * DAY, '20 years');
  t.equal(issuing.notAfter.getTime() - issuing.notBefore.getTime(), 1825 * DAY, '5 years');
  t.equal(nRoot.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.equal(nIssuing.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.match(issuing.signatureAlgorithm, { name: 'ECDSA', hash: { name: 'SHA-256' } }, 'ECDSA with SHA-256');

  const k = layout.kiosks['kiosk-1']!;
  const chain = await certs(k.cert);
  t.equal(chain.length, 2, 'kiosk tls.crt: leaf, issuing CA');
  t.equal(new X509Certificate(chain[1]!).fingerprint256, nIssuing.fingerprint256);
  const leaf = new X509Certificate(chain[0]!);
  t.ok(leaf.checkIssued(nIssuing) && leaf.verify(nIssuing.publicKey), 'the kiosk leaf is signed by the issuing CA');
  t.notOk(leaf.ca);
  t.equal(leaf.subject, 'O=Cardline\nOU=kiosk\nCN=kiosk-1');
  t.same(leaf.keyUsage, ['1.3.6.1.5.5.7.3.2'], 'clientAuth');
  t.equal(new Date(leaf.validTo).getTime() - new Date(leaf.validFrom).getTime(), 90 * DAY);
  t.equal(await readFile(k.ca, 'ascii'), rootPem, "the kiosk's ca.crt is the root");
  for (const p of [layout.broker.cert, layout.center.cert]) t.equal((await certs(p)).length, 2, `${p}: leaf and issuing CA`);
});

void t.test('certifyKioskRequest and certifyKioskCsr: the kiosk profile from the issuing CA, with the chain', async (t) => {
  const layout = await devPki(t);
  const issuing = await loadIssuingCa(layout.dir);
  t.equal(issuing.chainPem, `${(await readFile(layout.ca.issuingCert, 'ascii')).trim()}\n`, 'chainPem: the issuing CA certificate');
  t.equal(issuing.rootPem.trim(), (await readFile(layout.ca.cert, 'ascii')).trim(), 'rootPem: the anchor');
  const req = await newSoftwareTlsKey('kiosk-7');
  req.pkcs8Pem.fill(0);
  const c = await certifyKioskRequest(issuing, req.csr, { kioskId: 'kiosk-7', days: 30, random });
  const [leaf, chain] = pemBlocks(c.pem, 'CERTIFICATE');
  t.equal(pemBlocks(c.pem, 'CERTIFICATE').length, 2);
  t.equal(new X509Certificate(chain!).fingerprint256, new X509Certificate(issuing.chainPem).fingerprint256);
  const n = new X509Certificate(leaf!);
  t.equal(c.serial, n.serialNumber.toLowerCase());
  t.equal(c.fingerprint, n.fingerprint256);
  t.equal(c.notAfter.getTime(), new Date(n.validTo).getTime());
  t.ok(n.verify(new X509Certificate(issuing.chainPem).publicKey));
  const pem = await certifyKioskCsr(layout.dir, req.csr, { kioskId: 'kiosk-7', days: 30, random });
  t.equal(pemBlocks(pem, 'CERTIFICATE').length, 2, 'keystore seal --sign-with-pki gets the chain too');
  await t.rejects(certifyKioskCsr(layout.dir, req.csr, { kioskId: 'kiosk-8', days: 30, random }), { code: 'INVALID_ARGUMENT' }, 'CN must be the kiosk ID');
});

void t.test('loadIssuingCa refuses a mixed-up or one-tier directory', async (t) => {
  const a = await devPki(t);
  const b = await devPki(t);
  await t.rejects(loadIssuingCa(await tmp(t)), { name: 'PkiError', code: 'NOT_FOUND' });
  await copyFile(b.ca.issuingCert, a.ca.issuingCert);
  await copyFile(b.ca.issuingKey, a.ca.issuingKey);
  await t.rejects(loadIssuingCa(a.dir), { code: 'CA_INVALID', message: /not signed by the root/ }, "another PKI's issuing CA");
  await copyFile(b.ca.cert, a.ca.cert);
  t.ok(await loadIssuingCa(a.dir), 'consistent again with its own root');
  await copyFile(b.ca.issuingCert, b.ca.cert);
  await t.rejects(loadIssuingCa(b.dir), { code: 'CA_INVALID', message: /pathLen 1|self-signed/ }, 'an anchor that is no two-tier root');
  const c = await devPki(t);
  await writeFile(c.ca.issuingKey, await readFile(b.root.key), { mode: 0o600 });
  await t.rejects(loadIssuingCa(c.dir), { code: 'CA_INVALID', message: /does not match/ }, 'a key that is not the certificate\'s');
});

void t.test('an issuing CA may not outlive its root', async (t) => {
  const { ca: root } = await createCa({ name: 'Short root', days: 30, random });
  await t.rejects(createSubCa({ root, name: 'Long issuing', days: 31, random }), { code: 'INVALID_ARGUMENT', message: /outlive the root/ });
  const { ca } = await createSubCa({ root, name: 'Fitting issuing', days: 29, random });
  t.equal(ca.cert.getExtension(x509.BasicConstraintsExtension)?.pathLength, 0);
});

void t.test('openssl verify -crl_check_all: the chain verifies with both CRLs; revoked kiosk and revoked issuing CA are seen', { skip: noOpenssl }, async (t) => {
  // Real time: openssl checks validity against the system clock.
  const layout = await devPki(t, { kiosks: ['kiosk-1', 'kiosk-2'] });
  const dir = await tmp(t);
  const f = (n: string): string => join(dir, n);
  for (const id of ['kiosk-1', 'kiosk-2']) await writeFile(f(`${id}.crt`), (await certs(layout.kiosks[id]!.cert))[0]!);
  await writeFile(f('broker.crt'), (await certs(layout.broker.cert))[0]!);
  const verify = (cert: string, purpose = 'sslclient', crl = layout.ca.crl): string => opensslVerify({ root: layout.ca.cert, untrusted: layout.ca.issuingCert, crl, purpose, cert: f(cert) });
  t.match(verify('kiosk-1.crt'), /: OK/);
  t.match(verify('broker.crt', 'sslserver'), /: OK/);
  t.match(opensslVerify({ root: layout.ca.cert, crl: layout.ca.crl, purpose: 'sslclient', cert: f('kiosk-1.crt') }), /FAILED.*unable to get local issuer certificate/s, 'without the issuing CA there is no chain');
  await writeFile(f('issuing-only.pem'), pemBlocks(await readFile(layout.ca.crl, 'ascii'), 'X509 CRL')[1]!);
  t.match(verify('kiosk-1.crt', 'sslclient', f('issuing-only.pem')), /FAILED.*unable to get certificate CRL/s, 'the root CRL is needed too (the issuing CA is checked)');

  const serial = new X509Certificate(await readFile(f('kiosk-1.crt'))).serialNumber;
  await revokeSerials(layout.dir, [{ serial, reason: 'keyCompromise' }], { random, clock: systemClock });
  t.match(verify('kiosk-1.crt'), /FAILED.*error 23 .*certificate revoked/s, 'the revoked kiosk');
  t.match(verify('kiosk-2.crt'), /: OK/, 'the other kiosk still verifies');

  const issuingSerial = new X509Certificate(await readFile(layout.ca.issuingCert)).serialNumber;
  const rootCrl = await signRootCrl(layout.root.dir, { revoke: [{ serial: issuingSerial, reason: 'keyCompromise' }], random, clock: systemClock });
  t.same(rootCrl.added, [issuingSerial.toLowerCase()]);
  await writeFile(layout.ca.rootCrl, rootCrl.crlPem);
  const p = await publishCrl(layout.dir, { random, clock: systemClock });
  t.equal(p.republished, true, 'a newer root CRL is republished');
  t.match(verify('kiosk-2.crt'), /FAILED.*error 23 at 1 depth lookup: certificate revoked/s, 'a revoked issuing CA takes its kiosks with it');
});
