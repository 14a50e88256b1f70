/**
 * Command and response APDUs: ISO 7816-4 §5.1 (command-response pairs),
 * short and extended length, cases 1 to 4.
 *
 *   case 1   CLA INS P1 P2
 *   case 2S  CLA INS P1 P2 Le                    (Le 00 means Ne = 256)
 *   case 3S  CLA INS P1 P2 Lc data               (Lc 01..FF)
 *   case 4S  CLA INS P1 P2 Lc data Le
 *   case 2E  CLA INS P1 P2 00 Le1 Le2            (0000 means Ne = 65536)
 *   case 3E  CLA INS P1 P2 00 Lc1 Lc2 data       (Lc 0001..FFFF)
 *   case 4E  CLA INS P1 P2 00 Lc1 Lc2 data Le1 Le2
 */
import { CardError } from './errors.js';

export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  /** Command data field (Nc = data.length); empty for cases 1 and 2. */
  readonly data: Uint8Array;
  /** Ne, the maximum number of response bytes expected; undefined when absent (cases 1 and 3). */
  readonly ne?: number | undefined;
}

export interface ParsedCommandApdu extends CommandApdu {
  readonly case: 1 | 2 | 3 | 4;
  readonly extended: boolean;
}

export interface ResponseApdu {
  readonly data: Uint8Array;
  readonly sw: number;
}

export const MAX_SHORT_NC = 255;
export const MAX_SHORT_NE = 256;
export const MAX_EXTENDED_NC = 65535;
export const MAX_EXTENDED_NE = 65536;

/** Builds a command APDU value, checking header bytes and lengths. */
export function command(
  cla: number,
  ins: number,
  p1: number,
  p2: number,
  data: Uint8Array = new Uint8Array(0),
  ne?: number,
): CommandApdu {
  const c = { cla, ins, p1, p2, data, ne };
  checkCommand(c);
  return c;
}

/** Header bytes in 00..FF, Nc <= 65535, Ne in 1..65536 when present. */
function checkCommand(c: CommandApdu): void {
  for (const [name, v] of [['CLA', c.cla], ['INS', c.ins], ['P1', c.p1], ['P2', c.p2]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new CardError('APDU_MALFORMED', `${name} out of range: ${v}`);
  }
  if (c.data.length > MAX_EXTENDED_NC) throw new CardError('APDU_MALFORMED', `Nc ${c.data.length} exceeds ${MAX_EXTENDED_NC}`);
  const ne = c.ne;
  if (ne !== undefined && (!Number.isInteger(ne) || ne < 1 || ne > MAX_EXTENDED_NE)) {
    throw new CardError('APDU_MALFORMED', `Ne out of range: ${ne}`);
  }
}

/**
 * Encodes a command APDU. Short form unless the lengths need extended form
 * or `extended` is forced (ISO 7816-4 §5.1: both Lc and Le take the same form).
 * Checks the value again, since a CommandApdu may be a literal that never went
 * through command(): out-of-range fields would otherwise be truncated silently.
 */
export function encodeCommand(c: CommandApdu, opts: { extended?: boolean } = {}): Uint8Array {
  checkCommand(c);
  const nc = c.data.length;
  const ne = c.ne;
  const extended = opts.extended === true || nc > MAX_SHORT_NC || (ne !== undefined && ne > MAX_SHORT_NE);
  // Ne 256 (short) and 65536 (extended) are encoded as all-zero Le.
  const lc = nc === 0 ? [] : extended ? [0, nc >>> 8, nc & 0xff] : [nc];
  const le = ne === undefined ? [] : extended ? [...(nc === 0 ? [0] : []), (ne >>> 8) & 0xff, ne & 0xff] : [ne & 0xff];
  // Built with set(), not push(...data): spreading 65535 arguments can overflow the stack.
  const out = new Uint8Array(4 + lc.length + nc + le.length);
  out.set([c.cla, c.ins, c.p1, c.p2], 0);
  out.set(lc, 4);
  out.set(c.data, 4 + lc.length);
  out.set(le, 4 + lc.length + nc);
  return out;
}

/**
 * Parses a command APDU. Throws CardError `APDU_MALFORMED` (a card answers
 * 6700 wrong length) when the body fits none of the cases.
 */
export function parseCommand(bytes: Uint8Array): ParsedCommandApdu {
  const n = bytes.length;
  if (n < 4) throw new CardError('APDU_MALFORMED', `command shorter than a header (${n} bytes)`);
  const [cla, ins, p1, p2] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  const head = { cla, ins, p1, p2 };
  const empty = new Uint8Array(0);
  if (n === 4) return { ...head, data: empty, ne: undefined, case: 1, extended: false };
  const b4 = bytes[4]!;
  if (n === 5) return { ...head, data: empty, ne: b4 === 0 ? MAX_SHORT_NE : b4, case: 2, extended: false };
  if (b4 !== 0) {
    // Short Lc.
    const nc = b4;
    if (n === 5 + nc) return { ...head, data: bytes.slice(5, 5 + nc), ne: undefined, case: 3, extended: false };
    if (n === 6 + nc) {
      const le = bytes[5 + nc]!;
      return { ...head, data: bytes.slice(5, 5 + nc), ne: le === 0 ? MAX_SHORT_NE : le, case: 4, extended: false };
    }
    throw new CardError('APDU_MALFORMED', `short Lc ${nc} does not match body of ${n - 5} bytes`);
  }
  // b4 = 00 with more bytes: extended length.
  if (n === 7) {
    const le = (bytes[5]! << 8) | bytes[6]!;
    return { ...head, data: empty, ne: le === 0 ? MAX_EXTENDED_NE : le, case: 2, extended: true };
  }
  if (n < 7) throw new CardError('APDU_MALFORMED', `truncated extended length field (${n} bytes)`);
  const nc = (bytes[5]! << 8) | bytes[6]!;
  if (nc === 0) throw new CardError('APDU_MALFORMED', 'extended Lc of 0000');
  if (n === 7 + nc) return { ...head, data: bytes.slice(7, 7 + nc), ne: undefined, case: 3, extended: true };
  if (n === 9 + nc) {
    const le = (bytes[7 + nc]! << 8) | bytes[8 + nc]!;
    return { ...head, data: bytes.slice(7, 7 + nc), ne: le === 0 ? MAX_EXTENDED_NE : le, case: 4, extended: true };
  }
  throw new CardError('APDU_MALFORMED', `extended Lc ${nc} does not match body of ${n - 7} bytes`);
}

export function encodeResponse(r: ResponseApdu): Uint8Array {
  if (!Number.isInteger(r.sw) || r.sw < 0 || r.sw > 0xffff) throw new CardError('RESPONSE_MALFORMED', `SW out of range: ${r.sw}`);
  const out = new Uint8Array(r.data.length + 2);
  out.set(r.data, 0);
  out[r.data.length] = r.sw >>> 8;
  out[r.data.length + 1] = r.sw & 0xff;
  return out;
}

/** Splits a response APDU into data and SW. Throws `RESPONSE_MALFORMED` if shorter than 2 bytes. */
export function parseResponse(bytes: Uint8Array): ResponseApdu {
  if (bytes.length < 2) throw new CardError('RESPONSE_MALFORMED', `response of ${bytes.length} bytes has no status word`);
  const n = bytes.length;
  return { data: bytes.slice(0, n - 2), sw: (bytes[n - 2]! << 8) | bytes[n - 1]! };
}
