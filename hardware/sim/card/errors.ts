/**
 * Typed errors of the simulated card itself (not of the APDUs it answers:
 * a bad APDU gets a status word, never an exception).
 *
 * - `SimCardError` covers the simulator's own failures: a corrupt or
 *   unreadable EEPROM image, an invalid profile, a call while unpowered.
 * - `SimPowerCutError` is the tearing hook firing: the card lost power in
 *   the middle of a command (see power-cut.ts). Transports match it by
 *   `name` (hardware/sim/card-endpoint.ts `isPowerCut`).
 *
 * Messages carry no card data or keys: paths, lengths and codes only.
 */

export type SimCardErrorCode =
  /** The image file is not JSON, is truncated, or its fields do not decode. */
  | 'IMAGE_CORRUPT'
  /** The image decodes but its checksum does not match its body (bit rot, a hand edit). */
  | 'IMAGE_CHECKSUM'
  /** The image has another format name or a version this simulator does not read. */
  | 'IMAGE_VERSION'
  /** The image could not be read or written (permissions, disk full). */
  | 'IMAGE_IO'
  /** A profile option is out of range (ATR, AID, serial, keys, i, life cycle). */
  | 'PROFILE_INVALID'
  /** An argument to a simulator method is out of range (e.g. setPowerCut). */
  | 'ARGUMENT_INVALID'
  /** transmit() while the card is unpowered: a real card does not answer. */
  | 'NOT_POWERED'
  /** transmit() while another transmit is pending: a card is half-duplex. */
  | 'BUSY'
  /** The power-cut hook fired (SimPowerCutError). */
  | 'POWER_CUT';

export class SimCardError extends Error {
  override readonly name: string = 'SimCardError';
  constructor(
    readonly code: SimCardErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isSimCardError(e: unknown, code?: SimCardErrorCode): e is SimCardError {
  return e instanceof SimCardError && (code === undefined || e.code === code);
}

/** Where in a command the power failed. */
export type PowerCutPhase = 'before-commit' | 'after-commit';

/**
 * The card lost power during a command. `committed` says whether that
 * command's writes reached the EEPROM image (after-commit) or were lost
 * (before-commit, or a command cut while its bytes were still arriving).
 */
export class SimPowerCutError extends SimCardError {
  override readonly name = 'SimPowerCutError';
  constructor(
    readonly committed: boolean,
    readonly apduIndex: number,
    detail: string,
  ) {
    super('POWER_CUT', `power cut at APDU #${apduIndex} (${detail}); ${committed ? 'command committed' : 'command not committed'}`);
  }
}

export function isSimPowerCutError(e: unknown): e is SimPowerCutError {
  return e instanceof SimPowerCutError;
}
