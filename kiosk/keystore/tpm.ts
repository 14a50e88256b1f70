/**
 * The `tpm` key store (docs/keystore.md): the kiosk's signing and sealing
 * keys sealed in a TPM 2.0 data object whose policy is the values of a set
 * of PCRs (TCG TPM 2.0 Part 1 §19.7.8 "PolicyPCR"), unsealed into memory
 * once, at start; its TLS key created in the TPM by the tpm2 OpenSSL
 * provider and never out of it (tpm-tls.ts).
 *
 * Unseal: recreate the storage primary (tpm-layout.ts), load the sealed
 * object under it, unseal it with a PCR policy session (tpm2_unseal -p
 * pcr:…). When the boot chain measured into those PCRs changed — other
 * firmware, Secure Boot off, another boot loader — the policy digest no
 * longer matches and the TPM refuses (TPM_RC_POLICY_FAIL): UNSEAL_FAILED.
 * The unsealed bytes come on tpm2_unseal's stdout straight into a buffer
 * (exec.ts), never a string, and are zeroized once decoded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../common/log.js';
import type { Exec } from './exec.js';
import { decodeSecretBundle, MAX_PEM_BYTES } from './secret-bundle.js';
import { ownedSecrets } from './secrets.js';
import { readStoreFile } from './store-files.js';
import { PRIMARY_ARGS, tpmStoreFiles, type TpmStoreFiles } from './tpm-layout.js';
import { rcBase, Tpm2Failure, Tpm2Tools, TPM_RC_PCR_CHANGED, TPM_RC_POLICY_FAIL } from './tpm2-tools.js';
import { KeyStoreError, type KioskKeyStore, type KioskSecrets } from './types.js';

export interface TpmStoreOptions {
  dir: string;
  tcti: string;
  pcrs: string;
  exec: Exec;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Where the tools' context files go for the duration of one operation (default os.tmpdir()). */
  workDir?: string;
}

export class TpmStore implements KioskKeyStore {
  readonly kind = 'tpm';
  readonly #o: TpmStoreOptions;
  readonly #files: TpmStoreFiles;

  constructor(o: TpmStoreOptions) {
    this.#o = o;
    this.#files = tpmStoreFiles(o.dir);
  }

  describe(): string {
    return `TPM ${this.#o.tcti}, sealed object in ${this.#o.dir} (PCR policy ${this.#o.pcrs})`;
  }

  async unseal(): Promise<KioskSecrets> {
    const f = this.#files;
    const sealedTo = await readText(f.pcrs, 'the PCR selection of the TPM store');
    if (sealedTo !== this.#o.pcrs) throw new KeyStoreError('INVALID', `${f.dir} was sealed to PCRs ${sealedTo}, but the config says ${this.#o.pcrs}`);
    const tls = await readStoreFile(f.tlsKey, { secret: false, min: 32, max: MAX_PEM_BYTES, what: 'the TPM-held TLS key' });
    try {
      const plain = await withWorkDir(this.#o.workDir, (work) => this.#unsealBytes(work));
      try {
        const b = decodeSecretBundle(plain, false, `${f.priv} (unsealed)`);
        return ownedSecrets(b.signingKey, b.sealingKey, { kind: 'tpm2', pem: new Uint8Array(tls) });
      } finally {
        plain.fill(0);
      }
    } finally {
      tls.fill(0);
    }
  }

  async #unsealBytes(work: string): Promise<Uint8Array> {
    const f = this.#files;
    for (const [path, what] of [
      [f.pub, 'the sealed object (public part)'],
      [f.priv, 'the sealed object (private part)'],
    ] as const) {
      (await readStoreFile(path, { secret: false, min: 1, max: 4096, what })).fill(0);
    }
    const tools = new Tpm2Tools(this.#o);
    const primary = join(work, 'primary.ctx');
    const sealed = join(work, 'seal.ctx');
    await tools.step('tpm2_createprimary', [...PRIMARY_ARGS, '-c', primary]).catch((e: unknown) => failed(e, 'recreate the storage primary key'));
    await tools.step('tpm2_load', ['-C', primary, '-u', f.pub, '-r', f.priv, '-c', sealed]).catch((e: unknown) => {
      if (e instanceof Tpm2Failure) {
        throw new KeyStoreError('UNSEAL_FAILED', `the TPM cannot load the sealed object in ${f.dir} (${e.message}): it was sealed by another TPM or under another owner seed, or altered`);
      }
      throw e;
    });
    return tools.step('tpm2_unseal', ['-c', sealed, '-p', `pcr:${this.#o.pcrs}`]).catch((e: unknown) => {
      if (e instanceof Tpm2Failure && e.rc !== undefined && [TPM_RC_POLICY_FAIL, TPM_RC_PCR_CHANGED].includes(rcBase(e.rc))) {
        throw new KeyStoreError('UNSEAL_FAILED', `the TPM refused to unseal ${f.priv} (PCR policy ${this.#o.pcrs}: the boot state changed since it was sealed)`);
      }
      return failed(e, `unseal ${f.priv}`);
    });
  }
}

/** A Tpm2Failure that is not one of the expected refusals: TOOL_FAILED with the tool's reason. */
export function failed(e: unknown, doing: string): never {
  if (e instanceof Tpm2Failure) throw new KeyStoreError('TOOL_FAILED', `cannot ${doing}: ${e.message}`);
  throw e;
}

/** A private temporary directory for the tools' context files, removed afterwards. */
export async function withWorkDir<T>(base: string | undefined, f: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(base ?? tmpdir(), 'cardline-tpm-'));
  try {
    return await f(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function readText(path: string, what: string): Promise<string> {
  const raw = await readStoreFile(path, { secret: false, min: 1, max: 256, what });
  return raw.toString('ascii').trim();
}
