/**
 * The enrolment endpoint's refusals (docs/provisioning.md §2). Each code
 * has one HTTP status, mapped here and nowhere else; the kiosk gets
 * `{ error: code, message }`. A refused token is one answer whatever the
 * reason (`token-refused`): the precise reason (`TokenRefusal`) travels in
 * the error for the audit log only. Messages never carry a token, a key or
 * the request.
 */
export const ENROL_ERROR_STATUS = {
  /** The body is not the request's JSON shape (the message names the field). */
  'body-invalid': 400,
  /** The certificate request is not a P-256 PKCS#10 request for CN = the kiosk, signed by its key. */
  'csr-invalid': 400,
  /** The proof is not the signing key's signature over the enrolment string. */
  'proof-invalid': 400,
  /** Unknown, expired, used, or bound to another kiosk. */
  'token-refused': 401,
  'not-found': 404,
  'method-not-allowed': 405,
  /** A kiosk with this ID is already registered. */
  'kiosk-exists': 409,
  'too-large': 413,
  'unsupported-media-type': 415,
  /** Too many requests from this address in the current window. */
  'rate-limited': 429,
  internal: 500,
} as const;

export type EnrolErrorCode = keyof typeof ENROL_ERROR_STATUS;

/** Why a token was refused (audit log only). */
export type TokenRefusal = 'unknown' | 'expired' | 'used' | 'other-kiosk';

export class EnrolError extends Error {
  override readonly name = 'EnrolError';
  readonly status: number;
  constructor(
    readonly code: EnrolErrorCode,
    message: string,
    /** The precise reason of a `token-refused` (never sent to the client). */
    readonly reason?: TokenRefusal,
  ) {
    super(message);
    this.status = ENROL_ERROR_STATUS[code];
  }
}

export function isEnrolError(e: unknown, code?: EnrolErrorCode): e is EnrolError {
  return e instanceof EnrolError && (code === undefined || e.code === code);
}
