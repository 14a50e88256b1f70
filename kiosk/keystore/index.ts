/**
 * The kiosk's key store (docs/keystore.md): `openKeyStore` from the
 * config's `keyStore` key, and the sealing side used by `cardline keystore
 * seal` and the development PKI.
 */
import { join } from 'node:path';
import type { Logger } from '../../common/log.js';
import type { KeyStoreConfig } from '../config.js';
import { nodeExec, type Exec } from './exec.js';
import { SealedFileStore } from './sealed-file.js';
import { TpmStore } from './tpm.js';
import type { KioskKeyStore } from './types.js';

export { openDevKioskSecrets, sealDevKiosk, type DevKioskSecrets, type DevKioskStoreFiles } from './dev-store.js';
export { DEV_SCRYPT, PRODUCTION_SCRYPT, type ScryptParams } from './sealed-file-format.js';
export { readMachineSecret, SealedFileStore, sealIntoFile, type SealIntoFileOptions } from './sealed-file.js';
export { buildSecureContext } from './tls-context.js';
export { TpmStore } from './tpm.js';
export { sealIntoTpm, type SealIntoTpmOptions, type SealedIntoTpm } from './tpm-seal.js';
export { nodeExec, type Exec, type ExecResult } from './exec.js';
export * from './types.js';
export { keyMatchesCertificate, openPendingKeys, pendingSealedFile, type HeldKeys, type PendingKeys, type PendingKeysDeps } from './pending.js';
export { exists as fileExists, renameDurably, removeIfPresent, syncDirectory } from './pending-files.js';
export { wipeKeyStore, wipeTargets, type WipeConfig, type WipeReport, type WipeTarget } from './wipe.js';
export type { ZeroedHook } from './wipe-file.js';

/** The sealed file's name in the identity directory, and the TPM store's directory. */
export const SEALED_FILE_NAME = 'keys.sealed';
export const TPM_DIR_NAME = 'tpm';

export interface KeyStoreDeps {
  logger: Logger;
  /** Runs tpm2-tools (default node:child_process). */
  exec?: Exec;
  /** The tools' environment (default process.env: PATH, DBUS_SESSION_BUS_ADDRESS). */
  env?: NodeJS.ProcessEnv;
}

/** The store the config names, with its defaults resolved against the identity directory. Does not touch it yet. */
export function openKeyStore(config: { identityDir: string; keyStore: KeyStoreConfig }, deps: KeyStoreDeps): KioskKeyStore {
  const k = config.keyStore;
  if (k.kind === 'sealed-file') {
    return new SealedFileStore({ file: k.file ?? join(config.identityDir, SEALED_FILE_NAME), machineSecretFile: k.machineSecretFile });
  }
  return new TpmStore({
    dir: k.dir ?? join(config.identityDir, TPM_DIR_NAME),
    tcti: k.tcti,
    pcrs: k.pcrs,
    exec: deps.exec ?? nodeExec,
    env: deps.env ?? process.env,
    logger: deps.logger.child('keystore'),
  });
}
