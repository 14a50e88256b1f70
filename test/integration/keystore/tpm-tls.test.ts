/**
 * The kiosk's TLS key held in the TPM (DESIGN §4, §8): a site set up through
 * the CLI as an operator would, except that the kiosk's keys go into a
 * (software) TPM behind tpm2-abrmd on a private session bus — the signing
 * and sealing keys sealed to PCRs, a NEW TLS key created in the TPM by the
 * tpm2 OpenSSL provider, its request certified by the dev CA — and the dev
 * sealed file is deleted. Then:
 *
 * - a `cardline kiosk` started with `node --openssl-config=kiosk/keystore/openssl-tpm2.cnf`
 *   connects to the center's broker with mutual TLS, the handshake's
 *   signature made by the TPM, gets to READY and issues a card;
 * - the same kiosk started without the provider refuses to start
 *   (TPM_UNAVAILABLE, saying how to start it), exit 1.
 */
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applicationsJson, freePort, REPO_ROOT, runCardline, spawnCardline, type CardlineProcess } from '../../fixtures/process-rig.js';
import { opensslModulesDir, startAbrmd, startSwtpm, swtpmMissing } from '../../fixtures/swtpm.js';
import { makeApps } from '../e2e/local-rig.js';

const missing = swtpmMissing();
const OPENSSL_CONFIG = join(REPO_ROOT, 'kiosk', 'keystore', 'openssl-tpm2.cnf');

void t.test('a kiosk whose TLS key is in the TPM (tpm2 provider, abrmd) connects with mutual TLS and issues a card', { skip: missing ?? false }, async (t) => {
  const tpm = await startSwtpm(t);
  const abrmd = await startAbrmd(t, tpm);
  const root = await mkdtemp(join(tmpdir(), 'cardline-tpm-tls-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const procs: CardlineProcess[] = [];
  t.teardown(async () => {
    for (const p of procs) await p.stop(5_000);
  });
  const env = abrmd.env;
  const pki = join(root, 'pki');
  const kioskDir = join(pki, 'kiosks', 'kiosk-1');
  const store = ['--pki', pki, '--data', join(root, 'center-data')];
  const [app] = makeApps(1, 'TPM');

  await runCardline(['pki', 'init', pki, '--kiosks', 'kiosk-1']);
  const devCert = new X509Certificate(await readFile(join(kioskDir, 'tls.crt')));
  const seal = await runCardline(
    ['keystore', 'seal', '--kind', 'tpm', '--identity', kioskDir, '--from-key-file', join(kioskDir, 'keys.sealed'), '--from-machine-secret', join(kioskDir, 'machine-secret'), '--tpm-tcti', abrmd.tcti, '--sign-with-pki', pki, '--json'],
    { env },
  );
  const sealed = JSON.parse(seal.out) as { certificate: string; tlsKey: string };
  t.equal(sealed.certificate, join(kioskDir, 'tls.crt'), 'the TPM key certified by the dev CA');
  const tpmCert = new X509Certificate(await readFile(join(kioskDir, 'tls.crt')));
  t.not(tpmCert.fingerprint256, devCert.fingerprint256, 'a new certificate, for the new key');
  t.match(await readFile(sealed.tlsKey, 'utf8'), /^-----BEGIN TSS2 PRIVATE KEY-----/);
  // Only the TPM holds the keys now.
  await rm(join(kioskDir, 'keys.sealed'));
  await rm(join(kioskDir, 'machine-secret'));

  const stationDir = join(root, 'station');
  // Prepared stock, registered: the center issues onto nothing else (docs/provisioning.md §6).
  const st = await runCardline(['stock', 'prepare', '--station', stationDir, '--count', '2', '--batch', 'tpm-1', '--pki', pki, '--json']);
  const readerId = (JSON.parse(st.out) as { reader: { id: string } }).reader.id;
  await runCardline(['center', 'stock', 'register', '--manifest', join(stationDir, 'batches', 'tpm-1.json'), ...store]);
  await runCardline(['center', 'kiosks', 'add', '--kiosk', 'kiosk-1', ...store]);
  const appsFile = join(root, 'apps.json');
  await writeFile(appsFile, applicationsJson([app!]), { mode: 0o600 });
  await runCardline(['center', 'applications', 'add', '--file', appsFile, ...store]);
  await runCardline(['center', 'readers', 'add', '--kiosk', 'kiosk-1', '--reader', readerId, '--kind', 'sim', '--vendor', 'cardline', '--product', 'sim-reader', '--serial', readerId, '--public-key-file', join(stationDir, 'reader.pub'), ...store]);
  const port = await freePort();
  const center = spawnCardline('center', ['center', ...store, '--port', String(port)]);
  procs.push(center);
  await center.waitFor(/^center listening on mqtts:/, 60_000, 'the center listening');

  const kioskArgs = ['kiosk', '--identity', kioskDir, '--broker', `mqtts://127.0.0.1:${port}`, '--station', stationDir, '--key-store', 'tpm', '--tpm-tcti', abrmd.tcti];
  const withProvider = { ...env, OPENSSL_MODULES: opensslModulesDir(), NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --openssl-config=${OPENSSL_CONFIG}`.trim() };

  await t.test('without the tpm2 provider the kiosk cannot use its key: it refuses to start', async (t) => {
    const p = spawnCardline('kiosk (no provider)', kioskArgs, { env });
    procs.push(p);
    p.endInput();
    const exit = await p.waitExit(60_000, 'the kiosk refusing to start');
    t.equal(exit.code, 1);
    t.match(p.err.join('\n'), /cardline kiosk: TPM_UNAVAILABLE: the TLS key is held by the TPM \(TSS2\) but this process cannot load it: start node with --openssl-config=/);
  });

  await t.test('with node --openssl-config: mutual TLS with the TPM-held key, READY, a card issued', async (t) => {
    const p = spawnCardline('kiosk (tpm)', [...kioskArgs, '--request', app!.input.id, '--once'], { env: withProvider });
    procs.push(p);
    p.write(`${app!.input.code}\n`);
    p.endInput();
    const exit = await p.waitExit(120_000, 'one customer served');
    const out = p.out.join('\n');
    if (exit.code !== 0) t.comment(p.err.slice(-15).join('\n'));
    t.equal(exit.code, 0, 'exit 0');
    t.match(out, /Result: issued/, 'the card was issued');
    t.match(p.err.join('\n'), /"msg":"key store unsealed","store":"tpm","tls":"tpm2"/, 'the keys came from the TPM');
    t.ok(
      center.err.concat(center.out).some((l) => l.includes('client connected') && l.includes('kiosk-1')),
      'the broker admitted kiosk-1 on its certificate',
    );
  });
  t.comment(`TPM certificate ${tpmCert.fingerprint256}`);
});
