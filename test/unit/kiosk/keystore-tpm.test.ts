/**
 * The TPM key store over a scripted Exec (kiosk/keystore/tpm.ts, tpm-seal.ts,
 * tpm2-tools.ts): the tools and arguments of each step, the secrets only
 * on stdin/stdout (never argv), flushing after every step without a
 * resource manager and not behind one, and the mapping of the tools'
 * failures: PCR policy → UNSEAL_FAILED, a blob the TPM cannot load →
 * UNSEAL_FAILED, no TPM or no tools → TPM_UNAVAILABLE, anything else →
 * TOOL_FAILED. The real TPM runs in test/integration/keystore/.
 */
import t from 'tap';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { memoryLogger } from '../../../common/log.js';
import type { Exec, ExecResult } from '../../../kiosk/keystore/exec.js';
import { encodeSecretBundle } from '../../../kiosk/keystore/secret-bundle.js';
import { TpmStore } from '../../../kiosk/keystore/tpm.js';
import { sealIntoTpm } from '../../../kiosk/keystore/tpm-seal.js';
import { tctiNeedsFlush } from '../../../kiosk/keystore/tpm-params.js';

type Test = Parameters<Parameters<typeof t.test>[0]>[0];

const SIGNING = new Uint8Array(32).fill(0x5a);
const SEALING = new Uint8Array(32).fill(0x6b);
const TSS2 = '-----BEGIN TSS2 PRIVATE KEY-----\nMIHwBgZngQUKAQOgAwEBAQIEQAAAAQ==\n-----END TSS2 PRIVATE KEY-----\n';
const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIHx\n-----END CERTIFICATE REQUEST-----\n';
const SWTPM = 'swtpm:host=127.0.0.1,port=2321';
const PCRS = 'sha256:0,1,2,3,7';
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

interface Call {
  file: string;
  args: readonly string[];
  tcti: string | undefined;
  input: Uint8Array | undefined;
}

/** An Exec that records every call and answers with `answer` (default: success, empty output). */
function scripted(answer: (c: Call) => Partial<ExecResult> | undefined | Promise<Partial<ExecResult> | undefined> = () => undefined): { exec: Exec; calls: Call[]; outputs: Uint8Array[] } {
  const calls: Call[] = [];
  const outputs: Uint8Array[] = [];
  const exec: Exec = async (file, args, opts) => {
    const c = { file, args, tcti: opts.env.TPM2TOOLS_TCTI ?? opts.env.TPM2OPENSSL_TCTI, input: opts.input?.slice() };
    calls.push(c);
    const r = { code: 0, stdout: new Uint8Array(0), stderr: new Uint8Array(0), ...(await answer(c)) };
    outputs.push(r.stdout);
    return r;
  };
  return { exec, calls, outputs };
}

const names = (calls: Call[]): string[] => calls.map((c) => (c.file === 'tpm2_flushcontext' ? `flush${c.args[0]}` : c.file));

function storeDir(t: Test): string {
  return t.testdir({ 'seal.pub': 'pub', 'seal.priv': 'priv', pcrs: `${PCRS}\n`, 'tls.tss2.pem': TSS2 });
}

function store(dir: string, exec: Exec, tcti = SWTPM, pcrs = PCRS): TpmStore {
  return new TpmStore({ dir, tcti, pcrs, exec, env: { PATH: '/usr/bin' }, logger: memoryLogger(), workDir: dir });
}

const unsealed = (): Uint8Array => encodeSecretBundle({ signingKey: SIGNING, sealingKey: SEALING });
const fail = (stderr: string, code = 1): Partial<ExecResult> => ({ code, stderr: enc(stderr) });

void t.test('unseal on a bare swtpm: createprimary, load, unseal, each followed by a flush; the bytes zeroized', async (t) => {
  const dir = storeDir(t);
  const s = scripted((c) => (c.file === 'tpm2_unseal' ? { stdout: unsealed() } : undefined));
  const secrets = await store(dir, s.exec).unseal();
  t.same(names(s.calls), ['tpm2_createprimary', 'flush-t', 'flush-s', 'tpm2_load', 'flush-t', 'flush-s', 'tpm2_unseal', 'flush-t', 'flush-s']);
  t.same(s.calls[0]!.args.slice(0, 6), ['-C', 'o', '-g', 'sha256', '-G', 'ecc256:aes128cfb'], 'the owner-hierarchy primary, recreated from its template');
  t.match(s.calls[3]!.args, ['-C', /primary\.ctx$/, '-u', join(dir, 'seal.pub'), '-r', join(dir, 'seal.priv'), '-c', /seal\.ctx$/]);
  t.match(s.calls[6]!.args, ['-c', /seal\.ctx$/, '-p', `pcr:${PCRS}`]);
  t.ok(s.calls.every((c) => c.tcti === SWTPM), 'the TCTI reaches every tool');
  t.same(secrets.signingKey, SIGNING);
  t.same(secrets.sealingKey, SEALING);
  t.equal(secrets.tls.kind, 'tpm2');
  t.equal(new TextDecoder().decode(secrets.tls.pem), TSS2);
  t.ok(s.outputs[6]!.every((b) => b === 0), "tpm2_unseal's stdout is zeroized once decoded");
  t.ok(s.calls.every((c) => !c.args.some((a) => a.includes('5a5a') || a.includes('ZZZZ'))), 'no secret in argv');
  secrets.dispose();
  t.ok([secrets.signingKey, secrets.sealingKey, secrets.tls.pem].every((b) => b.every((x) => x === 0)), 'dispose zeroizes');
  t.match(store(dir, s.exec).describe(), /TPM swtpm:.* sealed object in .* \(PCR policy sha256:0,1,2,3,7\)/);
});

