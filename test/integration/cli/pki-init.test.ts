/**
 * `cardline pki init DIR` through the real dispatcher: exit codes (0
 * created, 1 exists, 2 usage), a summary with paths and fingerprints that
 * match the files, and never a secret key in the output.
 */
import t, { type Test } from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pkiInitCommand } from '../../../cli/commands/pki-init.js';
import { runCli } from '../../../cli/run.js';
import { systemClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';
import { openDevKioskSecrets } from '../../../kiosk/keystore/index.js';

async function run(args: string[]): Promise<{ code: number; out: string; err: string; logs: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const logger = memoryLogger();
  const code = await runCli(args, [pkiInitCommand], {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    logger,
    clock: systemClock,
    env: {},
    signal: new AbortController().signal,
  });
  return { code, out: out.join(''), err: err.join(''), logs: logger.lines.join('') };
}

async function tmp(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-pki-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Every secret's hex, to make sure none of it is printed. */
async function secrets(dir: string): Promise<string[]> {
  const hexFiles = ['center/signing.key', 'center/data.key', 'center/audit.key', 'center/issuer-master.key'];
  const out = await Promise.all(hexFiles.map(async (f) => (await readFile(join(dir, f), 'ascii')).trim()));
  for (const k of await readdir(join(dir, 'kiosks'))) {
    const kdir = join(dir, 'kiosks', k);
    out.push((await readFile(join(kdir, 'machine-secret'), 'ascii')).trim());
    const sealed = await openDevKioskSecrets({ keyStore: join(kdir, 'keys.sealed'), machineSecret: join(kdir, 'machine-secret') });
    out.push(Buffer.from(sealed.signingKey).toString('hex'), Buffer.from(sealed.sealingKey).toString('hex'), Buffer.from(sealed.tls.pem).toString('ascii').split('\n')[1]!);
    sealed.dispose();
  }
  const pems = await Promise.all(['ca/issuing.key', 'root/root.key', 'broker/tls.key', 'center/tls.key'].map(async (f) => (await readFile(join(dir, f), 'ascii')).split('\n')[1]!));
  return [...out, ...pems];
}

void t.test('creates the PKI, prints fingerprints, exit 0; a second run exits 1 (EXISTS)', async (t) => {
  const dir = join(await tmp(t), 'pki');
  const r = await run(['pki', 'init', dir, '--kiosks', 'kiosk-1,kiosk-2', '--days', '30']);
  t.equal(r.code, 0, r.err);
  const caFp = new X509Certificate(await readFile(join(dir, 'ca/ca.crt'))).fingerprint256;
  const k2 = new X509Certificate(await readFile(join(dir, 'kiosks/kiosk-2/tls.crt')));
  t.match(r.out, /not for production/);
  t.ok(r.out.includes(caFp), 'the CA fingerprint');
  t.ok(r.out.includes(k2.fingerprint256), 'the kiosk-2 fingerprint');
  t.equal(new Date(k2.validTo).getTime() - new Date(k2.validFrom).getTime(), 30 * 86_400_000, '--days 30');
  t.ok(r.out.includes((await readFile(join(dir, 'center/signing.pub'), 'ascii')).trim()), 'the center signing public key');
  for (const s of await secrets(dir)) t.notOk(r.out.includes(s) || r.logs.includes(s), 'no secret printed or logged');

  const again = await run(['pki', 'init', dir]);
  t.equal(again.code, 1);
  t.match(again.err, /already holds a PKI/);
});

void t.test('--json: a parseable summary; default kiosk-1; --kiosks "" for none', async (t) => {
  const base = await tmp(t);
  const r = await run(['pki', 'init', join(base, 'a'), '--json']);
  t.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out) as { dir: string; ca: { sha256: string; path: string }; kiosks: { id: string; keyStore: string; machineSecret: string; signingPublicKey: string; sealingPublicKey: string }[] };
  t.equal(s.dir, join(base, 'a'));
  t.equal(s.ca.sha256, new X509Certificate(await readFile(s.ca.path)).fingerprint256);
  t.same(s.kiosks.map((k) => k.id), ['kiosk-1']);
  t.equal(s.kiosks[0]!.keyStore, join(base, 'a', 'kiosks', 'kiosk-1', 'keys.sealed'), 'paths of keys, not keys');
  t.equal(s.kiosks[0]!.machineSecret, join(base, 'a', 'kiosks', 'kiosk-1', 'machine-secret'));
  t.match(s.kiosks[0]!.signingPublicKey, /^[0-9a-f]{64}$/);
  t.equal(s.kiosks[0]!.sealingPublicKey, (await readFile(join(base, 'a', 'kiosks', 'kiosk-1', 'sealing.pub'), 'ascii')).trim(), 'the X25519 public key, as sealing.pub holds it');
  t.same((await readdir(join(base, 'a', 'kiosks', 'kiosk-1'))).filter((f) => f === 'tls.key' || f === 'signing.key'), [], 'no plaintext kiosk private key file');
  const none = await run(['pki', 'init', join(base, 'b'), '--kiosks', '', '--json']);
  t.equal(none.code, 0, none.err);
  t.same((JSON.parse(none.out) as { kiosks: unknown[] }).kiosks, []);
});

void t.test('usage errors exit 2 and write nothing', async (t) => {
  const base = await tmp(t);
  const dir = join(base, 'x');
  for (const args of [
    ['pki', 'init'],
    ['pki', 'init', dir, '--kiosks', 'a/b'],
    ['pki', 'init', dir, '--kiosks', 'k1,k1'],
    ['pki', 'init', dir, '--kiosks', 'cardline-center'],
    ['pki', 'init', dir, '--days', '0'],
    ['pki', 'init', dir, '--days', 'ten'],
    ['pki', 'init', dir, '--days', '99999'],
    ['pki', 'init', dir, '--bogus'],
    ['pki', 'init', dir, 'extra'],
  ]) {
    const r = await run(args);
    t.equal(r.code, 2, args.slice(2).join(' '));
  }
  t.same(await readdir(base), [], 'nothing created');
});
