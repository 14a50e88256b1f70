/** Typed errors of the center, mapped to wire refusals, exit codes or HTTP in one place per boundary. */
export type CenterErrorCode =
  | 'CONFIG_INVALID'
  | 'KEYS_INVALID'
  | 'APPLICATION_INVALID'
  | 'APPLICATION_EXISTS'
  | 'KIOSK_INVALID'
  | 'KIOSK_EXISTS'
  | 'KIOSK_UNKNOWN'
  /** The kiosk already had the status asked for: nothing changed, nothing audited. */
  | 'KIOSK_UNCHANGED'
  | 'READER_INVALID'
  | 'READER_UNKNOWN'
  | 'JOB_CONFLICT'
  | 'JOB_MOVE_INVALID'
  | 'OPERATOR_INVALID'
  | 'OPERATOR_EXISTS'
  | 'OPERATOR_UNKNOWN'
  | 'DATA_INTEGRITY';

export class CenterError extends Error {
  override readonly name = 'CenterError';
  constructor(
    readonly code: CenterErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isCenterError(e: unknown, code?: CenterErrorCode): e is CenterError {
  return e instanceof CenterError && (code === undefined || e.code === code);
}
