/**
 * The pending key of the TPM store (pending.ts): a new P-256 key made in
 * the TPM by the tpm2 OpenSSL provider (tpm-tls.ts, as at sealing), kept
 * as `tls.next.tss2.pem` beside `tls.tss2.pem` until the swap. The sealed
 * object (signing and sealing keys) is not touched: the TPM unseals the
 * same one after the swap.
 *
 * The TSS2 file is the key wrapped by this TPM's storage key: useless
 * anywhere else, but treated as a secret all the same (mode 0600, its
 * bytes zeroized after use, zero-filled before unlink).
 */
import type { Logger } from '../../common/log.js';
import type { Exec } from './exec.js';
import { exists, removeIfPresent, replaceAndZeroOld } from './pending-files.js';
import type { PendingKeys } from './pending.js';
import { MAX_PEM_BYTES } from './secret-bundle.js';
import { readStoreFile, writeStoreFile } from './store-files.js';
import { withWorkDir } from './tpm.js';
import { tpmStoreFiles, type TpmStoreFiles } from './tpm-layout.js';
import { createTpmTlsKey } from './tpm-tls.js';
import { Tpm2Tools } from './tpm2-tools.js';
import type { TlsKeyMaterial } from './types.js';
import { zeroAndUnlink } from './wipe-file.js';

export interface TpmPendingOptions {
  dir: string;
  tcti: string;
  exec: Exec;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  workDir?: string;
}

export class TpmPendingKeys implements PendingKeys {
  readonly kind = 'tpm';
  readonly #o: TpmPendingOptions;
  readonly #files: TpmStoreFiles;

  constructor(o: TpmPendingOptions) {
    this.#o = o;
    this.#files = tpmStoreFiles(o.dir);
  }

  describe(): string {
    // A path (tpm-layout.ts names the key files after their keys).
    const pendingFile = this.#files.nextTlsKey;
    return `TPM-held key ${pendingFile}`;
  }

  async create(kioskId: string): Promise<{ csr: string }> {
    await this.discard();
    return withWorkDir(this.#o.workDir, async (work) => {
      const made = await createTpmTlsKey({ exec: this.#o.exec, tcti: this.#o.tcti, env: this.#o.env, kioskId, work });
      try {
        // Without a resource manager the provider's transient objects stay loaded (DESIGN §8).
        await new Tpm2Tools(this.#o).flush();
        await writeStoreFile(this.#files.nextTlsKey, made.tss2, { overwrite: false, what: 'the pending TPM-held TLS key' });
      } finally {
        made.tss2.fill(0);
      }
      return { csr: made.csr };
    });
  }

  exists(): Promise<boolean> {
    return exists(this.#files.nextTlsKey);
  }

  pendingTls(): Promise<TlsKeyMaterial> {
    return this.#read(this.#files.nextTlsKey, 'the pending TPM-held TLS key');
  }

  currentTls(): Promise<TlsKeyMaterial> {
    return this.#read(this.#files.tlsKey, 'the TPM-held TLS key');
  }

  async promote(): Promise<void> {
    await replaceAndZeroOld(this.#files.nextTlsKey, this.#files.tlsKey);
    // The request of the superseded key is stale: the new one went to the center.
    await removeIfPresent(this.#files.csr);
  }

  async discard(): Promise<void> {
    await zeroAndUnlink(this.#files.nextTlsKey);
  }

  async #read(path: string, what: string): Promise<TlsKeyMaterial> {
    // As TpmStore reads it: the blob is wrapped by the TPM, not a secret on its own.
    const bytes = await readStoreFile(path, { secret: false, min: 32, max: MAX_PEM_BYTES, what });
    return { kind: 'tpm2', pem: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
  }
}
