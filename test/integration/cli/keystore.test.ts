/**
 * `cardline keystore seal|check` (sealed-file kind) through the real
 * dispatcher, on a dev PKI's kiosk: check unseals and reports the public
 * keys; seal imports a TLS key from a file and generates the others (writes
 * signing.pub and sealing.pub); rotation of the machine secret from the old
 * store; the refusals with their exit codes (1 the store does not open, 2
 * usage); --help from the declaration; and never a secret in the output.
 */
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../../../common/clock.js';
import { makeKeystoreCheckCommand, makeKeystoreSealCommand } from '../../../cli/commands/keystore.js';
import { openDevKioskSecrets, sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { initDevPki } from '../../../provisioning/pki/dev-pki.js';
import { exportPkcs8Pem, newP256KeyPair } from '../../../provisioning/pki/tls-keys.js';
import { ed25519PublicKey } from '../../../wire/keys.js';
import { runCommands, type CliRun } from '../../fixtures/cli-run.js';
import { random } from '../../fixtures/rig.js';

const cli = (args: string[]): Promise<CliRun> => runCommands(['keystore', ...args], [makeKeystoreSealCommand({ random }), makeKeystoreCheckCommand()]);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

void t.test('keystore check, seal from files, rotation, refusals', async (t) => {
  const dir = t.testdir({});
  const pki = await initDevPki(join(dir, 'pki'), { kiosks: ['kiosk-1'], random, clock: systemClock, sealKiosk: sealDevKiosk });
  const k = pki.kiosks['kiosk-1']!;
  const dev = await openDevKioskSecrets(k);
  t.teardown(() => dev.dispose());
  const secretsText = [hex(dev.signingKey), hex(dev.sealingKey), Buffer.from(dev.tls.pem).toString('ascii').split('\n')[1]!];
  const noSecret = (r: CliRun, what: string): void => {
    t.notOk(secretsText.some((s) => r.out.includes(s) || r.err.includes(s) || r.logs.includes(s)), `${what}: no secret printed or logged`);
  };

  const check = await cli(['check', '--identity', k.dir, '--machine-secret', k.machineSecret, '--json']);
  t.equal(check.code, 0, check.err);
  t.same(JSON.parse(check.out), {
    kind: 'sealed-file',
    store: `sealed file ${k.keyStore} (machine secret ${k.machineSecret})`,
    signingPublicKey: (await readFile(k.signingPub, 'ascii')).trim(),
    sealingPublicKey: (await readFile(k.sealingPub, 'ascii')).trim(),
    tlsKey: 'pem',
    tlsMatchesCert: true,
  });
  noSecret(check, 'check');

  // Rotation: the same keys under a new machine secret, in place.
  const fresh = join(dir, 'new-secret');
  await writeFile(fresh, random(32), { mode: 0o600 });
  const rotate = await cli(['seal', '--identity', k.dir, '--from-key-file', k.keyStore, '--from-machine-secret', k.machineSecret, '--machine-secret', fresh, '--scrypt-log-n', '14', '--overwrite', '--json']);
  t.equal(rotate.code, 0, rotate.err);
  t.match(JSON.parse(rotate.out), { kind: 'sealed-file', store: k.keyStore, machineSecret: fresh, scrypt: { logN: 14 }, signingPublicKey: hex(ed25519PublicKey(dev.signingKey)), keys: { signing: 'store', sealing: 'store', tls: 'store' } });
  noSecret(rotate, 'seal');
  const old = await cli(['check', '--identity', k.dir, '--machine-secret', k.machineSecret]);
  t.equal(old.code, 1, 'the old machine secret no longer opens it');
  t.match(old.err, /^cardline keystore check: UNSEAL_FAILED: cannot open the sealed key store .*keys\.sealed: the machine secret .* is not the one it was sealed with/);
  t.equal((await cli(['check', '--identity', k.dir, '--machine-secret', fresh])).code, 0, 'the new one does');

  // Seal from files: a TLS key of another certificate is refused; generated signing and sealing keys.
  const other = await newP256KeyPair();
  const otherKey = join(dir, 'other.key');
  await writeFile(otherKey, await exportPkcs8Pem(other.privateKey), { mode: 0o600 });
  const mismatch = await cli(['seal', '--identity', k.dir, '--tls-key', otherKey, '--machine-secret', fresh, '--key-file', join(dir, 'x.sealed'), '--scrypt-log-n', '14']);
  t.equal(mismatch.code, 1);
  t.match(mismatch.err, /INVALID: the TLS key is not the key of .*tls\.crt/);
  const tlsFile = join(dir, 'tls.key');
  await writeFile(tlsFile, dev.tls.pem, { mode: 0o600 });
  const gen = await cli(['seal', '--identity', k.dir, '--tls-key', tlsFile, '--machine-secret', fresh, '--key-file', join(dir, 'y.sealed'), '--scrypt-log-n', '14', '--json']);
  t.equal(gen.code, 0, gen.err);
  const g = JSON.parse(gen.out) as { signingPublicKey: string; sealingPublicKey: string; keys: unknown };
  t.same(g.keys, { signing: 'generated', sealing: 'generated', tls: 'file' });
  t.not(g.signingPublicKey, hex(ed25519PublicKey(dev.signingKey)), 'a new signing key');
  t.equal((await readFile(k.signingPub, 'ascii')).trim(), g.signingPublicKey, 'signing.pub follows the store');
  t.equal((await readFile(k.sealingPub, 'ascii')).trim(), g.sealingPublicKey, 'sealing.pub follows the store');
  const exists = await cli(['seal', '--identity', k.dir, '--tls-key', tlsFile, '--machine-secret', fresh, '--key-file', join(dir, 'y.sealed'), '--scrypt-log-n', '14']);
  t.equal(exists.code, 1);
  t.match(exists.err, /EXISTS: .*y\.sealed already exists/);

  for (const [args, message] of [
    [['check'], /--identity is required/],
    [['check', '--identity', k.dir, '--kind', 'hsm'], /--kind must be sealed-file or tpm/],
    [['check', '--identity', k.dir, '--tpm-pcrs', 'sha256:7'], /--tpm-pcrs is for --kind tpm/],
    [['seal', '--identity', k.dir, '--machine-secret', fresh], /needs the TLS key/],
    [['seal', '--identity', k.dir, '--kind', 'tpm', '--tls-key', tlsFile], /--tls-key is for --kind sealed-file/],
    [['seal', '--identity', k.dir, '--from-key-file', k.keyStore], /--from-key-file needs --from-machine-secret/],
    [['seal', '--identity', k.dir, '--from-key-file', k.keyStore, '--from-machine-secret', fresh, '--tls-key', tlsFile], /exclude each other/],
    [['seal', '--identity', k.dir, '--tls-key', tlsFile, '--scrypt-log-n', '9'], /--scrypt-log-n is 14\.\.22/],
    [['seal', '--identity', k.dir, '--sign-with-pki', dir], /for --kind tpm/],
  ] as [string[], RegExp][]) {
    const r = await cli(args);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.err, message);
  }
  const bad = await cli(['check', '--identity', k.dir, '--kind', 'tpm', '--tpm-tcti', 'http://x']);
  t.equal(bad.code, 1);
  t.match(bad.err, /CONFIG_INVALID: config key 'keyStore\.tcti'/);

  const help = await cli(['seal', '--help']);
  t.equal(help.code, 0);
  for (const flag of ['--kind', '--from-key-file', '--machine-secret', '--tpm-tcti', '--tpm-pcrs', '--sign-with-pki', '--json']) t.match(help.out, flag);
  t.match((await cli(['check', '--help'])).out, /Exit codes: 0 the store unseals/);
});
