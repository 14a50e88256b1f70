/**
 * The sealed-file key store (kiosk/keystore/sealed-file.ts and its format):
 * round trip; the file's layout and mode; a wrong machine secret, any
 * changed header or ciphertext byte → UNSEAL_FAILED naming the file; a
 * truncated or foreign file, bad parameters → INVALID; missing files →
 * MISSING; modes open to group or others, a FIFO, a short machine secret →
 * INVALID; an existing store is not overwritten unless asked; dispose()
 * zeroizes every secret buffer; no message carries a secret.
 */
import t from 'tap';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { HEADER_BYTES, MAGIC } from '../../../kiosk/keystore/sealed-file-format.js';
import { SealedFileStore, sealIntoFile } from '../../../kiosk/keystore/sealed-file.js';
import { DEV_SCRYPT, type ScryptParams } from '../../../kiosk/keystore/index.js';

/** Cheap for tests; the format bounds log2 N to 10..22. */
const FAST: ScryptParams = { logN: 10, r: 8, p: 1 };
const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 0xff);
const pem = (): Uint8Array => new TextEncoder().encode('-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAAAA\n-----END PRIVATE KEY-----\n');
const secrets = () => ({ signingKey: new Uint8Array(32).fill(0xa1), sealingKey: new Uint8Array(32).fill(0xb2), tls: { kind: 'pem' as const, pem: pem() } });

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

async function setup(t: Test, scrypt = FAST): Promise<{ dir: string; file: string; secret: string; store: SealedFileStore }> {
  const dir = t.testdir({});
  const secret = join(dir, 'machine-secret');
  await writeFile(secret, 'a machine secret of more than 16 bytes\n', { mode: 0o600 });
  const file = join(dir, 'keys.sealed');
  await sealIntoFile(secrets(), { file, machineSecretFile: secret, scrypt, random });
  return { dir, file, secret, store: new SealedFileStore({ file, machineSecretFile: secret }) };
}

void t.test('round trip at the dev cost (N = 2^14); the file is 0600, starts with the magic, and holds no key in clear', async (t) => {
  const s = await setup(t, DEV_SCRYPT);
  const out = await s.store.unseal();
  t.same(out.signingKey, new Uint8Array(32).fill(0xa1));
  t.same(out.sealingKey, new Uint8Array(32).fill(0xb2));
  t.same(out.tls, { kind: 'pem', pem: pem() });
  t.equal((await stat(s.file)).mode & 0o777, 0o600);
  const bytes = await readFile(s.file);
  t.same([...bytes.subarray(0, 8)], [...MAGIC]);
  t.same([...bytes.subarray(8, 14)], [1, 14, 0, 8, 0, 1], 'version 1, log2 N 14, r 8, p 1');
  t.notOk(bytes.includes(Buffer.alloc(8, 0xa1)) || bytes.includes(Buffer.from('BEGIN PRIVATE KEY')), 'no plaintext');
  t.equal(s.store.kind, 'sealed-file');
  t.match(s.store.describe(), /sealed file .*keys\.sealed \(machine secret .*machine-secret\)/);

  out.dispose();
  t.ok([out.signingKey, out.sealingKey, out.tls.pem].every((b) => b.length > 0 && b.every((x) => x === 0)), 'dispose zeroizes every secret buffer');
  out.dispose();
});

void t.test('a wrong machine secret, or any changed byte of the header or ciphertext: UNSEAL_FAILED naming the file', async (t) => {
  const s = await setup(t);
  const other = join(s.dir, 'other');
  await writeFile(other, 'another secret, long enough\n', { mode: 0o600 });
  await t.rejects(new SealedFileStore({ file: s.file, machineSecretFile: other }).unseal(), {
    name: 'KeyStoreError',
    code: 'UNSEAL_FAILED',
    message: new RegExp(`^UNSEAL_FAILED: cannot open the sealed key store ${s.file}: the machine secret ${other} is not the one it was sealed with, or the file was altered$`),
  });
  const good = await readFile(s.file);
  // Salt, nonce, p and r (still in range): all under the AAD. Then the ciphertext and the tag.
  for (const [what, at, value] of [
    ['r', 11, 9],
    ['p', 13, 2],
    ['salt', 14 + 3, undefined],
    ['nonce', 30 + 5, undefined],
    ['ciphertext', HEADER_BYTES + 10, undefined],
    ['tag', good.length - 1, undefined],
  ] as const) {
    const b = Buffer.from(good);
    b[at] = value ?? b[at]! ^ 0x01;
    await writeFile(s.file, b, { mode: 0o600 });
    await t.rejects(s.store.unseal(), { code: 'UNSEAL_FAILED', message: /keys\.sealed/ }, `changed ${what}`);
  }
});

