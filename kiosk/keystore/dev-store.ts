/**
 * The development PKI's kiosk stores (provisioning/pki/dev-pki.ts, docs/pki.md):
 * a sealed file beside a machine secret in the kiosk's directory, scrypt
 * N = 2^14 so that tests stay fast. Dev only: on a real kiosk the machine
 * secret is provisioned outside the identity directory
 * (/etc/cardline/machine-secret) and the store is sealed with N = 2^17, or
 * the keys go into the TPM.
 *
 * provisioning/ may not import kiosk/ (DESIGN §2): `sealDevKiosk` is
 * injected into initDevPki by its callers (the CLI, the tests), and its
 * parameter is structural, so that provisioning's KioskFiles fits it.
 */
import { DEV_SCRYPT } from './sealed-file-format.js';
import { SealedFileStore, sealIntoFile } from './sealed-file.js';
import type { KioskSecrets } from './types.js';

/** The files of a dev kiosk's store (KioskFiles of provisioning/pki/layout.ts has them). */
export interface DevKioskStoreFiles {
  /** `<kiosk dir>/keys.sealed` */
  readonly keyStore: string;
  /** `<kiosk dir>/machine-secret` (dev only) */
  readonly machineSecret: string;
}

/** What the dev PKI generated for a kiosk; the caller zeroizes it. */
export interface DevKioskSecrets {
  readonly signingKey: Uint8Array;
  readonly sealingKey: Uint8Array;
  /** PKCS#8 PEM, as bytes. */
  readonly tlsKeyPem: Uint8Array;
}

/** Seals a dev kiosk's keys under its (already written) machine secret. */
export async function sealDevKiosk(files: DevKioskStoreFiles, s: DevKioskSecrets, random: (n: number) => Uint8Array): Promise<void> {
  await sealIntoFile(
    { signingKey: s.signingKey, sealingKey: s.sealingKey, tls: { kind: 'pem', pem: s.tlsKeyPem } },
    { file: files.keyStore, machineSecretFile: files.machineSecret, scrypt: DEV_SCRYPT, random },
  );
}

/**
 * Unseals a dev kiosk's store: for tests that play the kiosk by hand (a
 * raw MQTT client with its certificate, envelopes signed with its key).
 * The caller disposes the secrets.
 */
export function openDevKioskSecrets(files: DevKioskStoreFiles): Promise<KioskSecrets> {
  return new SealedFileStore({ file: files.keyStore, machineSecretFile: files.machineSecret }).unseal();
}
