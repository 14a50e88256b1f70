/**
 * The `tpm` key store on a real (software) TPM 2.0, through tpm2-tools with
 * no resource manager (a bare swtpm: every step flushed): the keys sealed
 * to sha256:0,1,2,3,7 unseal equal; nothing stays loaded in the TPM; after
 * `tpm2_pcrextend` of PCR 7 — the boot state changed — the TPM refuses:
 * KeyStoreError UNSEAL_FAILED, and a `cardline kiosk` process against the
 * test rig refuses to start, saying why, with exit code 1 and no stack, and
 * never reaches the broker.
 */
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../common/clock.js';
import { memoryLogger, silentLogger } from '../../../common/log.js';
import { SimStation } from '../../../hardware/sim/sim-station.js';
import { nodeExec, sealIntoTpm, TpmStore } from '../../../kiosk/keystore/index.js';
import { runCardline, spawnCardline } from '../../fixtures/process-rig.js';
import { random, startRig } from '../../fixtures/rig.js';
import { startSwtpm, swtpmMissing } from '../../fixtures/swtpm.js';

const PCRS = 'sha256:0,1,2,3,7';
const missing = swtpmMissing();

void t.test('sealed to PCRs: unseals while they hold, refuses once PCR 7 changed', { skip: missing ?? false }, async (t) => {
  const tpm = await startSwtpm(t);
  const dir = await mkdtemp(join(tmpdir(), 'cardline-tpm-store-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const signingKey = random(32);
  const sealingKey = random(32);
  const logger = memoryLogger();
  const o = { dir, tcti: tpm.tcti, pcrs: PCRS, exec: nodeExec, env: process.env, logger };
  const sealed = await sealIntoTpm({ signingKey, sealingKey }, { ...o, kioskId: 'kiosk-1' });
  t.match(sealed.csr, /^-----BEGIN CERTIFICATE REQUEST-----/, 'the TLS key was created in the TPM, with its request');
  t.same(await tpm.transientHandles(), [], 'nothing left loaded in the TPM after sealing');

  const store = new TpmStore(o);
  const secrets = await store.unseal();
  t.same(secrets.signingKey, signingKey, 'the signing key unseals equal');
  t.same(secrets.sealingKey, sealingKey, 'the sealing key unseals equal');
  t.equal(secrets.tls.kind, 'tpm2');
  t.match(Buffer.from(secrets.tls.pem).toString('ascii'), /^-----BEGIN TSS2 PRIVATE KEY-----/);
  secrets.dispose();
  t.same(await tpm.transientHandles(), [], 'nothing left loaded after unsealing');
  t.notOk(logger.lines.join('').includes(Buffer.from(signingKey).toString('hex')), 'no key in the log');

  await tpm.extendPcr(7);
  await t.rejects(store.unseal(), {
    name: 'KeyStoreError',
    code: 'UNSEAL_FAILED',
    message: `UNSEAL_FAILED: the TPM refused to unseal ${join(dir, 'seal.priv')} (PCR policy ${PCRS}: the boot state changed since it was sealed)`,
  });
  t.same(await tpm.transientHandles(), [], 'flushed after the refusal too');
});

void t.test('a cardline kiosk whose TPM no longer unseals refuses to start: the reason, exit 1, no connection', { skip: missing ?? false }, async (t) => {
  const tpm = await startSwtpm(t);
  const rig = await startRig(t, { kiosks: ['kiosk-1'], cardsPerStation: 1 });
  const kiosk = rig.pki.kiosks['kiosk-1']!;
  const tpmFlags = ['--tpm-tcti', tpm.tcti, '--tpm-pcrs', PCRS];
  // The kiosk's keys moved from its dev sealed file into the TPM, as an operator would.
  const sealed = await runCardline(['keystore', 'seal', '--kind', 'tpm', '--identity', kiosk.dir, '--from-key-file', kiosk.keyStore, '--from-machine-secret', kiosk.machineSecret, ...tpmFlags, '--json']);
  t.match(JSON.parse(sealed.out), { kind: 'tpm', pcrs: PCRS, keys: { signing: 'store', sealing: 'store', tls: 'created in the TPM' } });
  const check = await runCardline(['keystore', 'check', '--identity', kiosk.dir, '--kind', 'tpm', ...tpmFlags, '--json']);
  t.match(JSON.parse(check.out), { kind: 'tpm', tlsKey: 'tpm2' }, 'it unseals before the PCR changes');

  await tpm.extendPcr(7);
  const stationDir = await mkdtemp(join(tmpdir(), 'cardline-tpm-station-'));
  t.teardown(() => rm(stationDir, { recursive: true, force: true }));
  await (await SimStation.create({ dir: stationDir, count: 1, stockMasterKey: new Uint8Array(16), clock: systemClock, logger: silentLogger })).close();
  const from = (await rig.audit()).length;
  const p = spawnCardline('kiosk', ['kiosk', '--identity', kiosk.dir, '--broker', rig.center.url, '--station', stationDir, '--key-store', 'tpm', ...tpmFlags]);
  t.teardown(() => p.stop(5_000));
  p.endInput();
  const exit = await p.waitExit(60_000, 'the kiosk refusing to start');
  t.equal(exit.code, 1, 'exit code 1');
  const stderr = p.err.join('\n');
  t.match(stderr, /^cardline kiosk: UNSEAL_FAILED: the TPM refused to unseal .*seal\.priv \(PCR policy sha256:0,1,2,3,7: the boot state changed since it was sealed\)$/m, 'the code and the reason');
  t.notMatch(stderr, /^\s+at /m, 'no stack trace');
  t.same(p.out.filter((l) => /issued|ready/i.test(l)), [], 'no customer served');
  const later = (await rig.audit(from)).filter((e) => e.kiosk === 'kiosk-1');
  t.same(later, [], 'the center never heard from the kiosk');
  t.notOk(rig.logs.center.lines.some((l) => l.includes('"kiosk-1"') && /connect/i.test(l)), 'no connection from kiosk-1 at the broker');
});
