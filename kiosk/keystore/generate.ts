/**
 * New keys born in the kiosk's key store, for enrolment (docs/provisioning.md
 * §2 step 2): the Ed25519 signing key and the X25519 sealing key (32 random
 * bytes each), and the P-256 TLS key with its certificate request (CN = the
 * kiosk ID).
 *
 * - `sealed-file`: the TLS key is made in software (software-tls.ts), and all
 *   three are sealed at once into the store file (sealed-file.ts);
 * - `tpm`: the two keys are sealed to the PCR policy and the TLS key is
 *   created IN the TPM (tpm-seal.ts, tpm-tls.ts): it never exists outside.
 *
 * The private keys exist in this process only between their birth and the
 * sealing, and are zeroized then; `sign` is handed the signing key in that
 * window (the enrolment proof). Nothing that already exists is overwritten
 * (KeyStoreError EXISTS), and `removeGeneratedStore` removes exactly what
 * was written, for an enrolment that fails later.
 */
import { access, mkdir, rm, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '../../common/log.js';
import { ed25519PublicKey } from '../../wire/keys.js';
import { sealingPublicKey } from '../../wire/package.js';
import type { KeyStoreConfig } from '../config.js';
import type { Exec } from './exec.js';
import { PRODUCTION_SCRYPT, type ScryptParams } from './sealed-file-format.js';
import { sealIntoFile } from './sealed-file.js';
import { newSoftwareTlsKey } from './software-tls.js';
import { tpmStoreFiles } from './tpm-layout.js';
import { sealIntoTpm } from './tpm-seal.js';
import { KeyStoreError } from './types.js';

/** Default names in the identity directory (as kiosk/keystore/index.ts `openKeyStore` resolves them). */
const SEALED_FILE_NAME = 'keys.sealed';
const TPM_DIR_NAME = 'tpm';

export interface GenerateOptions {
  kioskId: string;
  identityDir: string;
  keyStore: KeyStoreConfig;
  random: (n: number) => Uint8Array;
  /** sealed-file: default PRODUCTION_SCRYPT. */
  scrypt?: ScryptParams;
  exec: Exec;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

/** What is signed while the signing key is in memory: given the key (not to be kept), the CSR and the sealing public key. */
export type SignWhileBorn = (signingKey: Uint8Array, csr: string, sealingPublicKey: Uint8Array) => Uint8Array;

export interface GeneratedStore {
  kind: KeyStoreConfig['kind'];
  /** The TLS key's certificate request (PEM, public). */
  csr: string;
  signingPublicKey: Uint8Array;
  sealingPublicKey: Uint8Array;
  /** What `sign` returned. */
  signature: Uint8Array;
  /** Where the store is (the file, or the TPM directory). */
  location: string;
  /** Files written and directories created, for removal. */
  readonly files: readonly string[];
  readonly dirs: readonly string[];
}

/** Where the configured store would be; whether anything of it is there already. */
export async function storeExists(identityDir: string, k: KeyStoreConfig): Promise<string | undefined> {
  let paths: string[];
  if (k.kind === 'sealed-file') paths = [k.file ?? join(identityDir, SEALED_FILE_NAME)];
  else {
    const f = tpmStoreFiles(k.dir ?? join(identityDir, TPM_DIR_NAME));
    paths = [f.pub, f.priv, f.pcrs, f.tlsKey, f.csr, f.nextTlsKey];
  }
  for (const p of paths) if (await exists(p)) return p;
  return undefined;
}

export async function generateKeysInStore(o: GenerateOptions, sign: SignWhileBorn): Promise<GeneratedStore> {
  const held = await storeExists(o.identityDir, o.keyStore);
  if (held !== undefined) throw new KeyStoreError('EXISTS', `${held} already exists: this kiosk already has a key store`);
  const signingKey = o.random(32);
  const sealingKey = o.random(32);
  try {
    if (signingKey.length !== 32 || sealingKey.length !== 32) throw new RangeError('random source output must be 32 bytes');
    const signingPublicKey = ed25519PublicKey(signingKey);
    const sealingPub = sealingPublicKey(sealingKey);
    const k = o.keyStore;
    if (k.kind === 'sealed-file') {
      const file = k.file ?? join(o.identityDir, SEALED_FILE_NAME);
      const tls = await newSoftwareTlsKey(o.kioskId);
      try {
        await sealIntoFile({ signingKey, sealingKey, tls: { kind: 'pem', pem: tls.pkcs8Pem } }, { file, machineSecretFile: k.machineSecretFile, scrypt: o.scrypt ?? PRODUCTION_SCRYPT, random: o.random });
      } finally {
        tls.pkcs8Pem.fill(0);
      }
      const signature = sign(signingKey, tls.csr, sealingPub);
      o.logger.info('keys generated in the sealed file', { store: file });
      return { kind: 'sealed-file', csr: tls.csr, signingPublicKey, sealingPublicKey: sealingPub, signature, location: file, files: [file], dirs: [] };
    }
    const dir = k.dir ?? join(o.identityDir, TPM_DIR_NAME);
    const dirs = (await exists(dir)) ? [] : [dir];
    try {
      const sealed = await sealIntoTpm({ signingKey, sealingKey }, { dir, tcti: k.tcti, pcrs: k.pcrs, kioskId: o.kioskId, exec: o.exec, env: o.env, logger: o.logger });
      const signature = sign(signingKey, sealed.csr, sealingPub);
      const f = sealed.files;
      return { kind: 'tpm', csr: sealed.csr, signingPublicKey, sealingPublicKey: sealingPub, signature, location: dir, files: [f.pub, f.priv, f.tlsKey, f.csr, f.pcrs], dirs };
    } catch (e) {
      // A directory this call made holds nothing else.
      if (dirs.length > 0) await rm(dir, { recursive: true, force: true });
      throw e;
    }
  } finally {
    signingKey.fill(0);
    sealingKey.fill(0);
  }
}

/**
 * Removes the store made by generateKeysInStore. Its objects exist only in
 * these files (the TPM keeps nothing persistent: the sealed object and the
 * TLS key are wrapped blobs), so removing them is removing the keys.
 */
export async function removeGeneratedStore(g: Pick<GeneratedStore, 'files' | 'dirs'>): Promise<void> {
  for (const f of g.files) await unlink(f).catch(() => undefined);
  for (const d of [...g.dirs].reverse()) await rmdir(d).catch(() => undefined);
}

/** mkdir -p with mode 0700; resolves with the directories it created (outermost first), for removal. */
export async function makeDirs(dir: string): Promise<string[]> {
  const target = resolve(dir);
  const first = await mkdir(target, { recursive: true, mode: 0o700 });
  if (first === undefined) return [];
  const made: string[] = [];
  for (let d = target; d.startsWith(first); d = dirname(d)) {
    made.unshift(d);
    if (d === first || d === dirname(d)) break;
  }
  return made;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
