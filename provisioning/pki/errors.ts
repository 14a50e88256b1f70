/** Typed errors of the PKI tools (docs/pki.md). Messages name files and IDs, never key material. */
export type PkiErrorCode =
  /** The directory already holds a PKI, or a file of the layout (a kiosk's) already exists. */
  | 'EXISTS'
  /** No PKI where one was expected (no CA certificate or key). */
  | 'NOT_FOUND'
  /** A kiosk ID outside the ID pattern, or reserved for a service certificate. */
  | 'INVALID_ID'
  /** The same kiosk ID twice. */
  | 'DUPLICATE_ID'
  /** A parameter out of range (days, names, addresses). */
  | 'INVALID_ARGUMENT'
  /** A CA certificate and key that do not belong together, or a certificate that is no CA. */
  | 'CA_INVALID'
  /**
   * A file of the CA's state (revoked.json, a CRL) that is malformed, not
   * signed by its CA, or contradicts what was signed before (an entry of the
   * published CRL missing from revoked.json, a cRLNumber going back): refused,
   * never repaired silently.
   */
  | 'STATE_INVALID'
  /** Another writer holds the CA's lock (revoked.json.lock) past the wait: retry later. */
  | 'BUSY';

export class PkiError extends Error {
  override readonly name = 'PkiError';
  constructor(
    readonly code: PkiErrorCode,
    message: string,
  ) {
    super(message);
  }
}