void t.test('behind a resource manager nothing is flushed', async (t) => {
  t.notOk(tctiNeedsFlush('tabrmd:bus_type=system'));
  t.notOk(tctiNeedsFlush('device:/dev/tpmrm0'));
  t.ok(tctiNeedsFlush('device:/dev/tpm0'));
  t.ok(tctiNeedsFlush(SWTPM));
  const dir = storeDir(t);
  const s = scripted((c) => (c.file === 'tpm2_unseal' ? { stdout: unsealed() } : undefined));
  (await store(dir, s.exec, 'tabrmd:bus_type=session').unseal()).dispose();
  t.same(names(s.calls), ['tpm2_createprimary', 'tpm2_load', 'tpm2_unseal']);
});

void t.test('a changed PCR: the policy check fails → UNSEAL_FAILED, and the TPM is still flushed', async (t) => {
  const dir = storeDir(t);
  const s = scripted((c) => (c.file === 'tpm2_unseal' ? fail('WARNING:esys:src/tss2-esys/api/Esys_Unseal.c:295:Esys_Unseal_Finish() Received TPM Error\nERROR: Esys_Unseal(0x99D) - tpm:session(1):a policy check failed\nERROR: Unable to run tpm2_unseal\n') : undefined));
  await t.rejects(store(dir, s.exec).unseal(), {
    name: 'KeyStoreError',
    code: 'UNSEAL_FAILED',
    message: `UNSEAL_FAILED: the TPM refused to unseal ${join(dir, 'seal.priv')} (PCR policy ${PCRS}: the boot state changed since it was sealed)`,
  });
  t.same(names(s.calls).slice(-3), ['tpm2_unseal', 'flush-t', 'flush-s']);
});

void t.test('the other failures: another TPM, no TPM, no tools, another PCR selection, missing or bad files', async (t) => {
  const dir = storeDir(t);
  const load = scripted((c) => (c.file === 'tpm2_load' ? fail('ERROR: Esys_Load(0x1DF) - tpm:parameter(1):integrity check failed\n') : undefined));
  await t.rejects(store(dir, load.exec).unseal(), { code: 'UNSEAL_FAILED', message: /cannot load the sealed object .*TPM_RC 0x1df.*another TPM/ });

  const noTpm = scripted(() => fail('ERROR:tcti:src/tss2-tcti/tctildr.c:428:Tss2_TctiLdr_Initialize_Ex() Failed to instantiate TCTI\nERROR: Could not load tcti, got: "swtpm:host=127.0.0.1,port=2321"\n'));
  await t.rejects(store(dir, noTpm.exec).unseal(), { code: 'TPM_UNAVAILABLE', message: /no TPM answered at TCTI swtpm:host=127\.0\.0\.1,port=2321 \(tpm2_createprimary\)/ });
  t.same(names(noTpm.calls), ['tpm2_createprimary'], 'nothing to flush when no TPM answered');

  const noTools = scripted(() => ({ code: 127 }));
  await t.rejects(store(dir, noTools.exec).unseal(), { code: 'TPM_UNAVAILABLE', message: /tpm2_createprimary is not installed \(Debian package tpm2-tools\)/ });

  const other = scripted((c) => (c.file === 'tpm2_unseal' ? fail('ERROR: Esys_Unseal(0x98E) - tpm:session(1):the authorization HMAC check failed\n') : undefined));
  await t.rejects(store(dir, other.exec).unseal(), { code: 'TOOL_FAILED', message: /cannot unseal .*TPM_RC 0x98e/ });

  const none = scripted();
  await t.rejects(store(dir, none.exec, SWTPM, 'sha256:0,7').unseal(), { code: 'INVALID', message: /sealed to PCRs sha256:0,1,2,3,7, but the config says sha256:0,7/ });
  t.same(none.calls, [], 'refused before any tool runs');

  const withTls = scripted((c) => (c.file === 'tpm2_unseal' ? { stdout: encodeSecretBundle({ signingKey: SIGNING, sealingKey: SEALING, tls: { kind: 'tpm2', pem: enc(TSS2) } }) } : undefined));
  await t.rejects(store(dir, withTls.exec).unseal(), { code: 'INVALID', message: /unsealed.*where none belongs/ });

  const empty = t.testdir({ pcrs: PCRS, 'tls.tss2.pem': TSS2 });
  await t.rejects(store(empty, scripted().exec).unseal(), { code: 'MISSING', message: /seal\.pub: no such file/ });
});

