/**
 * The pending TLS key of a certificate renewal (docs/provisioning.md §3,
 * docs/keystore.md "Renewal"): made in the kiosk's key store next to the
 * current key, used for nothing until its certificate has come and the swap
 * renames it over the current one. The signing and sealing keys do not
 * change: only the TLS key is renewed.
 *
 * - sealed file: a second sealed file `keys.next.sealed` beside
 *   `keys.sealed` (same machine secret, same scrypt parameters) holding the
 *   same signing and sealing keys and the new TLS key (pending-sealed.ts);
 * - TPM: the new key is made in the TPM like the first one and kept as
 *   `tpm/tls.next.tss2.pem` (pending-tpm.ts).
 *
 * Nothing here logs or returns key material, except `pendingTls` and
 * `currentTls`, whose bytes the caller zeroizes (buildSecureContext does).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../../common/log.js';
import type { KeyStoreConfig } from '../config.js';
import { nodeExec, type Exec } from './exec.js';
import { SealedPendingKeys } from './pending-sealed.js';
import { TpmPendingKeys } from './pending-tpm.js';
import { KeyStoreError, type KeyStoreKind, type TlsKeyMaterial } from './types.js';

/** The signing and sealing keys the agent holds in memory (the caller's to zeroize). */
export interface HeldKeys {
  readonly signingKey: Uint8Array;
  readonly sealingKey: Uint8Array;
}

export interface PendingKeys {
  readonly kind: KeyStoreKind;
  /** Where the pending key lives, for logs (a path, never a key). */
  describe(): string;
  /**
   * Makes a new P-256 TLS key as the pending key (a stale pending key is
   * wiped first) and resolves with its PKCS#10 request for CN = `kioskId`
   * (public). `held`: the keys that go into the pending sealed file.
   */
  create(kioskId: string, held: HeldKeys): Promise<{ csr: string }>;
  /** Whether a pending key is on disk. */
  exists(): Promise<boolean>;
  /**
   * The pending key as TLS material (bytes the caller zeroizes). The
   * sealed file is unsealed for it, and refused (INVALID) unless it holds
   * the `held` keys when given.
   */
  pendingTls(held?: HeldKeys): Promise<TlsKeyMaterial>;
  /** The current key as TLS material (for the checks of recover.ts; the caller zeroizes). */
  currentTls(): Promise<TlsKeyMaterial>;
  /** Renames the pending key over the current one (atomic, directory fsync'd) and zeroes the old one's bytes. */
  promote(): Promise<void>;
  /** Removes the pending key, zero-filled first; nothing when there is none. */
  discard(): Promise<void>;
}

export interface PendingKeysDeps {
  logger: Logger;
  random: (n: number) => Uint8Array;
  exec?: Exec;
  env?: NodeJS.ProcessEnv;
  /** Scratch directory of the TPM tools (default os.tmpdir()). */
  workDir?: string;
}

/** `keys.sealed` → `keys.next.sealed` (`x` → `x.next`): in the same directory, so that the swap is one rename. */
export function pendingSealedFile(file: string): string {
  const name = basename(file);
  return join(dirname(file), name.endsWith('.sealed') ? `${name.slice(0, -'.sealed'.length)}.next.sealed` : `${name}.next`);
}

/** The sealed file's path the config names (default `<identityDir>/keys.sealed`). */
export function sealedFileOf(config: { identityDir: string; keyStore: KeyStoreConfig }): string {
  return config.keyStore.kind === 'sealed-file' ? (config.keyStore.file ?? join(config.identityDir, 'keys.sealed')) : join(config.identityDir, 'keys.sealed');
}

/** The TPM store's directory the config names (default `<identityDir>/tpm`). */
export function tpmDirOf(config: { identityDir: string; keyStore: KeyStoreConfig }): string {
  return config.keyStore.kind === 'tpm' ? (config.keyStore.dir ?? join(config.identityDir, 'tpm')) : join(config.identityDir, 'tpm');
}

/** The pending side of the store the config names. Touches nothing yet. */
export function openPendingKeys(config: { identityDir: string; keyStore: KeyStoreConfig }, deps: PendingKeysDeps): PendingKeys {
  const k = config.keyStore;
  if (k.kind === 'sealed-file') {
    return new SealedPendingKeys({ file: sealedFileOf(config), machineSecretFile: k.machineSecretFile, random: deps.random });
  }
  return new TpmPendingKeys({
    dir: tpmDirOf(config),
    tcti: k.tcti,
    exec: deps.exec ?? nodeExec,
    env: deps.env ?? process.env,
    logger: deps.logger.child('keystore'),
    ...(deps.workDir !== undefined ? { workDir: deps.workDir } : {}),
  });
}

/**
 * Whether the key is the certificate's (X509Certificate.checkPrivateKey).
 * Zeroizes the material. A TSS2 key that this process cannot load (no tpm2
 * provider) is TPM_UNAVAILABLE: undecided, not a mismatch.
 */
export function keyMatchesCertificate(material: TlsKeyMaterial, certificate: string): boolean {
  try {
    let key;
    try {
      key = createPrivateKey({ key: Buffer.from(material.pem.buffer, material.pem.byteOffset, material.pem.byteLength), format: 'pem' });
    } catch {
      if (material.kind === 'tpm2') throw new KeyStoreError('TPM_UNAVAILABLE', 'the TPM-held TLS key cannot be loaded in this process (tpm2 OpenSSL provider)');
      return false;
    }
    try {
      return new X509Certificate(certificate).checkPrivateKey(key);
    } catch {
      return false;
    }
  } finally {
    material.pem.fill(0);
  }
}
