/**
 * Enrolment with the TPM key store (swtpm behind tpm2-abrmd on a private
 * session bus): `cardline kiosk enrol --key-store tpm` seals the signing and
 * sealing keys to the PCR policy and creates the TLS key IN the TPM; the
 * center certifies that key's request; then `cardline kiosk` started with
 * the tpm2 OpenSSL provider connects with mutual TLS (the handshake signed
 * by the TPM) and issues a card. A refused enrolment leaves no TPM store.
 */
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../../cli/commands/index.js';
import { FakeClock } from '../../../common/clock.js';
import { runCommands } from '../../fixtures/cli-run.js';
import { REPO_ROOT, spawnCardline, type CardlineProcess } from '../../fixtures/process-rig.js';
import { opensslModulesDir, startAbrmd, startSwtpm, swtpmMissing } from '../../fixtures/swtpm.js';
import { startEnrolRig } from './enrol-rig.js';

const missing = swtpmMissing();
const OPENSSL_CONFIG = join(REPO_ROOT, 'kiosk', 'keystore', 'openssl-tpm2.cnf');

void t.test('enrolment into the TPM: the TLS key is born there, the kiosk connects and issues a card', { skip: missing ?? false }, async (t) => {
  const tpm = await startSwtpm(t);
  const abrmd = await startAbrmd(t, tpm);
  const e = await startEnrolRig(t);
  const root = await mkdtemp(join(tmpdir(), 'cardline-enrol-tpm-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const procs: CardlineProcess[] = [];
  t.teardown(async () => {
    for (const p of procs) await p.stop(5_000);
  });
  const caFile = join(e.rig.dir, 'pki', 'ca', 'ca.crt');
  const enrol = async (kiosk: string, identity: string, token: string) => {
    const tokenFile = join(root, `token-${kiosk}-${Date.now()}`);
    await writeFile(tokenFile, token, { mode: 0o600 });
    return runCommands(
      ['kiosk', 'enrol', '--center', e.server.url, '--ca', caFile, '--kiosk', kiosk, '--token-file', tokenFile, '--identity', identity, '--key-store', 'tpm', '--tpm-tcti', abrmd.tcti, '--json'],
      COMMANDS,
      { env: abrmd.env, clock: new FakeClock(Date.now()) },
    );
  };

  await t.test('a refused enrolment leaves no TPM store behind', async (t) => {
    const dir = join(root, 'kiosk-r');
    const r = await enrol('kiosk-r', dir, Buffer.alloc(32, 3).toString('base64url'));
    t.equal(r.code, 1, r.err);
    t.match(JSON.parse(r.out), { ok: false, error: { code: 'token-refused' } });
    t.same(await readdir(dir).catch(() => []), [], 'nothing left');
  });

  const identity = join(root, 'kiosk-t');
  await t.test('kiosk enrol --key-store tpm', async (t) => {
    const r = await enrol('kiosk-t', identity, await e.token('kiosk-t', 'TPM site'));
    t.equal(r.code, 0, r.err || r.out);
    t.match(JSON.parse(r.out), { ok: true, kioskId: 'kiosk-t', keyStore: { kind: 'tpm', location: join(identity, 'tpm') } });
    t.same((await readdir(identity)).sort(), ['ca.crt', 'center-signing.pub', 'registry.json', 'sealing.pub', 'signing.pub', 'tls.crt', 'tpm']);
    t.match(await readFile(join(identity, 'tpm', 'tls.tss2.pem'), 'utf8'), /^-----BEGIN TSS2 PRIVATE KEY-----/, 'the TLS key is a TPM-wrapped blob');
    const cert = new X509Certificate(await readFile(join(identity, 'tls.crt')));
    const csr = await readFile(join(identity, 'tpm', 'tls.csr'), 'utf8');
    t.match(csr, /^-----BEGIN CERTIFICATE REQUEST-----/);
    t.match(cert.subject, /CN=kiosk-t/);
    const row = await e.rig.center.deps.db.query<{ cert_fingerprint: string }>('SELECT cert_fingerprint FROM kiosks WHERE id = $1', ['kiosk-t']);
    t.equal(row.rows[0]?.cert_fingerprint, cert.fingerprint256, 'registered with the TPM key\'s certificate');
  });

  await t.test('cardline kiosk with the tpm2 provider: mutual TLS with the TPM-held key, a card issued', async (t) => {
    const stationDir = join(root, 'station');
    // The station's state is on disk: the kiosk process opens it once this process has let go.
    await (await e.station('kiosk-t', stationDir, 'CA4F0001')).close();
    const [app] = await e.rig.addApps(1);
    const env = { ...abrmd.env, OPENSSL_MODULES: opensslModulesDir(), NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --openssl-config=${OPENSSL_CONFIG}`.trim() };
    const p = spawnCardline('kiosk (tpm)', ['kiosk', '--identity', identity, '--broker', e.rig.center.url, '--station', stationDir, '--key-store', 'tpm', '--tpm-tcti', abrmd.tcti, '--request', app!.id, '--once'], { env });
    procs.push(p);
    p.write(`${app!.code}\n`);
    p.endInput();
    const exit = await p.waitExit(120_000, 'one customer served');
    if (exit.code !== 0) t.comment(p.err.slice(-15).join('\n'));
    t.equal(exit.code, 0, 'exit 0');
    t.match(p.out.join('\n'), /Result: issued/, 'the card was issued');
    t.match(p.err.join('\n'), /"msg":"key store unsealed","store":"tpm","tls":"tpm2"/, 'the keys came from the TPM');
  });
});
