/**
 * The enrolment client's errors (docs/provisioning.md §2, §7). The CLI maps
 * them to exit codes in one place: UNREACHABLE and BUSY are "retry later"
 * (3), everything else a refusal or failure (1). A refusal by the center
 * carries the center's code (`token-refused`, `kiosk-exists`, …) as
 * `centerCode`. Messages never carry the token or a key.
 *
 * Only REFUSED is the center's definite "no" to the request: after any
 * other failure once the request was sent, the center may have enrolled
 * the kiosk, and enrol.ts keeps the keys for the same request again.
 */
export type EnrolClientErrorCode =
  /** The identity directory already holds a key store or a certificate. */
  | 'EXISTS'
  /** The token file is missing, open to group or others, or not a token. */
  | 'TOKEN_FILE_INVALID'
  /** --center or the kiosk ID are not usable (`cardline kiosk enrol` checks them first: a usage error, exit 2). */
  | 'OPTION_INVALID'
  /** No answer: the endpoint is down, the address wrong, the network away. */
  | 'UNREACHABLE'
  /** The center is busy (429) or failed (5xx): retry later. */
  | 'BUSY'
  /** The server's certificate does not chain to --ca or does not name the host. */
  | 'CENTER_UNTRUSTED'
  /** The center refused the enrolment (4xx): `centerCode` says why. */
  | 'REFUSED'
  /** The answer does not hold what it must (the certificate, the registry, the keys). */
  | 'ANSWER_INVALID'
  /** The checked answer could not be written into the identity directory. */
  | 'WRITE_FAILED';

export class EnrolClientError extends Error {
  override readonly name = 'EnrolClientError';
  constructor(
    readonly code: EnrolClientErrorCode,
    /** The message without the code. */
    readonly detail: string,
    readonly centerCode?: string,
  ) {
    super(`${centerCode ?? code}: ${detail}`);
  }
}

export function isEnrolClientError(e: unknown, code?: EnrolClientErrorCode): e is EnrolClientError {
  return e instanceof EnrolClientError && (code === undefined || e.code === code);
}
