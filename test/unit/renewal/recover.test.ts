/**
 * A renewal cut short, sorted out at start (kiosk/renewal/recover.ts), on
 * the real sealed-file store of a dev PKI: each state a crash can leave,
 * what is done with it, and that the kiosk then starts with the right key
 * and certificate.
 */
import t from 'tap';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { memoryLogger } from '../../../common/log.js';
import { buildSecureContext, openPendingKeys, SealedFileStore } from '../../../kiosk/keystore/index.js';
import { recoverRenewal } from '../../../kiosk/renewal/recover.js';
import { certifyKioskRequest, loadIssuingCa } from '../../../provisioning/pki/issuing.js';
import { pki, ID, type SubTest } from '../kiosk/wire-center.js';
import { random } from './certs.js';
import { fingerprintOf, fleetWire } from './fleet-wire.js';

const exists = (path: string): Promise<boolean> => readFile(path).then(
  () => true,
  () => false,
);

/** A dev kiosk with a pending key made as `renew` makes it, and its certificate (not written yet). */
async function halfRenewed(t: SubTest) {
  const p = await pki(t);
  const config = { identityDir: p.kioskDir, keyStore: p.keyStore };
  const pending = openPendingKeys(config, { logger: memoryLogger(), random });
  const current = await new SealedFileStore({ file: join(p.kioskDir, 'keys.sealed'), machineSecretFile: p.machineSecret }).unseal();
  const { csr } = await pending.create(ID, current);
  current.dispose();
  const pem = (await certifyKioskRequest(await loadIssuingCa(p.dir), csr, { kioskId: ID, days: 30, random })).pem;
  const file = (name: string): string => join(p.kioskDir, name);
  return { p, pending, pem, file, oldCert: await readFile(file('tls.crt'), 'utf8') };
}

/** The store opens and its key is tls.crt's (what startKiosk checks before connecting). */
async function storeMatchesCert(p: { kioskDir: string; machineSecret: string }): Promise<boolean> {
  const s = await new SealedFileStore({ file: join(p.kioskDir, 'keys.sealed'), machineSecretFile: p.machineSecret }).unseal();
  try {
    buildSecureContext(s.tls, await readFile(join(p.kioskDir, 'tls.crt'), 'utf8'), await readFile(join(p.kioskDir, 'ca.crt'), 'utf8'));
    return true;
  } catch {
    return false;
  } finally {
    s.dispose();
  }
}

void t.test('nothing pending: nothing done', async (t) => {
  const { p, pending } = await (async () => {
    const p = await pki(t);
    return { p, pending: openPendingKeys({ identityDir: p.kioskDir, keyStore: p.keyStore }, { logger: memoryLogger(), random }) };
  })();
  t.equal(await recoverRenewal(p.kioskDir, pending, memoryLogger()), 'nothing');
});

void t.test('a pending key and its certificate (crash before the swap): the swap is finished', async (t) => {
  const h = await halfRenewed(t);
  await writeFile(h.file('tls.next.crt'), h.pem);
  const log = memoryLogger();
  t.equal(await recoverRenewal(h.p.kioskDir, h.pending, log), 'finished');
  t.equal(fingerprintOf(await readFile(h.file('tls.crt'), 'utf8')), fingerprintOf(h.pem), 'tls.crt is the renewed certificate');
  t.notOk(await exists(h.file('keys.next.sealed')));
  t.notOk(await exists(h.file('tls.next.crt')));
  t.ok(await storeMatchesCert(h.p), "the store's key is the new certificate's");
  t.match(log.lines.join(''), /renewal finished at start: the pending key and its certificate were swapped in/);
});

void t.test('a pending key without a certificate: removed (the center asks again)', async (t) => {
  const h = await halfRenewed(t);
  const log = memoryLogger();
  t.equal(await recoverRenewal(h.p.kioskDir, h.pending, log), 'discarded');
  t.notOk(await exists(h.file('keys.next.sealed')), 'the pending key is gone');
  t.equal(await readFile(h.file('tls.crt'), 'utf8'), h.oldCert, 'tls.crt unchanged');
  t.ok(await storeMatchesCert(h.p), 'the current store still opens with its certificate');
  t.match(log.lines.join(''), /a pending key without its certificate was removed/);
});

void t.test('crash between the two renames (key in place, certificate not): the certificate follows', async (t) => {
  const h = await halfRenewed(t);
  await writeFile(h.file('tls.next.crt'), h.pem);
  await rename(h.file('keys.next.sealed'), h.file('keys.sealed'));
  t.notOk(await storeMatchesCert(h.p), 'as the crash left it, the kiosk could not start');
  t.equal(await recoverRenewal(h.p.kioskDir, h.pending, memoryLogger()), 'finished');
  t.ok(await storeMatchesCert(h.p));
  t.notOk(await exists(h.file('tls.next.crt')));
});

void t.test('a pending key with a certificate that is not its: both removed, the current pair kept', async (t) => {
  const h = await halfRenewed(t);
  await writeFile(h.file('tls.next.crt'), h.oldCert);
  const log = memoryLogger();
  t.equal(await recoverRenewal(h.p.kioskDir, h.pending, log), 'discarded');
  t.notOk(await exists(h.file('keys.next.sealed')));
  t.notOk(await exists(h.file('tls.next.crt')));
  t.ok(await storeMatchesCert(h.p));
  t.match(log.lines.join(''), /not the key of tls\.next\.crt/);
});

void t.test('through startKiosk: a swap cut short is finished before the store is unsealed, and the kiosk connects with the new certificate', async (t) => {
  let renewed = '';
  const w = await fleetWire(t, {
    prepare: async (p) => {
      const pending = openPendingKeys({ identityDir: p.kioskDir, keyStore: p.keyStore }, { logger: memoryLogger(), random });
      const current = await new SealedFileStore({ file: join(p.kioskDir, 'keys.sealed'), machineSecretFile: p.machineSecret }).unseal();
      const { csr } = await pending.create(ID, current);
      current.dispose();
      renewed = (await certifyKioskRequest(await loadIssuingCa(p.dir), csr, { kioskId: ID, days: 30, random })).pem;
      await writeFile(join(p.kioskDir, 'tls.next.crt'), renewed);
    },
  });
  t.equal(fingerprintOf(await w.cert()), fingerprintOf(renewed), 'tls.crt is the renewed certificate');
  t.equal(w.agent.state(), 'ready', 'the kiosk started and was welcomed');
  t.notOk(await exists(join(w.p.kioskDir, 'keys.next.sealed')));
  t.match(w.logger.lines.join(''), /renewal finished at start/);
});

void t.test('through startKiosk: a pending key without its certificate is removed, the kiosk starts on its current pair', async (t) => {
  let before = '';
  const w = await fleetWire(t, {
    prepare: async (p) => {
      before = await readFile(join(p.kioskDir, 'tls.crt'), 'utf8');
      const pending = openPendingKeys({ identityDir: p.kioskDir, keyStore: p.keyStore }, { logger: memoryLogger(), random });
      const current = await new SealedFileStore({ file: join(p.kioskDir, 'keys.sealed'), machineSecretFile: p.machineSecret }).unseal();
      await pending.create(ID, current);
      current.dispose();
    },
  });
  t.equal(await w.cert(), before);
  t.equal(w.agent.state(), 'ready');
  t.notOk(await exists(join(w.p.kioskDir, 'keys.next.sealed')));
  t.match(w.logger.lines.join(''), /a pending key without its certificate was removed/);
});
