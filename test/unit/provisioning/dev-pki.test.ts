/**
 * provisioning/pki/dev-pki.ts: exactly the documented layout (docs/pki.md),
 * secrets at 0600, keys of the right lengths and consistent with each other,
 * certificates with the right subjects, purposes and validity; refusal of an
 * existing PKI and of bad kiosk IDs; adding a kiosk later; and a failed init
 * leaves nothing behind. A kiosk's private keys are only in its sealed
 * store (no tls.key or signing.key file), and they are the keys of its
 * certificate, signing.pub and sealing.pub.
 */
import t, { type Test } from 'tap';
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { FakeClock } from '../../../common/clock.js';
import { readKeyFile } from '../../../common/key-files.js';
import { memoryLogger } from '../../../common/log.js';
import { pemBlocks } from '../../../common/pem-blocks.js';
import { openDevKioskSecrets, sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { addDevKiosk as addKiosk, devPkiLayout, initDevPki as initPki, type AddKioskOptions, type DevPkiOptions } from '../../../provisioning/pki/dev-pki.js';
import * as x509 from '../../../provisioning/pki/x509.js';
import { ed25519PublicKey } from '../../../wire/keys.js';
import { sealingPublicKey } from '../../../wire/package.js';

const DAY = 86_400_000;

/** The dev PKI with the kiosk store sealer injected, as every caller has it. */
const initDevPki = (dir: string, o: Omit<DevPkiOptions, 'sealKiosk'>) => initPki(dir, { ...o, sealKiosk: sealDevKiosk });
const addDevKiosk = (dir: string, id: string, o: Omit<AddKioskOptions, 'sealKiosk'> = {}) => addKiosk(dir, id, { ...o, sealKiosk: sealDevKiosk });
const T0 = Date.now();

async function tmp(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-devpki-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file under `dir`, relative, sorted. */
async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.push(relative(dir, join(e.parentPath, e.name)));
  }
  return out.sort();
}

const SECRETS = ['root/root.key', 'ca/issuing.key', 'broker/tls.key', 'center/tls.key', 'center/signing.key', 'center/data.key', 'center/audit.key', 'center/issuer-master.key'];
const KIOSK_FILES = ['ca.crt', 'center-signing.pub', 'keys.sealed', 'machine-secret', 'sealing.pub', 'signing.pub', 'tls.crt'];
const kioskFiles = (id: string): string[] => KIOSK_FILES.map((f) => `kiosks/${id}/${f}`);

