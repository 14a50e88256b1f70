/**
 * Typed errors of the kiosk room. Every error has a stable `code`; the CLI
 * maps codes to exit codes in one place (cli/run.ts). Messages name keys,
 * files and reason codes only: never a one-time code, a key or card data.
 */

export type KioskErrorCode =
  /** The config (CLI options, environment) fails its schema; the message names the key. */
  | 'CONFIG_INVALID'
  /** A file of the identity directory is missing, unreadable or malformed. */
  | 'IDENTITY_INVALID'
  /** The certificate's CN is not the configured kiosk ID. */
  | 'IDENTITY_MISMATCH'
  /** The center refused this kiosk (S310): issuance is not possible here. */
  | 'REFUSED'
  /** The station's reader failed authentication (DESIGN §3 step 2). */
  | 'READER_REFUSED'
  /** The MQTT link is down: nothing can be sent now. */
  | 'LINK_DOWN'
  /** The agent was stopped. */
  | 'STOPPED'
  /** A customer input (application ID, code) is not well formed. */
  | 'REQUEST_INVALID';

export class KioskError extends Error {
  override readonly name = 'KioskError';
  constructor(
    readonly code: KioskErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isKioskError(e: unknown, code?: KioskErrorCode): e is KioskError {
  return e instanceof KioskError && (code === undefined || e.code === code);
}
