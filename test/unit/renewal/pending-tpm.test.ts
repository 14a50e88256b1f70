/**
 * The TPM store's pending key (kiosk/keystore/pending-tpm.ts) over a
 * scripted Exec: the new key is made in the TPM by the tpm2 provider, kept
 * as tls.next.tss2.pem (0600) and never over the current key; promote
 * renames it over tls.tss2.pem (the old blob's bytes zeroed through its
 * descriptor), drops the stale request; discard zero-fills and removes it;
 * a provider that does not load is TPM_UNAVAILABLE and leaves nothing.
 * The real TPM runs in test/integration/keystore/.
 */
import t from 'tap';
import { open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { memoryLogger } from '../../../common/log.js';
import type { Exec, ExecResult } from '../../../kiosk/keystore/exec.js';
import { openPendingKeys } from '../../../kiosk/keystore/index.js';
import { random } from './certs.js';

const OLD = '-----BEGIN TSS2 PRIVATE KEY-----\nT0xEIEtFWQ==\n-----END TSS2 PRIVATE KEY-----\n';
const NEW = '-----BEGIN TSS2 PRIVATE KEY-----\nTkVXIEtFWSBCTE9C\n-----END TSS2 PRIVATE KEY-----\n';
const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIHx\n-----END CERTIFICATE REQUEST-----\n';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function scripted(fail = false): { exec: Exec; calls: { file: string; args: readonly string[] }[] } {
  const calls: { file: string; args: readonly string[] }[] = [];
  const exec: Exec = async (file, args) => {
    calls.push({ file, args });
    const ok = (r: Partial<ExecResult> = {}): ExecResult => ({ code: 0, stdout: new Uint8Array(0), stderr: new Uint8Array(0), ...r });
    if (fail && file === 'openssl') return { code: 1, stdout: new Uint8Array(0), stderr: enc('unable to load provider tpm2\n') };
    if (file === 'openssl' && args[0] === 'genpkey') await writeFile(args[args.indexOf('-out') + 1]!, NEW);
    if (file === 'openssl' && args[0] === 'req') return ok({ stdout: enc(CSR) });
    return ok();
  };
  return { exec, calls };
}

void t.test('create, promote: the new key in the TPM, then over the current one; the old blob zeroed', async (t) => {
  const dir = t.testdir({ tpm: { 'seal.pub': 'p', 'seal.priv': 'q', pcrs: 'sha256:0\n', 'tls.tss2.pem': OLD, 'tls.csr': CSR } });
  const s = scripted();
  const pending = openPendingKeys({ identityDir: dir, keyStore: { kind: 'tpm', tcti: 'swtpm:host=127.0.0.1,port=1', pcrs: 'sha256:0' } }, { logger: memoryLogger(), random, exec: s.exec, env: {}, workDir: dir });
  t.notOk(await pending.exists());
  const { csr } = await pending.create('kiosk-7', { signingKey: new Uint8Array(32), sealingKey: new Uint8Array(32) });
  t.equal(csr, CSR);
  t.same(s.calls.filter((c) => c.file === 'openssl').map((c) => c.args[0]), ['genpkey', 'req'], 'key and request made by the provider');
  t.ok(s.calls.some((c) => c.file === 'tpm2_flushcontext'), 'transient objects flushed (no resource manager)');
  const next = join(dir, 'tpm', 'tls.next.tss2.pem');
  t.equal(await readFile(next, 'utf8'), NEW);
  t.equal((await stat(next)).mode & 0o777, 0o600);
  t.equal(await readFile(join(dir, 'tpm', 'tls.tss2.pem'), 'utf8'), OLD, 'the current key is untouched');
  const material = await pending.pendingTls();
  t.equal(material.kind, 'tpm2');
  t.equal(Buffer.from(material.pem).toString('ascii'), NEW);
  material.pem.fill(0);

  // Keep a descriptor on the old blob's inode to see what becomes of its bytes.
  const oldHandle = await open(join(dir, 'tpm', 'tls.tss2.pem'), 'r');
  await pending.promote();
  const oldBytes = Buffer.alloc(OLD.length);
  await oldHandle.read(oldBytes, 0, OLD.length, 0);
  await oldHandle.close();
  t.ok(oldBytes.every((b) => b === 0), "the superseded key's bytes are zeroed");
  t.equal(await readFile(join(dir, 'tpm', 'tls.tss2.pem'), 'utf8'), NEW);
  t.same((await readdir(join(dir, 'tpm'))).sort(), ['pcrs', 'seal.priv', 'seal.pub', 'tls.tss2.pem'], 'no pending key, no stale request');
});

void t.test('discard and failure: nothing left behind', async (t) => {
  const dir = t.testdir({ tpm: { 'tls.tss2.pem': OLD } });
  const cfg = { identityDir: dir, keyStore: { kind: 'tpm' as const, tcti: 'swtpm:host=127.0.0.1,port=1', pcrs: 'sha256:0' } };
  const ok = openPendingKeys(cfg, { logger: memoryLogger(), random, exec: scripted().exec, env: {}, workDir: dir });
  await ok.create('kiosk-7', { signingKey: new Uint8Array(32), sealingKey: new Uint8Array(32) });
  await ok.discard();
  t.notOk(await ok.exists());
  const broken = openPendingKeys(cfg, { logger: memoryLogger(), random, exec: scripted(true).exec, env: {}, workDir: dir });
  await t.rejects(broken.create('kiosk-7', { signingKey: new Uint8Array(32), sealingKey: new Uint8Array(32) }), { name: 'KeyStoreError', code: 'TPM_UNAVAILABLE' });
  t.notOk(await broken.exists());
  t.same(await readdir(join(dir, 'tpm')), ['tls.tss2.pem']);
});