void t.test('sealing: the bundle on stdin only, the PCR policy, the TLS key from the provider, files 0600; EXISTS; bad settings', async (t) => {
  const dir = join(t.testdir({}), 'tpm');
  const s = scripted(async (c) => {
    const arg = (flag: string): string => c.args[c.args.indexOf(flag) + 1]!;
    if (c.file === 'tpm2_create') {
      await writeFile(arg('-u'), 'PUB');
      await writeFile(arg('-r'), 'PRIV');
    }
    if (c.file === 'openssl' && c.args[0] === 'genpkey') await writeFile(arg('-out'), TSS2);
    if (c.file === 'openssl' && c.args[0] === 'req') return { stdout: enc(CSR) };
    return undefined;
  });
  const o = { dir, tcti: SWTPM, pcrs: PCRS, kioskId: 'kiosk-1', exec: s.exec, env: {}, logger: memoryLogger() };
  const r = await sealIntoTpm({ signingKey: SIGNING, sealingKey: SEALING }, o);
  t.equal(r.csr, CSR);
  t.same(
    names(s.calls).filter((n) => !n.startsWith('flush')),
    ['tpm2_createprimary', 'tpm2_createpolicy', 'tpm2_create', 'openssl', 'openssl'],
  );
  t.match(s.calls.find((c) => c.file === 'tpm2_createpolicy')!.args, ['--policy-pcr', '-l', PCRS, '-L', /policy\.digest$/]);
  const create = s.calls.find((c) => c.file === 'tpm2_create')!;
  t.match(create.args, ['-C', /primary\.ctx$/, '-L', /policy\.digest$/, '-a', 'fixedtpm|fixedparent|adminwithpolicy|noda', '-i', '-']);
  t.same(create.input, encodeSecretBundle({ signingKey: SIGNING, sealingKey: SEALING }), 'the keys go in on stdin');
  t.ok(s.calls.every((c) => c.args.every((a) => !a.includes('ZZ'))), 'never in argv');
  const genpkey = s.calls.find((c) => c.args[0] === 'genpkey')!;
  t.match(genpkey.args, ['genpkey', '-provider', 'tpm2', '-provider', 'default', '-algorithm', 'EC', '-pkeyopt', 'group:P-256', '-out', /tls\.tss2\.pem$/]);
  t.equal(genpkey.tcti, SWTPM, 'the provider gets the TCTI (TPM2OPENSSL_TCTI)');
  for (const [f, content] of [['seal.pub', 'PUB'], ['seal.priv', 'PRIV'], ['tls.tss2.pem', TSS2], ['tls.csr', CSR], ['pcrs', `${PCRS}\n`]] as const) {
    t.equal(await readFile(join(dir, f), 'utf8'), content, f);
    t.equal((await stat(join(dir, f))).mode & 0o777, 0o600, `${f} 0600`);
  }
  t.same(SIGNING, new Uint8Array(32).fill(0x5a), "the caller's keys are left to the caller");
  await t.rejects(sealIntoTpm({ signingKey: SIGNING, sealingKey: SEALING }, o), { code: 'EXISTS', message: /seal\.pub already exists/ });
  await t.resolves(sealIntoTpm({ signingKey: SIGNING, sealingKey: SEALING }, { ...o, overwrite: true }), 're-sealing with overwrite');
  await t.rejects(sealIntoTpm({ signingKey: SIGNING, sealingKey: SEALING }, { ...o, tcti: 'http://x' }), { code: 'INVALID' });
  await t.rejects(sealIntoTpm({ signingKey: SIGNING, sealingKey: SEALING }, { ...o, pcrs: 'sha256:0,24' }), { code: 'INVALID', message: /0\.\.23/ });
  const noProvider = scripted((c) => (c.file === 'openssl' ? fail('genpkey: unable to load provider tpm2\n') : undefined));
  await t.rejects(sealIntoTpm({ signingKey: SIGNING, sealingKey: SEALING }, { ...o, dir: join(dir, 'b'), exec: noProvider.exec }), { code: 'TPM_UNAVAILABLE', message: /tpm2 OpenSSL provider did not load/ });
});