void t.test('a truncated, foreign or out-of-bounds file is INVALID; missing files MISSING', async (t) => {
  const s = await setup(t);
  const good = await readFile(s.file);
  const cases: [string, Buffer, RegExp][] = [
    ['truncated', good.subarray(0, HEADER_BYTES + 10), /too short .*truncated/],
    ['empty', Buffer.alloc(0), /0 bytes/],
    ['magic', Buffer.concat([Buffer.from('NOTASTOR'), good.subarray(8)]), /bad magic/],
    ['version', Buffer.from(good).fill(2, 8, 9), /format version 2/],
    ['log2 N 30', Buffer.from(good).fill(30, 9, 10), /log2 N 30 out of 10\.\.22/],
    ['log2 N 5', Buffer.from(good).fill(5, 9, 10), /log2 N 5/],
    ['r 0', Buffer.from(good).fill(0, 10, 12), /scrypt r 0/],
  ];
  for (const [what, bytes, message] of cases) {
    await writeFile(s.file, bytes, { mode: 0o600 });
    await t.rejects(s.store.unseal(), { code: 'INVALID', message }, what);
  }
  await t.rejects(new SealedFileStore({ file: join(s.dir, 'none'), machineSecretFile: s.secret }).unseal(), { code: 'MISSING', message: /none: no such file/ });
  await writeFile(s.file, good, { mode: 0o600 });
  await t.rejects(new SealedFileStore({ file: s.file, machineSecretFile: join(s.dir, 'nosecret') }).unseal(), { code: 'MISSING', message: /the machine secret .*nosecret/ });
});

void t.test('modes, file types and sizes of the store and the machine secret', async (t) => {
  const s = await setup(t);
  await chmod(s.file, 0o644);
  await t.rejects(s.store.unseal(), { code: 'INVALID', message: /keys\.sealed: mode 0644 lets group or others at a secret \(chmod 600\)/ });
  await chmod(s.file, 0o600);
  await chmod(s.secret, 0o640);
  await t.rejects(s.store.unseal(), { code: 'INVALID', message: /machine-secret: mode 0640/ });
  await chmod(s.secret, 0o400);
  t.ok(await s.store.unseal(), 'read-only to its owner is fine');
  const short = join(s.dir, 'short');
  await writeFile(short, '15 bytes only..', { mode: 0o600 });
  await t.rejects(new SealedFileStore({ file: s.file, machineSecretFile: short }).unseal(), { code: 'INVALID', message: /short: 15 bytes \(16\.\.4096\)/ });
  await t.rejects(new SealedFileStore({ file: s.file, machineSecretFile: s.dir }).unseal(), { code: 'INVALID', message: /not a regular file/ });
  const fifo = join(s.dir, 'fifo');
  execFileSync('mkfifo', ['-m', '600', fifo]);
  await t.rejects(new SealedFileStore({ file: fifo, machineSecretFile: s.secret }).unseal(), { code: 'INVALID', message: /fifo: not a regular file/ }, 'a FIFO does not hang the open');
});

void t.test('sealing: refuses an existing store unless overwriting, a TSS2 key, a missing machine secret; never prints a key', async (t) => {
  const s = await setup(t);
  const before = await readFile(s.file);
  await t.rejects(sealIntoFile(secrets(), { file: s.file, machineSecretFile: s.secret, scrypt: FAST, random }), { code: 'EXISTS' });
  t.same(await readFile(s.file), before, 'untouched');
  await sealIntoFile({ ...secrets(), signingKey: new Uint8Array(32).fill(0xc3) }, { file: s.file, machineSecretFile: s.secret, scrypt: FAST, random, overwrite: true });
  t.same((await s.store.unseal()).signingKey, new Uint8Array(32).fill(0xc3), 'overwritten (rotation)');
  const tss2 = { kind: 'tpm2' as const, pem: new TextEncoder().encode('-----BEGIN TSS2 PRIVATE KEY-----\nAA==\n-----END TSS2 PRIVATE KEY-----\n') };
  await t.rejects(sealIntoFile({ ...secrets(), tls: tss2 }, { file: join(s.dir, 'x'), machineSecretFile: s.secret, scrypt: FAST, random }), { code: 'INVALID', message: /TSS2 key belongs to the tpm store/ });
  await t.rejects(sealIntoFile(secrets(), { file: join(s.dir, 'y'), machineSecretFile: join(s.dir, 'nope'), scrypt: FAST, random }), { code: 'MISSING' });
  await t.rejects(sealIntoFile(secrets(), { file: join(s.dir, 'z'), machineSecretFile: s.secret, scrypt: { logN: 9, r: 8, p: 1 }, random }), { code: 'INVALID', message: /log2 N 9/ });
  await t.rejects(sealIntoFile(secrets(), { file: join(s.dir, 'no-dir', 'z'), machineSecretFile: s.secret, scrypt: FAST, random }), { code: 'MISSING', message: /does not exist/ });
  const given = secrets();
  await sealIntoFile(given, { file: join(s.dir, 'w'), machineSecretFile: s.secret, scrypt: FAST, random });
  t.same(given.signingKey, new Uint8Array(32).fill(0xa1), "the caller's buffers are the caller's to zeroize");
});
