/**
 * common/key-files.ts: hex key files and PEM files are read only when they
 * hold exactly what is expected and, for secrets, are private to the owner;
 * writes are atomic, get the right mode and never replace a file unasked;
 * no error message carries the file's content.
 */
import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyFileError, readKeyFile, readPemFile, writeKeyFile, writePemFile } from '../../../common/key-files.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIBSTCB8KADAgECAgFBMAoGCCqGSM49BAMCMC0xETAPBgNVBAoTCENhcmRsaW5l\n-----END CERTIFICATE-----\n';

async function tmp(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-keyfiles-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Rejects with KeyFileError `code`, and the message does not contain `secret`. */
async function refuses(t: Test, p: Promise<unknown>, code: string, secret?: string): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  t.ok(e instanceof KeyFileError, `a KeyFileError (${code})`);
  t.equal((e as KeyFileError).code, code);
  if (secret !== undefined) t.notOk((e as Error).message.toLowerCase().includes(secret.toLowerCase()), 'message carries no key material');
}

void t.test('hex key: round trip, mode 0600 for secrets and 0644 otherwise, trailing whitespace ignored', async (t) => {
  const dir = await tmp(t);
  const key = new Uint8Array(randomBytes(32));
  await writeKeyFile(join(dir, 'k'), key, { secret: true });
  await writeKeyFile(join(dir, 'p'), key.subarray(0, 16), { secret: false });
  t.equal((await stat(join(dir, 'k'))).mode & 0o777, 0o600);
  t.equal((await stat(join(dir, 'p'))).mode & 0o777, 0o644);
  t.same(await readKeyFile(join(dir, 'k'), 32, { secret: true }), key);
  t.same(await readKeyFile(join(dir, 'p'), 16), key.subarray(0, 16));
  t.equal(await readFile(join(dir, 'k'), 'ascii'), `${Buffer.from(key).toString('hex')}\n`);
  await writeFile(join(dir, 'upper'), `  \n${Buffer.from(key).toString('hex').toUpperCase()}\r\n\n`, { mode: 0o600 });
  t.same(await readKeyFile(join(dir, 'upper'), 32, { secret: true }), key, 'upper case and surrounding whitespace');
  t.same(await readdir(dir), ['k', 'p', 'upper'], 'no temporary files left behind');
});

void t.test('hex key: missing, wrong length, not hex, inner whitespace, a directory', async (t) => {
  const dir = await tmp(t);
  const hex = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  await refuses(t, readKeyFile(join(dir, 'none'), 16), 'NOT_FOUND');
  await writeFile(join(dir, 'short'), hex.slice(0, 30), { mode: 0o600 });
  await refuses(t, readKeyFile(join(dir, 'short'), 16, { secret: true }), 'INVALID', hex.slice(0, 30));
  await writeFile(join(dir, 'long'), `${hex}00`, { mode: 0o600 });
  await refuses(t, readKeyFile(join(dir, 'long'), 16, { secret: true }), 'INVALID', hex);
  await writeFile(join(dir, 'nothex'), `${hex.slice(0, 30)}zz`, { mode: 0o600 });
  await refuses(t, readKeyFile(join(dir, 'nothex'), 16, { secret: true }), 'INVALID', hex.slice(0, 30));
  await writeFile(join(dir, 'inner'), `${hex.slice(0, 16)} ${hex.slice(17)}`, { mode: 0o600 });
  await refuses(t, readKeyFile(join(dir, 'inner'), 16, { secret: true }), 'INVALID', hex.slice(0, 16));
  await refuses(t, readKeyFile(dir, 16), 'INVALID');
});

