/**
 * DispenserError: a failure of the serial card dispenser or of the line to
 * it, carrying the protocol's own result code when the device sent one (as
 * zigbee-herdsman's `EzspError { code: EzspStatus }`, STYLE.md).
 *
 * The CardStation contract's own refusals (HOPPER_EMPTY, OCCUPIED, NO_CARD, JAM)
 * are StationErrors (hardware/station.ts); everything else the device or the
 * line reports is a DispenserError. Protocol: docs/serial-dispenser.md.
 */
export type DispenserErrorCode =
  /** The device refused the command (any result code without a better name). */
  | 'DEVICE'
  /** The device answered NAK to every try of one command (bounded retries). */
  | 'NAK_LIMIT'
  /** No ACK or no response within the step timeouts, after every retry and ENQ. */
  | 'TIMEOUT'
  /** A response that does not fit the command (wrong length, bad status block). */
  | 'PROTOCOL'
  /** The port failed or closed under us. */
  | 'IO'
  /** We closed the dispenser (pending requests) or a call came after close. */
  | 'CLOSED'
  | 'ARGUMENT_INVALID';

export class DispenserError extends Error {
  override readonly name = 'DispenserError';
  constructor(
    readonly code: DispenserErrorCode,
    message: string,
    /** The protocol's result byte (docs/serial-dispenser.md "Result codes"), when the device sent one. */
    readonly status?: number,
  ) {
    super(`${code}: ${message}${status !== undefined ? ` (result 0x${status.toString(16).padStart(2, '0')})` : ''}`);
  }
}

export function isDispenserError(e: unknown, code?: DispenserErrorCode): e is DispenserError {
  return e instanceof DispenserError && (code === undefined || e.code === code);
}
