/**
 * Status words (SW1 SW2) with their ISO 7816-4 §5.1.3 and GlobalPlatform
 * (GPC v2.3.1 §11.1.3) meanings, and the typed error a non-success SW becomes.
 */
import { CardError } from './errors.js';

/** Named status words used across Cardline. Card and host side use the same names. */
export const SW = {
  OK: 0x9000,
  WARNING_NO_INFO: 0x6200,
  // ISO 7816-4: wrong length, conditions, security
  WRONG_LENGTH: 0x6700,
  LOGICAL_CHANNEL_NOT_SUPPORTED: 0x6881,
  SECURE_MESSAGING_NOT_SUPPORTED: 0x6882,
  COMMAND_INCOMPATIBLE_FILE: 0x6981,
  SECURITY_STATUS_NOT_SATISFIED: 0x6982,
  AUTH_METHOD_BLOCKED: 0x6983,
  REFERENCE_DATA_NOT_USABLE: 0x6984,
  CONDITIONS_NOT_SATISFIED: 0x6985,
  COMMAND_NOT_ALLOWED_NO_EF: 0x6986,
  SM_DATA_OBJECTS_MISSING: 0x6987,
  SM_DATA_OBJECTS_INCORRECT: 0x6988,
  WRONG_DATA: 0x6a80,
  FUNCTION_NOT_SUPPORTED: 0x6a81,
  FILE_NOT_FOUND: 0x6a82,
  RECORD_NOT_FOUND: 0x6a83,
  NOT_ENOUGH_MEMORY: 0x6a84,
  INCORRECT_P1P2: 0x6a86,
  LC_INCONSISTENT_WITH_P1P2: 0x6a87,
  REFERENCED_DATA_NOT_FOUND: 0x6a88,
  WRONG_P1P2: 0x6b00,
  INS_NOT_SUPPORTED: 0x6d00,
  CLA_NOT_SUPPORTED: 0x6e00,
  NO_PRECISE_DIAGNOSIS: 0x6f00,
  // GP: authentication failed (EXTERNAL AUTHENTICATE), memory failure
  AUTHENTICATION_FAILED: 0x6300,
  MEMORY_FAILURE: 0x6581,
} as const;

const MEANINGS: ReadonlyMap<number, string> = new Map([
  [0x9000, 'success'],
  [0x6200, 'warning: state of non-volatile memory unchanged'],
  [0x6283, 'warning: selected file or application locked'],
  [0x6300, 'authentication of host cryptogram failed'],
  [0x6400, 'execution error: state of non-volatile memory unchanged'],
  [0x6581, 'memory failure'],
  [0x6700, 'wrong length'],
  [0x6881, 'logical channel not supported'],
  [0x6882, 'secure messaging not supported'],
  [0x6981, 'command incompatible with file structure'],
  [0x6982, 'security status not satisfied'],
  [0x6983, 'authentication method blocked'],
  [0x6984, 'referenced data not usable'],
  [0x6985, 'conditions of use not satisfied'],
  [0x6986, 'command not allowed (no current EF)'],
  [0x6987, 'expected secure messaging data objects missing'],
  [0x6988, 'incorrect secure messaging data objects'],
  [0x6a80, 'incorrect values in command data'],
  [0x6a81, 'function not supported'],
  [0x6a82, 'file or application not found'],
  [0x6a83, 'record not found'],
  [0x6a84, 'not enough memory space'],
  [0x6a86, 'incorrect parameters P1-P2'],
  [0x6a87, 'Lc inconsistent with P1-P2'],
  [0x6a88, 'referenced data or key not found'],
  [0x6b00, 'wrong parameters P1-P2'],
  [0x6d00, 'instruction code not supported or invalid'],
  [0x6e00, 'class not supported'],
  [0x6f00, 'no precise diagnosis'],
]);

/** Human meaning of a status word, covering the ranged ones (61xx, 6Cxx, 63Cx). */
export function describeSw(sw: number): string {
  const known = MEANINGS.get(sw);
  if (known !== undefined) return known;
  const sw1 = sw >>> 8;
  const sw2 = sw & 0xff;
  if (sw1 === 0x61) return `${sw2 === 0 ? 256 : sw2} response bytes still available (GET RESPONSE)`;
  if (sw1 === 0x6c) return `wrong Le: exact length is ${sw2 === 0 ? 256 : sw2}`;
  if (sw1 === 0x63 && (sw2 & 0xf0) === 0xc0) return `verification failed, ${sw2 & 0x0f} tries left`;
  if (sw1 === 0x62 || sw1 === 0x63) return 'warning';
  return 'unknown status';
}

/** Success for GP secure messaging: 9000, and the 62xx/63xx warnings (GPC Amd D §6.2.5). */
export function isSuccessOrWarning(sw: number): boolean {
  const sw1 = sw >>> 8;
  return sw === 0x9000 || sw1 === 0x62 || sw1 === 0x63;
}

export function swHex(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * A card answered with a status word other than the one expected.
 * `sw` is the protocol's own code, as in zigbee-herdsman's EzspError.
 */
export class StatusWordError extends CardError {
  override readonly name = 'StatusWordError';
  constructor(
    readonly sw: number,
    context = '',
  ) {
    super('STATUS_WORD', `${context ? `${context}: ` : ''}${swHex(sw)} (${describeSw(sw)})`);
  }
}

/** Throws StatusWordError unless `sw` is 9000. */
export function expectOk(sw: number, context: string): void {
  if (sw !== 0x9000) throw new StatusWordError(sw, context);
}