void t.test('hex key: a secret readable (or writable) by group or others is refused; a public file is not', async (t) => {
  const dir = await tmp(t);
  const path = join(dir, 'k');
  await writeKeyFile(path, new Uint8Array(16).fill(7), { secret: true });
  for (const mode of [0o640, 0o604, 0o620, 0o644]) {
    await chmod(path, mode);
    await refuses(t, readKeyFile(path, 16, { secret: true }), 'TOO_OPEN');
  }
  t.same(await readKeyFile(path, 16, { secret: false }), new Uint8Array(16).fill(7), 'the same file as a public one');
  await chmod(path, 0o400);
  t.same(await readKeyFile(path, 16, { secret: true }), new Uint8Array(16).fill(7), '0400 is private too');
});

const noMkfifo = ((): string | false => {
  try {
    execFileSync('mkfifo', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'mkfifo not available';
  }
})();

void t.test('a FIFO at the path is refused without hanging', { skip: noMkfifo }, async (t) => {
  const dir = await tmp(t);
  const path = join(dir, 'fifo');
  execFileSync('mkfifo', ['-m', '600', path]);
  await refuses(t, readKeyFile(path, 16, { secret: true }), 'INVALID');
});

void t.test('writes refuse to replace a file unless told to; overwrite is atomic and resets the mode', async (t) => {
  const dir = await tmp(t);
  const path = join(dir, 'k');
  await writeKeyFile(path, Uint8Array.of(1, 2, 3), { secret: false });
  await refuses(t, writeKeyFile(path, Uint8Array.of(4, 5, 6), { secret: true }), 'EXISTS');
  t.same(await readKeyFile(path, 3), Uint8Array.of(1, 2, 3), 'the old file is untouched');
  await writeKeyFile(path, Uint8Array.of(4, 5, 6), { secret: true, overwrite: true });
  t.same(await readKeyFile(path, 3, { secret: true }), Uint8Array.of(4, 5, 6));
  t.equal((await stat(path)).mode & 0o777, 0o600);
  await refuses(t, writePemFile(path, PEM, { secret: false }), 'EXISTS');
  await refuses(t, writeKeyFile(join(dir, 'no-such-dir', 'k'), Uint8Array.of(1), { secret: true }), 'NOT_FOUND');
  t.same((await readdir(dir)).sort(), ['k'], 'no temporary files left behind');
});

void t.test('PEM: round trip; refused without a PEM block, too large, too open', async (t) => {
  const dir = await tmp(t);
  await writePemFile(join(dir, 'c.pem'), PEM, { secret: false });
  t.equal(await readPemFile(join(dir, 'c.pem'), { secret: false }), PEM);
  await writePemFile(join(dir, 'k.pem'), PEM.replace(/CERTIFICATE/g, 'PRIVATE KEY'), { secret: true });
  t.equal((await stat(join(dir, 'k.pem'))).mode & 0o777, 0o600);
  t.match(await readPemFile(join(dir, 'k.pem'), { secret: true }), /BEGIN PRIVATE KEY/);
  await chmod(join(dir, 'k.pem'), 0o644);
  await refuses(t, readPemFile(join(dir, 'k.pem'), { secret: true }), 'TOO_OPEN', 'MIIBSTCB8KAD');
  await writeFile(join(dir, 'text'), 'just some words, MIIBSTCB8KAD\n');
  await refuses(t, readPemFile(join(dir, 'text'), { secret: false }), 'INVALID', 'MIIBSTCB8KAD');
  await writeFile(join(dir, 'unmatched'), '-----BEGIN CERTIFICATE-----\nMIIB\n-----END PRIVATE KEY-----\n');
  await refuses(t, readPemFile(join(dir, 'unmatched'), { secret: false }), 'INVALID');
  await writeFile(join(dir, 'big'), PEM + 'x'.repeat(64 * 1024));
  await refuses(t, readPemFile(join(dir, 'big'), { secret: false }), 'INVALID');
  await refuses(t, readPemFile(join(dir, 'none'), { secret: false }), 'NOT_FOUND');
  await refuses(t, writePemFile(join(dir, 'bad'), 'not pem', { secret: false }), 'INVALID');
});
