/**
 * Revocation reaches a real broker (center/broker/broker.ts, real TLS): a
 * kiosk certificate put on the issuing CA's CRL with revokeSerials, the
 * broker's CRLs reloaded (`reloadCrl`, with the blocks of ca/crl.pem as the
 * center reads them), and a NEW connection with that certificate refused at
 * the TLS stage with CERT_REVOKED while the other kiosks still connect. Then
 * the root revokes the issuing CA itself, and every kiosk is refused. And
 * an issuing CA CRL past its nextUpdate locks every kiosk out
 * (CRL_HAS_EXPIRED): why it is re-signed at half-life.
 */
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { FakeClock, systemClock } from '../../../common/clock.js';
import { createCrl } from '../../../provisioning/pki/ca.js';
import { loadIssuingCa } from '../../../provisioning/pki/issuing.js';
import { loadCenterKeys } from '../../../center/keys.js';
import { publishCrl, revokeSerials } from '../../../provisioning/pki/issuing.js';
import { pemBlocks } from '../../../common/pem-blocks.js';
import { signRootCrl } from '../../../provisioning/pki/root-crl.js';
import { attempt, client, makePki, start, waitFor } from '../broker/helpers.js';
import { randomBytes } from 'node:crypto';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const o = { random, clock: systemClock };

void t.test('a revoked kiosk is refused (CERT_REVOKED) on its next connection; the others connect', async (t) => {
  const pki = await makePki(t, ['kiosk-1', 'kiosk-2', 'kiosk-3']);
  const keys = await loadCenterKeys(pki.layout.dir);
  t.teardown(() => keys.dispose());
  t.equal(keys.brokerTls.crl?.length, 2, 'the center reads ca/crl.pem as two CRLs');
  const run = await start(t, pki, { crl: keys.brokerTls.crl! });
  for (const id of ['kiosk-1', 'kiosk-2']) t.equal((await attempt(run, pki, await pki.kiosk(id), id)).connected, true, `${id} connects before`);
  const live = await client(t, run, pki, await pki.kiosk('kiosk-3'), 'kiosk-3');
  let liveClosed = false;
  live.on('close', () => (liveClosed = true));

  const k1 = await pki.kiosk('kiosk-1');
  const serial = new X509Certificate(k1.cert).serialNumber;
  const r = await revokeSerials(pki.layout.dir, [{ serial, reason: 'keyCompromise' }], o);
  t.same(r.added, [serial.toLowerCase()]);
  const reread = await loadCenterKeys(pki.layout.dir);
  t.same(reread.brokerTls.crl, r.crls, 'what revokeSerials returns is what ca/crl.pem holds');
  reread.dispose();
  run.broker.reloadCrl(r.crls);

  const a = await attempt(run, pki, k1, 'kiosk-1');
  t.equal(a.connected, false, 'kiosk-1: no CONNACK');
  await waitFor(() => run.refusals.length > 0, 'the refusal');
  t.same(run.refusals, [{ stage: 'tls', reason: 'CERT_REVOKED' }]);
  t.match(run.logs.join(''), /"msg":"tls refused","stage":"tls","reason":"CERT_REVOKED"/);
  run.refusals.length = 0;
  t.equal((await attempt(run, pki, await pki.kiosk('kiosk-2'), 'kiosk-2')).connected, true, 'kiosk-2 still connects');
  t.equal(liveClosed, false, 'a reload does not drop connections (kicking is the center\'s job)');
  t.same(run.refusals, []);

  // A later re-signing (the periodic one) keeps the revocation.
  const p = await publishCrl(pki.layout.dir, { ...o, force: true });
  run.broker.reloadCrl(p.crls);
  t.equal((await attempt(run, pki, k1, 'kiosk-1')).connected, false, 'still refused after re-signing');
  await waitFor(() => run.refusals.length > 0, 'the refusal');
  t.same(run.refusals, [{ stage: 'tls', reason: 'CERT_REVOKED' }]);
});

void t.test('the root revokes the issuing CA: every kiosk of it is refused', async (t) => {
  const pki = await makePki(t, ['kiosk-1']);
  const run = await start(t, pki);
  t.equal((await attempt(run, pki, await pki.kiosk('kiosk-1'), 'kiosk-1')).connected, true);
  const issuingSerial = new X509Certificate(await readFile(pki.layout.ca.issuingCert)).serialNumber;
  const rootCrl = await signRootCrl(pki.layout.root.dir, { revoke: [{ serial: issuingSerial, reason: 'keyCompromise' }], ...o });
  await writeFile(pki.layout.ca.rootCrl, rootCrl.crlPem);
  const p = await publishCrl(pki.layout.dir, o);
  t.equal(p.republished, true);
  run.broker.reloadCrl(p.crls);
  t.equal((await attempt(run, pki, await pki.kiosk('kiosk-1'), 'kiosk-1')).connected, false);
  await waitFor(() => run.refusals.length > 0, 'the refusal');
  t.same(run.refusals, [{ stage: 'tls', reason: 'CERT_REVOKED' }]);
});

void t.test('an expired issuing CA CRL locks every kiosk out (CRL_HAS_EXPIRED)', async (t) => {
  const pki = await makePki(t, ['kiosk-1']);
  const issuing = await loadIssuingCa(pki.layout.dir);
  // Signed ten days ago with a 1-day nextUpdate.
  const stale = await createCrl(issuing.ca, [], { clock: new FakeClock(Date.now() - 10 * 86_400_000), days: 1, number: 2 });
  const run = await start(t, pki, { crl: [pki.crl[0]!, pemBlocks(stale, 'X509 CRL')[0]!] });
  t.equal((await attempt(run, pki, await pki.kiosk('kiosk-1'), 'kiosk-1')).connected, false);
  await waitFor(() => run.refusals.length > 0, 'the refusal');
  t.same(run.refusals, [{ stage: 'tls', reason: 'CRL_HAS_EXPIRED' }]);
});
