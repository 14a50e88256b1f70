/**
 * The Cardline serial dispenser protocol: command codes, parameters, result
 * codes and status bits (docs/serial-dispenser.md is the spec; the framing
 * is in frame.ts). Modelled on common motorized dispensers (CRT-571/591
 * class): ASCII command letters, a parameter byte, a result byte in the
 * response. Pure data and pure mapping; no I/O.
 */

/** Command letters (CMD byte). */
export const CMD = {
  /** Sensors and hopper count. Response DATA: STATUS_LEN bytes (see decodeStatus). */
  STATUS: 0x53, // 'S'
  /** Hopper → IC station. Response DATA: the card's label (ASCII, 0..32 bytes). */
  FEED: 0x46, // 'F'
  /** IC station → gate (to the customer). */
  EJECT: 0x45, // 'E'
  /** IC station → reject bin. */
  CAPTURE: 0x43, // 'C'
  /** IC contacts: PM IC_ON → cold reset, response DATA = ATR; PM IC_OFF → deactivate. */
  IC: 0x49, // 'I'
  /** One APDU: DATA = command APDU, response DATA = response APDU (data ‖ SW1 SW2). */
  APDU: 0x41, // 'A'
  /** PM ID_READ → DATA = device id (ASCII); PM ID_SIGN, DATA = message → DATA = Ed25519 signature (64). */
  IDENTITY: 0x4b, // 'K'
} as const;

export type CommandCode = (typeof CMD)[keyof typeof CMD];
export const COMMAND_CODES: ReadonlySet<number> = new Set(Object.values(CMD));

/** PM values. Commands without a parameter send PM_NONE. */
export const PM_NONE = 0x30; // '0'
export const IC_OFF = 0x30; // '0'
export const IC_ON = 0x31; // '1'
export const ID_READ = 0x30; // '0'
export const ID_SIGN = 0x31; // '1'

/** Result codes: the PM byte of a response frame. */
export const RESULT = {
  OK: 0x00,
  HOPPER_EMPTY: 0x10,
  OCCUPIED: 0x11,
  NO_CARD: 0x12,
  JAM: 0x20,
  CARD_MUTE: 0x30,
  NOT_POWERED: 0x31,
  CARD_IO: 0x32,
  UNKNOWN_COMMAND: 0x40,
  BAD_PARAMETER: 0x41,
  NO_KEY: 0x50,
} as const;

export type ResultCode = (typeof RESULT)[keyof typeof RESULT];

const RESULT_NAMES = new Map<number, string>(Object.entries(RESULT).map(([k, v]) => [v, k]));

/** The result's name for messages and logs ('0x7f' for a code this host does not know). */
export function resultName(code: number): string {
  return RESULT_NAMES.get(code) ?? `0x${code.toString(16).padStart(2, '0')}`;
}

/** Status bits (byte 0 of the STATUS response). */
export const STATUS_BIT = {
  CARD_AT_IC: 0x01,
  CARD_AT_GATE: 0x02,
  JAM: 0x04,
  HOPPER_LOW: 0x08,
  HOPPER_EMPTY: 0x10,
  IC_POWERED: 0x20,
} as const;

/** STATUS response: bits, hopper count (u16 BE; 0xFFFF = the device cannot count). */
export const STATUS_LEN = 3;
export const COUNT_UNKNOWN = 0xffff;

export interface DeviceStatus {
  cardAtIc: boolean;
  cardAtGate: boolean;
  jam: boolean;
  hopper: 'ok' | 'low' | 'empty';
  hopperRemaining: number | undefined;
  icPowered: boolean;
}

export function encodeStatus(s: DeviceStatus): Uint8Array {
  const bits =
    (s.cardAtIc ? STATUS_BIT.CARD_AT_IC : 0) |
    (s.cardAtGate ? STATUS_BIT.CARD_AT_GATE : 0) |
    (s.jam ? STATUS_BIT.JAM : 0) |
    (s.hopper === 'low' ? STATUS_BIT.HOPPER_LOW : 0) |
    (s.hopper === 'empty' ? STATUS_BIT.HOPPER_EMPTY : 0) |
    (s.icPowered ? STATUS_BIT.IC_POWERED : 0);
  const n = s.hopperRemaining === undefined ? COUNT_UNKNOWN : Math.min(s.hopperRemaining, COUNT_UNKNOWN - 1);
  return Uint8Array.of(bits, n >> 8, n & 0xff);
}

/** Decodes a STATUS response's DATA; undefined when it is not STATUS_LEN bytes. */
export function decodeStatus(data: Uint8Array): DeviceStatus | undefined {
  if (data.length !== STATUS_LEN) return undefined;
  const bits = data[0]!;
  const n = (data[1]! << 8) | data[2]!;
  return {
    cardAtIc: (bits & STATUS_BIT.CARD_AT_IC) !== 0,
    cardAtGate: (bits & STATUS_BIT.CARD_AT_GATE) !== 0,
    jam: (bits & STATUS_BIT.JAM) !== 0,
    // Empty wins over low: a device that sets both has no card left.
    hopper: bits & STATUS_BIT.HOPPER_EMPTY ? 'empty' : bits & STATUS_BIT.HOPPER_LOW ? 'low' : 'ok',
    hopperRemaining: n === COUNT_UNKNOWN ? undefined : n,
    icPowered: (bits & STATUS_BIT.IC_POWERED) !== 0,
  };
}
