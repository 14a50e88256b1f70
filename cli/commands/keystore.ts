/**
 * `cardline keystore seal` and `cardline keystore check`: putting a kiosk's
 * keys into its key store, and checking that the store opens as the kiosk
 * would open it (docs/keystore.md). Only public keys and paths are printed.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeKeyFile, writePemFile } from '../../common/key-files.js';
import { decodeKeyStoreConfig } from '../../kiosk/config.js';
import { openKeyStore, sealIntoFile, sealIntoTpm, SEALED_FILE_NAME, TPM_DIR_NAME, nodeExec, type Exec } from '../../kiosk/keystore/index.js';
import { KeyStoreError } from '../../kiosk/keystore/types.js';
import { certifyKioskCsr } from '../../provisioning/pki/csr.js';
import { ed25519PublicKey } from '../../wire/keys.js';
import { sealingPublicKey } from '../../wire/package.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { cryptoRandom } from '../random.js';
import { checkTlsMatches, gatherMaterial } from './keystore-material.js';
import { keyStoreOf, keyStoreOptions } from './keystore-options.js';

export interface KeystoreDeps {
  /** Runs tpm2-tools and openssl (default node:child_process). */
  exec?: Exec;
  random?: (n: number) => Uint8Array;
}

const { 'key-store': _kind, ...storeFlags } = keyStoreOptions;
const common = {
  identity: { type: 'string', arg: 'DIR', description: "The kiosk's identity directory (required)" },
  kind: { type: 'string', arg: 'KIND', description: 'sealed-file (default) or tpm' },
  ...storeFlags,
  json: { type: 'boolean', description: 'Print the summary as JSON' },
} as const;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const str = (opts: ParsedOptions, name: string): string | undefined => (typeof opts[name] === 'string' ? opts[name] : undefined);

function identityOf(opts: ParsedOptions): string {
  const dir = str(opts, 'identity');
  if (dir === undefined) throw new UsageError('--identity is required');
  return dir;
}

function print(ctx: CommandContext, opts: ParsedOptions, summary: Record<string, unknown>): void {
  const lines = Object.entries(summary).map(([k, v]) => `${k.padEnd(18)} ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  ctx.out(opts.json === true ? `${JSON.stringify(summary, null, 2)}\n` : `${lines.join('\n')}\n`);
}

export function makeKeystoreCheckCommand(deps: KeystoreDeps = {}): Command {
  return {
    path: ['keystore', 'check'],
    summary: "Unseal a kiosk's key store as the kiosk would, and report its kind and public keys",
    usage: 'keystore check --identity DIR [--kind sealed-file|tpm] [--machine-secret FILE] [--tpm-tcti TCTI] [--json]',
    description: `
Opens the store the flags name (the same flags as 'cardline kiosk', --kind
for --key-store), unseals it into memory, prints its kind, the public keys
of the signing and sealing keys and whether the TLS key is the key of
<identity>/tls.crt, and wipes the secrets. A TSS2 (TPM) TLS key is checked
only in a process started with the tpm2 OpenSSL provider (docs/keystore.md).

Exit codes: 0 the store unseals (and its TLS key matches), 1 it does not
(the reason printed: UNSEAL_FAILED, MISSING, INVALID, TPM_UNAVAILABLE), 2 usage.`,
    options: common,
    run: async (ctx, opts) => {
      const identityDir = identityOf(opts);
      const store = openKeyStore({ identityDir, keyStore: decodeKeyStoreConfig(keyStoreOf(opts, 'kind')) }, { logger: ctx.logger, ...(deps.exec ? { exec: deps.exec } : {}), env: ctx.env });
      const secrets = await store.unseal();
      try {
        const matches = await checkTlsMatches(secrets.tls, join(identityDir, 'tls.crt'));
        print(ctx, opts, {
          kind: store.kind,
          store: store.describe(),
          signingPublicKey: hex(ed25519PublicKey(secrets.signingKey)),
          sealingPublicKey: hex(sealingPublicKey(secrets.sealingKey)),
          tlsKey: secrets.tls.kind,
          tlsMatchesCert: matches ?? 'not checked',
        });
        if (matches === false) throw new KeyStoreError('INVALID', `the store's TLS key is not the key of ${join(identityDir, 'tls.crt')}`);
        return 0;
      } finally {
        secrets.dispose();
      }
    },
  };
}

