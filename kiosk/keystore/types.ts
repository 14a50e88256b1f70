/**
 * The kiosk's black box (DESIGN §1 "cipher decoding means + key information
 * database, put into a black box", §4): where the kiosk's secrets live at
 * rest, and how they come into memory — once, at start.
 *
 * Two implementations (docs/keystore.md):
 * - `tpm`: the signing and sealing keys are sealed to PCRs in a TPM 2.0
 *   (tpm2-tools) and unsealed into memory only at start; the TLS key never
 *   leaves the TPM (the `tpm2` OpenSSL provider; the key file is a TSS2
 *   blob only that TPM can load).
 * - `sealed-file`: all three keys in one file, XChaCha20-Poly1305 under a
 *   key derived by scrypt from a machine secret. Weaker: whoever reads both
 *   the file and the machine secret has the keys.
 *
 * Secrets exist as bytes only (Uint8Array), never as JavaScript strings,
 * which cannot be wiped. `dispose()` overwrites every secret buffer.
 */

/** How the kiosk's TLS private key reaches OpenSSL. */
export type TlsKeyMaterial =
  /** A PEM private key (PKCS#8), as bytes: handed to tls.createSecureContext, then zeroized. */
  | { readonly kind: 'pem'; readonly pem: Uint8Array }
  /**
   * A TSS2 PRIVATE KEY PEM: the key wrapped by the TPM's storage key, useless
   * without that TPM. Loads only in a process started with the tpm2 OpenSSL
   * provider (`node --openssl-config=…`, docs/keystore.md).
   */
  | { readonly kind: 'tpm2'; readonly pem: Uint8Array };

/** The kiosk's secrets, in memory. */
export interface KioskSecrets {
  /** Ed25519 secret (32 bytes): signs what the kiosk sends. */
  readonly signingKey: Uint8Array;
  /** X25519 secret (32 bytes): opens sealed-mode packages (wire/package.ts). */
  readonly sealingKey: Uint8Array;
  readonly tls: TlsKeyMaterial;
  /** Overwrites every buffer above with zeros. Idempotent. */
  dispose(): void;
}

export type KeyStoreKind = 'tpm' | 'sealed-file';

export interface KioskKeyStore {
  readonly kind: KeyStoreKind;
  /**
   * Unseals the secrets into memory. Throws KeyStoreError: `UNSEAL_FAILED`
   * (the TPM refused: a PCR changed, another TPM, a wrong machine secret, a
   * tampered file), `MISSING` (no store at the path), `INVALID` (a store
   * that does not parse), `TPM_UNAVAILABLE` (no TPM answered). Messages name
   * the store and the reason, never a secret.
   */
  unseal(): Promise<KioskSecrets>;
  /** A one-line description for logs and `--help`-style output (no secrets). */
  describe(): string;
}

export type KeyStoreErrorCode = 'UNSEAL_FAILED' | 'MISSING' | 'INVALID' | 'TPM_UNAVAILABLE' | 'EXISTS' | 'TOOL_FAILED';

export class KeyStoreError extends Error {
  override readonly name = 'KeyStoreError';
  constructor(
    readonly code: KeyStoreErrorCode,
    message: string,
  ) {
    // The code leads the message, as in KioskError: cli/run.ts prints the message only.
    super(`${code}: ${message}`);
  }
}

export function isKeyStoreError(e: unknown, code?: KeyStoreErrorCode): e is KeyStoreError {
  return e instanceof KeyStoreError && (code === undefined || e.code === code);
}
