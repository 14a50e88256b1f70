/**
 * Why a renewal step failed (docs/provisioning.md §3). The code is what
 * the kiosk sends up in `renew-failed` (wire/fleet-messages.ts: upper-case,
 * ≤ 40 characters) and logs; the message names what was wrong, never a
 * key, and never a certificate or request whole.
 */
export type RenewalErrorCode =
  /** The certificate text does not parse, or is not a leaf. */
  | 'CERT_INVALID'
  /** The leaf is not for the pending key (its public key differs). */
  | 'CERT_WRONG_KEY'
  /** The leaf's subject is not CN = this kiosk's ID. */
  | 'CERT_WRONG_SUBJECT'
  /** The chain does not lead to the kiosk's CA (ca.crt). */
  | 'CERT_UNTRUSTED'
  /** The leaf (or a CA of its chain) has expired. */
  | 'CERT_EXPIRED'
  /** The leaf (or a CA of its chain) is not valid yet. */
  | 'CERT_NOT_YET_VALID'
  /** A certificate came, but no pending key waits for one (after a restart, say). */
  | 'NO_PENDING_KEY'
  /** The certificate could not be written, or the swap failed. */
  | 'WRITE_FAILED';

export class RenewalError extends Error {
  override readonly name = 'RenewalError';
  constructor(
    readonly code: RenewalErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

/** The `renew-failed` code of any error: a RenewalError's, KEYSTORE_<code> for a KeyStoreError, else INTERNAL. */
export function renewFailedCode(e: unknown): string {
  if (e instanceof RenewalError) return e.code;
  const code = (e as { name?: unknown; code?: unknown }).code;
  if ((e as { name?: unknown }).name === 'KeyStoreError' && typeof code === 'string') return `KEYSTORE_${code}`;
  return 'INTERNAL';
}
