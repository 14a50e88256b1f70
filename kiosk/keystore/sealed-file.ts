/**
 * The `sealed-file` key store (docs/keystore.md): all three of the kiosk's
 * keys in one file (sealed-file-format.ts), encrypted under a key that
 * scrypt derives from a machine secret kept in another file.
 *
 * Weaker than the TPM, and said so: whoever can read both files (root on
 * the kiosk, a copied SD card holding both) has the keys, on any machine.
 * What it does buy: the store alone — a backup, a copied identity
 * directory — is useless, and nothing secret lies in plain text on disk.
 *
 * The machine secret is any file of 16..4096 bytes, used byte for byte as
 * the scrypt password (a trailing newline counts), a regular file private
 * to its owner (mode 0600 or 0400).
 */
import { decodeSecretBundle, encodeSecretBundle } from './secret-bundle.js';
import { openBytes, PRODUCTION_SCRYPT, sealBytes, type ScryptParams } from './sealed-file-format.js';
import { ownedSecrets } from './secrets.js';
import { readStoreFile, writeStoreFile } from './store-files.js';
import { KeyStoreError, type KioskKeyStore, type KioskSecrets, type TlsKeyMaterial } from './types.js';

export const MACHINE_SECRET_MIN = 16;
export const MACHINE_SECRET_MAX = 4096;
/** A sealed bundle is < 17 KiB (MAX_PEM_BYTES + keys + header). */
const MAX_STORE_BYTES = 32 * 1024;

export interface SealedFileLocation {
  /** The sealed store, e.g. `<identityDir>/keys.sealed`. */
  file: string;
  /** The machine secret, e.g. `/etc/cardline/machine-secret`. */
  machineSecretFile: string;
}

export class SealedFileStore implements KioskKeyStore {
  readonly kind = 'sealed-file';

  constructor(private readonly at: SealedFileLocation) {}

  describe(): string {
    return `sealed file ${this.at.file} (machine secret ${this.at.machineSecretFile})`;
  }

  async unseal(): Promise<KioskSecrets> {
    const sealed = await readStoreFile(this.at.file, { secret: true, min: 1, max: MAX_STORE_BYTES, what: 'the sealed key store' });
    const secret = await readMachineSecret(this.at.machineSecretFile);
    let plain: Uint8Array | undefined;
    try {
      plain = await openBytes(sealed, secret, this.at.file, this.at.machineSecretFile);
      const b = decodeSecretBundle(plain, true, this.at.file);
      return ownedSecrets(b.signingKey, b.sealingKey, b.tls!);
    } finally {
      secret.fill(0);
      plain?.fill(0);
    }
  }
}

export async function readMachineSecret(path: string): Promise<Buffer> {
  return readStoreFile(path, { secret: true, min: MACHINE_SECRET_MIN, max: MACHINE_SECRET_MAX, what: 'the machine secret' });
}

export interface SealIntoFileOptions extends SealedFileLocation {
  /** Default PRODUCTION_SCRYPT (N = 2^17). */
  scrypt?: ScryptParams;
  /** Replace an existing store (rotation); default: refuse (EXISTS). */
  overwrite?: boolean;
  random: (n: number) => Uint8Array;
}

/** The secrets to seal; they stay the caller's to zeroize. */
export interface SecretsToSeal {
  signingKey: Uint8Array;
  sealingKey: Uint8Array;
  tls: TlsKeyMaterial;
}

/** Seals the three keys into `file` under the machine secret in `machineSecretFile` (which must exist). */
export async function sealIntoFile(secrets: SecretsToSeal, o: SealIntoFileOptions): Promise<void> {
  if (secrets.tls.kind !== 'pem') throw new KeyStoreError('INVALID', 'a sealed file holds a PEM TLS key; a TSS2 key belongs to the tpm store');
  const bundle = encodeSecretBundle(secrets);
  let secret: Buffer | undefined;
  try {
    secret = await readMachineSecret(o.machineSecretFile);
    const sealed = await sealBytes(bundle, secret, o.scrypt ?? PRODUCTION_SCRYPT, o.random);
    await writeStoreFile(o.file, sealed, { overwrite: o.overwrite === true, what: 'the sealed key store' });
  } finally {
    bundle.fill(0);
    secret?.fill(0);
  }
}