void t.test('initDevPki writes exactly the layout, secrets 0600, consistent keys and certificates', async (t) => {
  const dir = await tmp(t);
  const logger = memoryLogger();
  const layout = await initDevPki(dir, { kiosks: ['kiosk-1', 'kiosk-2'], clock: new FakeClock(T0), logger });
  t.same(layout, devPkiLayout(dir, ['kiosk-1', 'kiosk-2']), 'the returned layout is the pure one');
  const expected = [
    ...['root/root.crt', 'root/root.key', 'root/root-crl.pem', 'root/revoked.json'],
    ...['ca/ca.crt', 'ca/issuing.crt', 'ca/issuing.key', 'ca/root-crl.pem', 'ca/revoked.json', 'ca/crl.pem', 'broker/tls.crt', 'broker/tls.key'],
    ...['center/tls.crt', 'center/tls.key', 'center/signing.key', 'center/signing.pub', 'center/data.key', 'center/audit.key', 'center/issuer-master.key'],
    ...kioskFiles('kiosk-1'),
    ...kioskFiles('kiosk-2'),
  ].sort();
  t.same(await files(dir), expected);
  for (const f of [...SECRETS, 'kiosks/kiosk-1/keys.sealed', 'kiosks/kiosk-1/machine-secret']) t.equal((await stat(join(dir, f))).mode & 0o777, 0o600, `${f} is 0600`);
  for (const f of ['ca/ca.crt', 'ca/issuing.crt', 'ca/crl.pem', 'ca/revoked.json', 'root/root.crt', 'center/signing.pub', 'kiosks/kiosk-2/tls.crt', 'kiosks/kiosk-2/sealing.pub']) t.equal((await stat(join(dir, f))).mode & 0o777, 0o644, `${f} is 0644`);

  const c = layout.center;
  const centerSecret = await readKeyFile(c.signingKey, 32, { secret: true });
  t.same(await readKeyFile(c.signingPub, 32), ed25519PublicKey(centerSecret), 'center signing.pub belongs to signing.key');
  t.equal((await readKeyFile(c.dataKey, 32, { secret: true })).length, 32);
  t.equal((await readKeyFile(c.auditKey, 32, { secret: true })).length, 32);
  t.equal((await readKeyFile(c.issuerMasterKey, 16, { secret: true })).length, 16);
  t.notSame(await readKeyFile(c.dataKey, 32, { secret: true }), await readKeyFile(c.auditKey, 32, { secret: true }), 'independent keys');
  const k1 = layout.kiosks['kiosk-1']!;
  const secrets = await openDevKioskSecrets(k1);
  t.teardown(() => secrets.dispose());
  t.same(await readKeyFile(k1.signingPub, 32), ed25519PublicKey(secrets.signingKey), 'signing.pub belongs to the sealed signing key');
  t.same(await readKeyFile(k1.sealingPub, 32), sealingPublicKey(secrets.sealingKey), 'sealing.pub belongs to the sealed X25519 key');
  t.equal(secrets.tls.kind, 'pem');
  t.ok(new X509Certificate(await readFile(k1.cert)).checkPrivateKey(createPrivateKey({ key: Buffer.from(secrets.tls.pem), format: 'pem' })), 'the sealed TLS key is the certificate\'s');
  const k2 = await openDevKioskSecrets(layout.kiosks['kiosk-2']!);
  t.notSame(k2.signingKey, secrets.signingKey, 'each kiosk has its own keys');
  t.notSame(k2.sealingKey, secrets.sealingKey);
  k2.dispose();
  t.ok((await readFile(k1.machineSecret)).length >= 16, 'a dev machine secret of at least 16 bytes');
  t.same(await readKeyFile(k1.centerSigningPub, 32), await readKeyFile(c.signingPub, 32), 'the kiosk holds the center signing public key');
  t.equal(await readFile(k1.ca, 'utf8'), await readFile(layout.ca.cert, 'utf8'), 'the kiosk holds the root certificate (the trust anchor)');
  t.equal(await readFile(layout.ca.cert, 'utf8'), await readFile(layout.root.cert, 'utf8'), 'ca/ca.crt is the root');

  const ca = new X509Certificate(await readFile(layout.ca.cert));
  const issuing = new X509Certificate(await readFile(layout.ca.issuingCert));
  const cert = async (p: string): Promise<X509Certificate> => new X509Certificate(await readFile(p));
  const broker = await cert(layout.broker.cert);
  const center = await cert(c.cert);
  const kiosk = await cert(k1.cert);
  t.equal(ca.subject, 'O=Cardline\nCN=Cardline development root CA');
  t.equal(issuing.subject, 'O=Cardline\nCN=Cardline development issuing CA');
  t.ok(issuing.checkIssued(ca) && issuing.verify(ca.publicKey), 'the issuing CA is signed by the root');
  t.equal(broker.subject, 'O=Cardline\nOU=broker\nCN=cardline-broker');
  t.equal(center.subject, 'O=Cardline\nOU=center\nCN=cardline-center');
  t.equal(kiosk.subject, 'O=Cardline\nOU=kiosk\nCN=kiosk-1');
  for (const leaf of [broker, center, kiosk]) t.ok(leaf.checkIssued(issuing) && leaf.verify(issuing.publicKey), 'signed by the issuing CA');
  for (const p of [layout.broker.cert, c.cert, k1.cert]) t.equal(new X509Certificate(pemBlocks(await readFile(p, 'utf8'), 'CERTIFICATE')[1]!).fingerprint256, issuing.fingerprint256, 'tls.crt: leaf, then the issuing CA');
  t.same(broker.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  t.same(center.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  t.same(kiosk.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  t.equal(broker.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  t.equal(new Date(kiosk.validTo).getTime() - new Date(kiosk.validFrom).getTime(), 90 * DAY, '90 days by default');
  t.ok(new Date(ca.validTo).getTime() >= T0 + 7299 * DAY, 'a 20-year root');
  t.ok(new Date(issuing.validTo).getTime() >= T0 + 1824 * DAY && new Date(issuing.validTo).getTime() < T0 + 1826 * DAY, 'a 5-year issuing CA');
  const [rootCrl, issuingCrl] = pemBlocks(await readFile(layout.ca.crl, 'utf8'), 'X509 CRL').map((b) => new x509.X509Crl(b));
  t.equal(rootCrl!.issuer, 'O=Cardline, CN=Cardline development root CA', 'crl.pem: the root CRL first');
  t.equal(issuingCrl!.issuer, 'O=Cardline, CN=Cardline development issuing CA', 'then the issuing CA CRL');
  t.equal(issuingCrl!.entries.length, 0, 'an empty CRL');
  t.ok((rootCrl!.nextUpdate?.getTime() ?? 0) >= T0 + 364 * DAY, 'the root CRL: a year');
  t.equal(issuingCrl!.nextUpdate?.getTime(), Math.floor((T0 + 7 * DAY) / 1000) * 1000, 'the issuing CRL: 7 days (UTCTime: whole seconds)');

  const logged = logger.lines.join('');
  t.match(logged, /development PKI created/);
  t.notOk(logged.includes(Buffer.from(centerSecret).toString('hex')), 'no key in the log');
  t.notOk(logged.includes(Buffer.from(secrets.signingKey).toString('hex')), 'no kiosk key in the log');
});

void t.test('an existing PKI (or any file of the layout) is refused; nothing is changed', async (t) => {
  const dir = await tmp(t);
  await initDevPki(dir, { kiosks: ['a1'] });
  const before = await readFile(join(dir, 'ca/issuing.key'));
  await t.rejects(initDevPki(dir, { kiosks: ['a1'] }), { name: 'PkiError', code: 'EXISTS' });
  await t.rejects(initDevPki(dir, { kiosks: [] }), { code: 'EXISTS' });
  t.same(await readFile(join(dir, 'ca/issuing.key')), before, 'the CA key is untouched');

  const other = await tmp(t);
  await initDevPki(join(other, 'x'), { kiosks: [] });
  await rm(join(other, 'x', 'ca', 'ca.crt'));
  await t.rejects(initDevPki(join(other, 'x'), { kiosks: [] }), { code: 'EXISTS' }, 'a half-present layout is refused too');
});

void t.test('kiosk IDs: the wire pattern, unique, not a service name; days in range; nothing written', async (t) => {
  const dir = await tmp(t);
  for (const bad of ['', 'a/b', 'kiosk+1', '#', '-x', 'x'.repeat(65), 'cardline-center', 'Cardline-broker', 'cardline-k1']) {
    await t.rejects(initDevPki(dir, { kiosks: [bad] }), { code: 'INVALID_ID' }, JSON.stringify(bad));
  }
  await t.rejects(initDevPki(dir, { kiosks: ['k1', 'k1'] }), { code: 'DUPLICATE_ID' });
  await t.rejects(initDevPki(dir, { kiosks: ['k1'], days: 0 }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(initDevPki(dir, { kiosks: ['k1'], days: 400, caDays: 365 }), { code: 'INVALID_ARGUMENT' });
  // A caller without a sealer (plain JavaScript) gets no kiosk keys at all, not plaintext ones.
  await t.rejects(initPki(dir, { kiosks: ['k1'] } as unknown as DevPkiOptions), { code: 'INVALID_ARGUMENT', message: /sealKiosk is required/ });
  t.same(await files(dir), []);
  t.throws(() => devPkiLayout(dir, ['ok', '../etc']), { code: 'INVALID_ID' });
  t.notOk(Object.hasOwn(devPkiLayout(dir, ['constructor']).kiosks, 'toString'), 'only the kiosks given');
  t.equal(Object.getPrototypeOf(devPkiLayout(dir, ['constructor']).kiosks), null, 'the kiosk table has no prototype');
});

void t.test('addDevKiosk adds one kiosk under the same CA; refuses a second time and a missing PKI', async (t) => {
  const dir = await tmp(t);
  const layout = await initDevPki(dir, { kiosks: ['k1'] });
  const k = await addDevKiosk(dir, 'k9', { days: 7 });
  t.same(k, devPkiLayout(dir, ['k9']).kiosks['k9']);
  t.same(await files(join(dir, 'kiosks', 'k9')), KIOSK_FILES);
  (await openDevKioskSecrets(k)).dispose();
  const ca = new X509Certificate(await readFile(layout.ca.issuingCert));
  const cert = new X509Certificate(await readFile(k.cert));
  t.ok(cert.verify(ca.publicKey), 'issued by the issuing CA');
  t.equal(cert.subject, 'O=Cardline\nOU=kiosk\nCN=k9');
  t.equal(new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime(), 7 * DAY);
  t.same(await readKeyFile(k.centerSigningPub, 32), await readKeyFile(layout.center.signingPub, 32));
  await t.rejects(addDevKiosk(dir, 'k9'), { code: 'EXISTS' });
  await t.rejects(addDevKiosk(dir, 'k1'), { code: 'EXISTS' });
  await t.rejects(addDevKiosk(dir, 'bad/id'), { code: 'INVALID_ID' });
  await t.rejects(addDevKiosk(await tmp(t), 'k2'), { code: 'NOT_FOUND' });
});

void t.test('a failure half-way takes back every file written, and a retry then succeeds', async (t) => {
  const dir = await tmp(t);
  let calls = 0;
  const failing = (n: number): Uint8Array => {
    // Serials and keys come from here: fail after the CA, broker and center have been written.
    if (++calls > 6) throw new Error('entropy source failed');
    return new Uint8Array(randomBytes(n));
  };
  await t.rejects(initDevPki(dir, { kiosks: ['k1'], random: failing }), { message: 'entropy source failed' });
  t.ok(calls > 6, 'it failed part-way');
  t.same(await files(dir), [], 'no file left');
  await initDevPki(dir, { kiosks: ['k1'] });
  t.equal((await files(dir)).length, 26);
});
