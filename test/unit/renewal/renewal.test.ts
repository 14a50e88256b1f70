/**
 * Certificate rotation on the kiosk (docs/provisioning.md §3) through
 * startKiosk, the real sealed-file store and real certificates, over an
 * in-memory link to a scripted center:
 * - renew → a pending key (keys.next.sealed) and `csr`; a second renew
 *   sends the same request; the pending key is not the current one;
 * - certificate → checked, swapped, and the link reconnects with a new TLS
 *   context; the store then holds the new key and tls.crt the new
 *   certificate, the signing key unchanged;
 * - certificates for another key / CN / CA, or expired → `renew-failed`
 *   with the code, logged, nothing swapped or written;
 * - a renew the store cannot do → `renew-failed` KEYSTORE_…;
 * - a certificate without a pending key → NO_PENDING_KEY.
 */
import t from 'tap';
import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SealedFileStore } from '../../../kiosk/keystore/index.js';
import { newSoftwareTlsKey } from '../../../kiosk/keystore/software-tls.js';
import { leafFor, twoTier } from './certs.js';
import { fingerprintOf, fleetWire, until, type FleetWire } from './fleet-wire.js';
import { ID } from './fleet-wire.js';

const exists = (path: string): Promise<boolean> => readFile(path).then(
  () => true,
  () => false,
);

async function csrAfterRenew(w: FleetWire): Promise<string> {
  const before = w.ups().filter((m) => m.type === 'csr').length;
  w.down('renew', { notAfter: w.clock.now() + 86_400_000, reason: 'requested' });
  await until(() => w.ups().filter((m) => m.type === 'csr').length > before, 'the csr');
  const m = w.ups().filter((u) => u.type === 'csr').at(-1)!;
  return (m.body).csr;
}

void t.test('renew → csr for a pending key; certificate → swapped and reconnected with it', async (t) => {
  const w = await fleetWire(t);
  const oldCert = await w.cert();
  const sealed = join(w.p.kioskDir, 'keys.sealed');
  const next = join(w.p.kioskDir, 'keys.next.sealed');
  const before = await new SealedFileStore({ file: sealed, machineSecretFile: w.p.machineSecret }).unseal();
  const signing = before.signingKey.slice();
  before.dispose();

  const csr = await csrAfterRenew(w);
  t.match(csr, /^-----BEGIN CERTIFICATE REQUEST-----/);
  t.ok(await exists(next), 'keys.next.sealed holds the pending key');
  t.equal(w.agent.renewal(), 'awaiting-certificate');
  t.equal(await csrAfterRenew(w), csr, 'a renew while the pending key waits sends the same request again');
  t.notOk(w.logger.lines.join('\n').includes(csr.split('\n')[1]!), 'the request is not logged');

  const pem = await w.certify(csr);
  w.down('certificate', { pem, notAfter: w.clock.now() + 30 * 86_400_000 });
  await until(() => w.clients.length === 2 && w.clients[1]!.ups.some((m) => m.type === 'hello'), 'the reconnect with the new certificate');
  await until(() => w.agent.state() === 'ready', 'ready again');
  t.not(w.contexts[1], w.contexts[0], 'the new connection has a new TLS context');
  t.equal(w.clients[0]!.connected, false, 'the old connection was ended');
  t.same(w.clients[0]!.states, ['{"online":true}'], 'the old connection said nothing offline: a clean DISCONNECT, no will');
  const newCert = await w.cert();
  t.not(fingerprintOf(newCert), fingerprintOf(oldCert));
  t.equal(fingerprintOf(newCert), fingerprintOf(pem), 'tls.crt is the renewed certificate');
  t.notOk(await exists(next), 'no pending key left');
  t.notOk(await exists(join(w.p.kioskDir, 'tls.next.crt')), 'no pending certificate left');
  const after = await new SealedFileStore({ file: sealed, machineSecretFile: w.p.machineSecret }).unseal();
  t.same(after.signingKey, signing, 'the signing key is unchanged');
  const { X509Certificate, createPrivateKey } = await import('node:crypto');
  t.ok(new X509Certificate(newCert).checkPrivateKey(createPrivateKey({ key: Buffer.from(after.tls.pem), format: 'pem' })), 'the store holds the new certificate\'s key');
  after.dispose();
  t.equal(w.agent.renewal(), 'none');
  t.match(w.logger.lines.join('\n'), /certificate renewed: reconnecting with it/);
});

