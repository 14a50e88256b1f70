/**
 * provisioning/pki/ca.ts: the CA and leaf profiles (RFC 5280), checked with
 * Node's own X509Certificate (OpenSSL underneath) rather than with the
 * library that wrote them, and once more with the `openssl verify` command
 * as an independent verifier of chain, purpose and CRL.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { X509Certificate as NodeX509, createPublicKey, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '../../../common/clock.js';
import { BACKDATE_MS, createCa, createCrl, issueCertificate, loadCa, type Ca } from '../../../provisioning/pki/ca.js';
import { PkiError } from '../../../provisioning/pki/errors.js';
import { exportPkcs8Pem, newP256KeyPair } from '../../../provisioning/pki/tls-keys.js';
import * as x509 from '../../../provisioning/pki/x509.js';

const DAY = 86_400_000;
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const T0 = Date.UTC(2030, 0, 15, 12, 0, 0);

/** The certificate as the library parses it, to read extensions Node's X509Certificate does not expose. */
const parsed = (pem: string): x509.X509Certificate => new x509.X509Certificate(pem);

async function newCa(clock = new FakeClock(T0)): Promise<{ ca: Ca; keyPem: string }> {
  return createCa({ name: 'Test CA', days: 3650, random, clock });
}

async function leaf(ca: Ca, profile: 'server' | 'client', extra: Partial<Parameters<typeof issueCertificate>[0]> = {}) {
  const kp = await newP256KeyPair();
  const issued = await issueCertificate({ ca, subject: { cn: 'kiosk-1', ou: 'kiosk' }, profile, days: 90, publicKey: kp.publicKey, random, clock: new FakeClock(T0), ...extra });
  return { ...issued, keyPem: await exportPkcs8Pem(kp.privateKey) };
}

