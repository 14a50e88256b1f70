/** Typed errors of the audit log (STYLE: a stable `code`, messages without entry content). */
export type AuditErrorCode =
  /** An entry the log refuses: bad kind, too many detail keys, a value too long or nested. */
  | 'INVALID_ENTRY'
  /** A signing or public key of the wrong length or form. */
  | 'INVALID_KEY'
  /** Stored log state that cannot be decoded (e.g. a frontier of the wrong length). */
  | 'CORRUPT_STATE';

export class AuditError extends Error {
  override readonly name = 'AuditError';
  constructor(
    readonly code: AuditErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
