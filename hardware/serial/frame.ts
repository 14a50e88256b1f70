/**
 * Frame codec of the serial dispenser protocol (docs/serial-dispenser.md):
 *
 *   STX | LEN (2, big-endian) | SEQ | CMD | PM | DATA (LEN-3) | ETX | BCC
 *   02                                                          03
 *
 * LEN counts SEQ ‖ CMD ‖ PM ‖ DATA. BCC is the XOR of every byte from STX
 * through ETX, as in the CRT-571 family. SEQ (our addition to the common
 * layout) lets the device recognize a retransmitted command, so a command
 * whose ACK was lost is answered again instead of moving a card twice.
 *
 * In a command frame PM is the parameter; in a response frame SEQ and CMD
 * echo the command and PM is the result code (dispenser-protocol.ts).
 */
export const STX = 0x02;
export const ETX = 0x03;
export const ENQ = 0x05;
export const ACK = 0x06;
export const NAK = 0x15;

/** Largest DATA: a short APDU (5 + 255 + 1) and its response fit with room to spare. */
export const MAX_DATA = 512;
/** STX + LEN(2) + SEQ + CMD + PM + ETX + BCC. */
export const FRAME_OVERHEAD = 8;
export const MAX_FRAME = FRAME_OVERHEAD + MAX_DATA;

export interface Frame {
  seq: number;
  cmd: number;
  /** Parameter (command) or result code (response). */
  pm: number;
  data: Uint8Array;
}

export function bcc(bytes: Uint8Array, from: number, to: number): number {
  let x = 0;
  for (let i = from; i < to; i++) x ^= bytes[i]!;
  return x;
}

/** Encodes one frame; RangeError on a byte out of range or DATA over MAX_DATA (a programming error). */
export function encodeFrame(f: Frame): Uint8Array {
  for (const [k, v] of [['seq', f.seq], ['cmd', f.cmd], ['pm', f.pm]] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${k} must be a byte`);
  }
  if (f.data.length > MAX_DATA) throw new RangeError(`data is ${f.data.length} bytes; at most ${MAX_DATA}`);
  const len = 3 + f.data.length;
  const out = new Uint8Array(FRAME_OVERHEAD + f.data.length);
  out.set([STX, len >> 8, len & 0xff, f.seq, f.cmd, f.pm]);
  out.set(f.data, 6);
  out[6 + f.data.length] = ETX;
  out[7 + f.data.length] = bcc(out, 0, 7 + f.data.length);
  return out;
}

export type DecodeResult =
  | { kind: 'frame'; frame: Frame; size: number }
  /** Not enough bytes yet for the frame that starts here. */
  | { kind: 'partial' }
  /** No frame starts here (no STX, LEN out of range, ETX not where LEN says). */
  | { kind: 'invalid' }
  /** A well-formed frame whose BCC does not match: the receiver NAKs (device) or ENQs (host). */
  | { kind: 'corrupt'; size: number };

/** Tries to decode one frame at `at` of `buf`. Never throws. */
export function decodeFrame(buf: Uint8Array, at = 0): DecodeResult {
  if (buf.length - at < 1) return { kind: 'partial' };
  if (buf[at] !== STX) return { kind: 'invalid' };
  if (buf.length - at < 3) return { kind: 'partial' };
  const len = (buf[at + 1]! << 8) | buf[at + 2]!;
  if (len < 3 || len > 3 + MAX_DATA) return { kind: 'invalid' };
  const size = len + 5;
  if (buf.length - at < size) return { kind: 'partial' };
  if (buf[at + size - 2] !== ETX) return { kind: 'invalid' };
  if (bcc(buf, at, at + size - 1) !== buf[at + size - 1]) return { kind: 'corrupt', size };
  const frame = { seq: buf[at + 3]!, cmd: buf[at + 4]!, pm: buf[at + 5]!, data: buf.slice(at + 6, at + size - 2) };
  return { kind: 'frame', frame, size };
}
