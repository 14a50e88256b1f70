/**
 * Errors of the PC/SC driver that are not a CardTransport's or a station's:
 * the service is not there, a reader name is not one pcsc-lite would give.
 * Card calls reject with TransportError and station moves with
 * StationError, as their contracts say.
 */
export type PcscErrorCode = 'NO_SERVICE' | 'NO_READER' | 'READER_NAME_INVALID' | 'CLOSED';

export class PcscError extends Error {
  override readonly name = 'PcscError';
  constructor(
    readonly code: PcscErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isPcscError(e: unknown, code?: PcscErrorCode): e is PcscError {
  return e instanceof PcscError && (code === undefined || e.code === code);
}