export function makeKeystoreSealCommand(deps: KeystoreDeps = {}): Command {
  return {
    path: ['keystore', 'seal'],
    summary: "Seal a kiosk's keys into its key store (a sealed file, or the TPM)",
    usage: 'keystore seal --identity DIR --kind sealed-file|tpm [--from-key-file F --from-machine-secret F | --tls-key F --signing-key F --sealing-key F] […] [--json]',
    description: `
Puts the kiosk's signing (Ed25519) and sealing (X25519) keys — and its TLS
key — into a key store, and writes signing.pub and sealing.pub (public,
for 'center kiosks add') into the identity directory. The keys come from
an existing sealed file (--from-key-file with --from-machine-secret: to move
a kiosk to the TPM or to rotate its machine secret), from files
(--signing-key, --sealing-key: 32 bytes hex; --tls-key: PKCS#8 PEM), or are
generated when not given.

--kind sealed-file: <identity>/keys.sealed (--key-file), XChaCha20-Poly1305
under scrypt(the machine secret --machine-secret, default
/etc/cardline/machine-secret, which must exist: 16..4096 bytes, mode 0600),
N = 2^--scrypt-log-n (default 17). Needs the TLS key.

--kind tpm: the two keys sealed to the PCR policy --tpm-pcrs (default
sha256:0,1,2,3,7, the PCR values of now: seal in the boot state the kiosk
will run in) under the TPM at --tpm-tcti, in --tpm-dir (default
<identity>/tpm); a new TLS key created IN the TPM (tpm2 OpenSSL provider)
and its certificate request written to <tpm-dir>/tls.csr, CN = --id (default
the CN of <identity>/tls.crt). --sign-with-pki DIR signs it at once with a
development CA and writes <identity>/tls.crt (dev only).

--overwrite replaces an existing store. Exit codes: 0 sealed, 1 failed (the
reason printed), 2 usage.`,
    options: {
      ...common,
      id: { type: 'string', arg: 'ID', description: "tpm: the kiosk ID for the TLS key's request (default: tls.crt's CN)" },
      'from-key-file': { type: 'string', arg: 'FILE', description: 'Take the keys from this sealed file' },
      'from-machine-secret': { type: 'string', arg: 'FILE', description: 'The machine secret of --from-key-file' },
      'tls-key': { type: 'string', arg: 'FILE', description: 'sealed-file: the TLS key, PKCS#8 PEM' },
      'signing-key': { type: 'string', arg: 'FILE', description: 'The Ed25519 signing key, 32 bytes hex (default: generated)' },
      'sealing-key': { type: 'string', arg: 'FILE', description: 'The X25519 sealing key, 32 bytes hex (default: generated)' },
      'scrypt-log-n': { type: 'string', arg: 'N', description: 'sealed-file: scrypt cost log2(N), 14..22 (default 17)' },
      'sign-with-pki': { type: 'string', arg: 'DIR', description: 'tpm: certify the TLS key with the development CA in DIR' },
      days: { type: 'string', arg: 'N', description: 'With --sign-with-pki: certificate validity in days (default 90)' },
      overwrite: { type: 'boolean', description: 'Replace an existing store' },
    },
    run: (ctx, opts) => runSeal(ctx, opts, deps),
  };
}

