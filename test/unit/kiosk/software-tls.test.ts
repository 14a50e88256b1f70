// kiosk/keystore/software-tls.ts: a fresh P-256 key and a CSR the fleet CA
// accepts for this kiosk only; the private key comes back as PEM bytes that
// Node can load and that match the request's public key.
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { newSoftwareTlsKey } from '../../../kiosk/keystore/software-tls.js';
import { initDevPki } from '../../../provisioning/pki/dev-pki.js';
import { certifyKioskRequest, loadIssuingCa } from '../../../provisioning/pki/issuing.js';
import { sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { randomBytes } from 'node:crypto';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

void t.test('the request is certified for its kiosk, and the key is the certificate\'s', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'swtls-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await initDevPki(join(dir, 'pki'), { kiosks: [], random, sealKiosk: sealDevKiosk });
  const key = await newSoftwareTlsKey('kiosk-7');
  const ca = await loadIssuingCa(join(dir, 'pki'));
  const cert = await certifyKioskRequest(ca, key.csr, { kioskId: 'kiosk-7', days: 90, random });
  const leaf = new X509Certificate(cert.pem);
  t.match(leaf.subject, /CN=kiosk-7/);
  const priv = createPrivateKey({ key: Buffer.from(key.pkcs8Pem), format: 'pem' });
  t.equal(createPublicKey(priv).export({ format: 'der', type: 'spki' }).toString('hex'), leaf.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'), 'same key');
  await t.rejects(certifyKioskRequest(ca, key.csr, { kioskId: 'kiosk-8', days: 90, random }), { code: 'INVALID_ARGUMENT' }, 'not for another kiosk');
  key.pkcs8Pem.fill(0);
});

void t.test('an ID that is not one is refused before any key is made', async (t) => {
  await t.rejects(newSoftwareTlsKey('bad id'), { code: 'INVALID' });
});