void t.test('the CA: self-signed, cA critical, keyCertSign + cRLSign, CN and O, validity from the clock', async (t) => {
  const { ca, keyPem } = await newCa();
  const n = new NodeX509(ca.certPem);
  t.ok(n.ca, 'basicConstraints cA');
  t.ok(n.checkIssued(n), 'self-issued');
  t.ok(n.verify(n.publicKey), 'self-signed');
  t.equal(n.subject, 'O=Cardline\nCN=Test CA');
  t.equal(new Date(n.validFrom).getTime(), T0 - BACKDATE_MS);
  t.equal(new Date(n.validTo).getTime(), T0 - BACKDATE_MS + 3650 * DAY);
  const bc = parsed(ca.certPem).getExtension(x509.BasicConstraintsExtension)!;
  t.ok(bc.critical && bc.ca);
  const ku = parsed(ca.certPem).getExtension(x509.KeyUsagesExtension)!;
  t.ok(ku.critical);
  t.equal(ku.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
  t.ok(parsed(ca.certPem).getExtension(x509.SubjectKeyIdentifierExtension), 'SKI');
  t.match(keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  t.equal(createPublicKey(keyPem).asymmetricKeyDetails?.namedCurve, 'prime256v1', 'a P-256 key');
  t.equal(n.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
});

void t.test('server profile: chains to the CA, serverAuth only, SANs, digitalSignature, AKI = CA SKI', async (t) => {
  const { ca } = await newCa();
  const s = await leaf(ca, 'server', { subject: { cn: 'cardline-broker', ou: 'broker' }, sans: { dns: ['localhost'], ip: ['127.0.0.1', '::1'] } });
  const n = new NodeX509(s.pem);
  const caN = new NodeX509(ca.certPem);
  t.ok(n.checkIssued(caN), 'issued by the CA (names and key identifiers)');
  t.ok(n.verify(caN.publicKey), 'signed by the CA key');
  t.notOk(n.ca, 'not a CA');
  t.same(n.keyUsage, ['1.3.6.1.5.5.7.3.1'], 'extKeyUsage serverAuth only');
  t.equal(n.subject, 'O=Cardline\nOU=broker\nCN=cardline-broker');
  t.equal(n.checkHost('localhost'), 'localhost');
  t.equal(n.checkIP('127.0.0.1'), '127.0.0.1');
  t.equal(n.checkIP('::1'), '::1');
  t.equal(n.checkHost('example.org'), undefined);
  const ku = parsed(s.pem).getExtension(x509.KeyUsagesExtension)!;
  t.ok(ku.critical);
  t.equal(ku.usages, x509.KeyUsageFlags.digitalSignature);
  t.ok(parsed(s.pem).getExtension(x509.BasicConstraintsExtension)!.critical);
  t.equal(parsed(s.pem).getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId, parsed(ca.certPem).getExtension(x509.SubjectKeyIdentifierExtension)!.keyId);
  t.equal(new Date(n.validTo).getTime() - new Date(n.validFrom).getTime(), 90 * DAY);
});

void t.test('client profile: clientAuth only, no SAN; serials are 16 random bytes, positive', async (t) => {
  const { ca } = await newCa();
  const c = await leaf(ca, 'client');
  const n = new NodeX509(c.pem);
  t.same(n.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  t.equal(n.subjectAltName, undefined);
  t.equal(n.serialNumber.toLowerCase(), c.serial);
  t.equal(c.serial.length, 32, '16 bytes');
  t.ok(parseInt(c.serial.slice(0, 2), 16) < 0x80, 'positive');
  const ones = await leaf(ca, 'client', { random: (k) => new Uint8Array(k).fill(0xff) });
  t.equal(ones.serial, `7f${'ff'.repeat(15)}`, 'top bit cleared');
  const zeros = await leaf(ca, 'client', { random: (k) => new Uint8Array(k) });
  t.equal(zeros.serial, `40${'00'.repeat(15)}`, 'no leading zero octet: always 16 octets');
  t.not((await leaf(ca, 'client')).serial, c.serial);
});

void t.test('an explicit notBefore gives a certificate that has already expired', async (t) => {
  const { ca } = await newCa();
  const e = await leaf(ca, 'client', { notBefore: new Date(T0 - 10 * DAY), days: 1 });
  const n = new NodeX509(e.pem);
  t.equal(new Date(n.validTo).getTime(), T0 - 9 * DAY);
  t.ok(new Date(n.validTo).getTime() < T0);
});

void t.test('bad parameters are refused with PkiError', async (t) => {
  const { ca } = await newCa();
  const kp = await newP256KeyPair();
  const base = { ca, subject: { cn: 'kiosk-1', ou: 'kiosk' }, profile: 'client' as const, days: 90, publicKey: kp.publicKey, random };
  await t.rejects(issueCertificate({ ...base, days: 0 }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(issueCertificate({ ...base, days: 1.5 }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(issueCertificate({ ...base, subject: { cn: 'a,OU=center', ou: 'kiosk' } }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(issueCertificate({ ...base, subject: { cn: 'kiosk-1', ou: '' } }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(issueCertificate({ ...base, sans: { dns: ['*.example.org'] } }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(issueCertificate({ ...base, sans: { ip: ['127.0.0.256'] } }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(issueCertificate({ ...base, random: () => new Uint8Array(8) }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(createCa({ name: 'x/y', days: 10, random }), { code: 'INVALID_ARGUMENT' });
});

void t.test('loadCa: round trip; refuses a key that is not the CA key and a certificate that is no CA', async (t) => {
  const { ca, keyPem } = await newCa();
  const loaded = await loadCa(ca.certPem, keyPem);
  const s = await leaf(loaded, 'client');
  t.ok(new NodeX509(s.pem).verify(new NodeX509(ca.certPem).publicKey), 'a loaded CA signs as the CA');
  const other = await newCa();
  await t.rejects(loadCa(ca.certPem, other.keyPem), { code: 'CA_INVALID' });
  await t.rejects(loadCa(s.pem, s.keyPem), { code: 'CA_INVALID' });
  await t.rejects(loadCa('not a certificate', keyPem), { code: 'CA_INVALID' });
  await t.rejects(loadCa(ca.certPem, 'not a key'), { code: 'CA_INVALID' });
  const err = await loadCa(ca.certPem, other.keyPem).catch((e: unknown) => e);
  t.ok(err instanceof PkiError && err.name === 'PkiError');
});

void t.test('CRL: signed by the CA, lists the revoked serials with a reason, an empty one is valid', async (t) => {
  const { ca } = await newCa();
  const clock = new FakeClock(T0);
  const s = await leaf(ca, 'client');
  const pem = await createCrl(ca, [{ serial: s.serial, date: new Date(T0 - DAY), reason: 'keyCompromise' }], { clock, days: 7, number: 300 });
  t.match(pem, /^-----BEGIN X509 CRL-----\n/, 'the label OpenSSL reads (RFC 7468 §6)');
  const crl = new x509.X509Crl(pem);
  t.ok(await crl.verify({ publicKey: ca.cert }, globalThis.crypto));
  t.equal(crl.nextUpdate?.getTime(), T0 + 7 * DAY);
  const entry = crl.findRevoked(s.serial);
  t.ok(entry, 'the serial is listed');
  t.equal(entry?.reason, x509.X509CrlReason.keyCompromise);
  t.equal(crl.getExtension('2.5.29.20')?.value.byteLength, 4, 'cRLNumber 300 as a 2-byte INTEGER');
  const empty = new x509.X509Crl(await createCrl(ca, [], { clock }));
  t.equal(empty.entries.length, 0);
  t.ok(await empty.verify({ publicKey: ca.cert }, globalThis.crypto));
  await t.rejects(createCrl(ca, [{ serial: 'zz', date: new Date(T0) }], { clock }), { code: 'INVALID_ARGUMENT' });
});

const noOpenssl = ((): string | false => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'openssl not installed';
  }
})();

void t.test('independent check: openssl verify accepts the chain and purposes, and sees the revocation', { skip: noOpenssl }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-ca-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // Real time here: openssl checks validity against the system clock.
  const { ca } = await createCa({ name: 'Test CA', days: 30, random });
  const server = await leaf(ca, 'server', { clock: undefined, subject: { cn: 'cardline-broker', ou: 'broker' }, sans: { dns: ['localhost'] } });
  const client = await leaf(ca, 'client', { clock: undefined });
  const revoked = await leaf(ca, 'client', { clock: undefined });
  const f = (name: string): string => join(dir, name);
  await writeFile(f('ca.crt'), ca.certPem);
  await writeFile(f('crl.pem'), await createCrl(ca, [{ serial: revoked.serial, date: new Date() }]));
  await writeFile(f('server.crt'), server.pem);
  await writeFile(f('client.crt'), client.pem);
  await writeFile(f('revoked.crt'), revoked.pem);
  const verify = (cert: string, purpose: string): string => {
    try {
      return execFileSync('openssl', ['verify', '-CAfile', f('ca.crt'), '-crl_check', '-CRLfile', f('crl.pem'), '-purpose', purpose, f(cert)], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      return `FAILED ${String((e as { stdout?: string }).stdout)}${String((e as { stderr?: string }).stderr)}`;
    }
  };
  t.match(verify('server.crt', 'sslserver'), /: OK/);
  t.match(verify('client.crt', 'sslclient'), /: OK/);
  t.match(verify('server.crt', 'sslclient'), /FAILED.*error 26 .*unsuitable certificate purpose/s, 'the broker certificate is no client certificate');
  t.match(verify('client.crt', 'sslserver'), /FAILED.*error 26 .*unsuitable certificate purpose/s);
  t.match(verify('revoked.crt', 'sslclient'), /FAILED.*error 23 .*certificate revoked/s);
});
