/**
 * The pending key of the sealed-file store (pending.ts): `keys.next.sealed`
 * beside `keys.sealed`, sealed under the same machine secret with the
 * current file's scrypt parameters (a production store stays at N = 2^17,
 * a dev store at 2^14), holding the kiosk's signing and sealing keys as
 * they are in memory and a new P-256 TLS key made in software
 * (software-tls.ts). The new key's PEM bytes are zeroized once sealed.
 */
import { timingSafeEqual } from 'node:crypto';
import { parseHeader } from './sealed-file-format.js';
import { SealedFileStore, sealIntoFile } from './sealed-file.js';
import { exists, replaceAndZeroOld } from './pending-files.js';
import type { HeldKeys, PendingKeys } from './pending.js';
import { newSoftwareTlsKey } from './software-tls.js';
import { readStoreFile } from './store-files.js';
import { KeyStoreError, type TlsKeyMaterial } from './types.js';
import { zeroAndUnlink } from './wipe-file.js';
import { pendingSealedFile } from './pending.js';

export interface SealedPendingOptions {
  /** The current store, e.g. `<identityDir>/keys.sealed`. */
  file: string;
  machineSecretFile: string;
  random: (n: number) => Uint8Array;
}

export class SealedPendingKeys implements PendingKeys {
  readonly kind = 'sealed-file';
  readonly #o: SealedPendingOptions;
  readonly #next: string;

  constructor(o: SealedPendingOptions) {
    this.#o = o;
    this.#next = pendingSealedFile(o.file);
  }

  describe(): string {
    return `sealed file ${this.#next}`;
  }

  async create(kioskId: string, held: HeldKeys): Promise<{ csr: string }> {
    // The current file's parameters: reading its header needs no secret.
    const current = await readStoreFile(this.#o.file, { secret: true, min: 1, max: 32 * 1024, what: 'the sealed key store' });
    let scrypt;
    try {
      scrypt = parseHeader(current, this.#o.file).params;
    } finally {
      current.fill(0);
    }
    await this.discard();
    const made = await newSoftwareTlsKey(kioskId);
    try {
      await sealIntoFile(
        { signingKey: held.signingKey, sealingKey: held.sealingKey, tls: { kind: 'pem', pem: made.pkcs8Pem } },
        { file: this.#next, machineSecretFile: this.#o.machineSecretFile, scrypt, random: this.#o.random },
      );
    } finally {
      made.pkcs8Pem.fill(0);
    }
    return { csr: made.csr };
  }

  exists(): Promise<boolean> {
    return exists(this.#next);
  }

  async pendingTls(held?: HeldKeys): Promise<TlsKeyMaterial> {
    const s = await new SealedFileStore({ file: this.#next, machineSecretFile: this.#o.machineSecretFile }).unseal();
    const same = held === undefined || (timingSafeEqual(s.signingKey, held.signingKey) && timingSafeEqual(s.sealingKey, held.sealingKey));
    s.signingKey.fill(0);
    s.sealingKey.fill(0);
    if (!same) {
      s.tls.pem.fill(0);
      throw new KeyStoreError('INVALID', `${this.#next} holds other signing or sealing keys than the running kiosk`);
    }
    return s.tls;
  }

  async currentTls(): Promise<TlsKeyMaterial> {
    const s = await new SealedFileStore({ file: this.#o.file, machineSecretFile: this.#o.machineSecretFile }).unseal();
    s.signingKey.fill(0);
    s.sealingKey.fill(0);
    return s.tls;
  }

  promote(): Promise<void> {
    return replaceAndZeroOld(this.#next, this.#o.file);
  }

  async discard(): Promise<void> {
    await zeroAndUnlink(this.#next);
  }
}