void t.test('certificates for another key, CN or CA, or expired: renew-failed with the code, nothing swapped', async (t) => {
  const w = await fleetWire(t);
  const oldCert = await w.cert();
  const csr = await csrAfterRenew(w);
  const other = await twoTier('Other');
  const stranger = await newSoftwareTlsKey(ID);
  stranger.pkcs8Pem.fill(0);
  const { loadIssuingCa } = await import('../../../provisioning/pki/issuing.js');
  const loaded = await loadIssuingCa(w.p.dir);
  const issuing = loaded.ca;
  const chain = [loaded.chainPem].filter((c) => c !== '');
  const cases: [string, string, string][] = [
    ['another key', await w.certify(stranger.csr), 'CERT_WRONG_KEY'],
    ['another CN', await leafFor(csr, { ca: issuing, cn: 'kiosk-8', chain }), 'CERT_WRONG_SUBJECT'],
    ['another CA', await leafFor(csr, { ca: other.issuing, cn: ID, chain: [other.issuing.certPem] }), 'CERT_UNTRUSTED'],
    ['expired', await leafFor(csr, { ca: issuing, cn: ID, chain, days: 1, notBefore: new Date(w.clock.now() - 3 * 86_400_000) }), 'CERT_EXPIRED'],
  ];
  for (const [what, pem, code] of cases) {
    const n = w.ups().length;
    w.down('certificate', { pem, notAfter: w.clock.now() });
    await until(() => w.ups().length > n, `the answer to ${what}`);
    t.same(w.ups().at(-1), { type: 'renew-failed', body: { code } }, what);
    t.ok(w.logger.lines.some((l) => /renewal refused/.test(l) && l.includes(`"code":"${code}"`)), `${what}: logged with the code`);
    t.equal(await w.cert(), oldCert, `${what}: tls.crt unchanged`);
    t.notOk(await exists(join(w.p.kioskDir, 'tls.next.crt')), `${what}: nothing written`);
  }
  t.equal(w.clients.length, 1, 'no reconnect');
  t.ok(await exists(join(w.p.kioskDir, 'keys.next.sealed')), 'the pending key stays for a right certificate');
  t.equal(w.agent.renewal(), 'awaiting-certificate');
  // The right one still works after the refusals.
  w.down('certificate', { pem: await w.certify(csr), notAfter: w.clock.now() });
  await until(() => w.clients.length === 2, 'the swap');
});

void t.test('a renew the store cannot do, and a certificate with no pending key: renew-failed', async (t) => {
  const w = await fleetWire(t);
  const stranger = await newSoftwareTlsKey(ID);
  stranger.pkcs8Pem.fill(0);
  let n = w.ups().length;
  w.down('certificate', { pem: await w.certify(stranger.csr), notAfter: w.clock.now() });
  await until(() => w.ups().length > n, 'the answer');
  t.same(w.ups().at(-1), { type: 'renew-failed', body: { code: 'NO_PENDING_KEY' } });

  // A machine secret open to others: the store refuses to use it (INVALID).
  await chmod(w.p.machineSecret, 0o644);
  n = w.ups().length;
  w.down('renew', { notAfter: w.clock.now(), reason: 'expiring' });
  await until(() => w.ups().length > n, 'the answer');
  t.same(w.ups().at(-1), { type: 'renew-failed', body: { code: 'KEYSTORE_INVALID' } });
  t.notOk(await exists(join(w.p.kioskDir, 'keys.next.sealed')), 'no pending key left behind');
  t.equal(w.agent.renewal(), 'none');
  await chmod(w.p.machineSecret, 0o600);
});