async function runSeal(ctx: CommandContext, opts: ParsedOptions, deps: KeystoreDeps): Promise<number> {
  const identityDir = identityOf(opts);
  const config = decodeKeyStoreConfig(keyStoreOf(opts, 'kind'));
  const random = deps.random ?? cryptoRandom;
  const logN = str(opts, 'scrypt-log-n');
  if (logN !== undefined && (config.kind !== 'sealed-file' || !/^(1[4-9]|2[0-2])$/.test(logN))) throw new UsageError('--scrypt-log-n is 14..22, for --kind sealed-file');
  if (config.kind === 'sealed-file' && (str(opts, 'sign-with-pki') ?? str(opts, 'id')) !== undefined) throw new UsageError('--sign-with-pki and --id are for --kind tpm');
  if (config.kind === 'tpm' && str(opts, 'tls-key') !== undefined) throw new UsageError('--tls-key is for --kind sealed-file: a TPM store creates its TLS key in the TPM');
  const m = await gatherMaterial(opts, random);
  try {
    const overwrite = opts.overwrite === true;
    let summary: Record<string, unknown>;
    if (config.kind === 'sealed-file') {
      if (!m.tls) throw new UsageError('--kind sealed-file needs the TLS key: --tls-key FILE or --from-key-file');
      if ((await checkTlsMatches(m.tls, join(identityDir, 'tls.crt'))) === false) throw new KeyStoreError('INVALID', `the TLS key is not the key of ${join(identityDir, 'tls.crt')}`);
      const file = config.file ?? join(identityDir, SEALED_FILE_NAME);
      const scrypt = { logN: logN !== undefined ? Number(logN) : 17, r: 8, p: 1 };
      await sealIntoFile({ signingKey: m.signingKey, sealingKey: m.sealingKey, tls: m.tls }, { file, machineSecretFile: config.machineSecretFile, scrypt, overwrite, random });
      summary = { kind: 'sealed-file', store: file, machineSecret: config.machineSecretFile, scrypt };
    } else {
      const dir = config.dir ?? join(identityDir, TPM_DIR_NAME);
      const kioskId = str(opts, 'id') ?? (await certCn(join(identityDir, 'tls.crt')));
      const sealed = await sealIntoTpm(m, { dir, tcti: config.tcti, pcrs: config.pcrs, kioskId, exec: deps.exec ?? nodeExec, env: ctx.env, logger: ctx.logger, overwrite });
      summary = { kind: 'tpm', dir, tcti: config.tcti, pcrs: config.pcrs, tlsKey: sealed.files.tlsKey, csr: sealed.files.csr };
      const pki = str(opts, 'sign-with-pki');
      if (pki !== undefined) {
        const days = str(opts, 'days');
        if (days !== undefined && !/^[0-9]{1,4}$/.test(days)) throw new UsageError('--days must be a number of days');
        const cert = await certifyKioskCsr(pki, sealed.csr, { kioskId, days: days !== undefined ? Number(days) : 90, random, clock: ctx.clock });
        await writePemFile(join(identityDir, 'tls.crt'), cert, { secret: false, overwrite: true });
        summary.certificate = join(identityDir, 'tls.crt');
      }
    }
    const signingPub = ed25519PublicKey(m.signingKey);
    const sealingPub = sealingPublicKey(m.sealingKey);
    await writeKeyFile(join(identityDir, 'signing.pub'), signingPub, { secret: false, overwrite: true });
    await writeKeyFile(join(identityDir, 'sealing.pub'), sealingPub, { secret: false, overwrite: true });
    print(ctx, opts, { ...summary, signingPublicKey: hex(signingPub), sealingPublicKey: hex(sealingPub), keys: { ...m.source, ...(config.kind === 'tpm' ? { tls: 'created in the TPM' } : {}) } });
    return 0;
  } finally {
    m.wipe();
  }
}

async function certCn(file: string): Promise<string> {
  try {
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(await readFile(file)).subject)?.[1];
    if (cn !== undefined) return cn;
  } catch {
    // Reported below.
  }
  throw new UsageError(`--id is required: no certificate with a CN at ${file}`);
}

export const keystoreCheckCommand = makeKeystoreCheckCommand();
export const keystoreSealCommand = makeKeystoreSealCommand();
