/**
 * vpcd wire framing (vsmartcard's virtual PC/SC reader, DESIGN §8).
 *
 * Every message, in both directions, is a 2-byte big-endian length followed
 * by that many payload bytes. A 1-byte payload from the reader is a control
 * byte (VPCD_CTRL); any longer payload is a command APDU, and the card
 * answers it with the response APDU in one frame. TCP is a stream: one read
 * can hold several frames (coalesced) or part of one (split), so the parser
 * keeps state across chunks.
 */

/** Control bytes the reader sends as 1-byte payloads. */
export const VPCD_CTRL = {
  /** Power off; no reply. */
  OFF: 0x00,
  /** Power on (cold reset); no reply. */
  ON: 0x01,
  /** Reset (warm); no reply. */
  RESET: 0x02,
  /** Get ATR; the card replies with the ATR as one frame. */
  ATR: 0x04,
} as const;

/** Largest payload the 2-byte length field can carry. */
export const VPCD_MAX_PAYLOAD = 0xffff;

export type VpcdFramingErrorCode = 'FRAME_TOO_LARGE' | 'FRAME_EMPTY' | 'TRUNCATED';

export class VpcdFramingError extends Error {
  override readonly name = 'VpcdFramingError';
  constructor(
    readonly code: VpcdFramingErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isVpcdFramingError(e: unknown, code?: VpcdFramingErrorCode): e is VpcdFramingError {
  return e instanceof VpcdFramingError && (code === undefined || e.code === code);
}

/** Prefixes `payload` with its 2-byte big-endian length. Throws FRAME_EMPTY / FRAME_TOO_LARGE. */
export function encodeVpcdFrame(payload: Uint8Array): Uint8Array {
  if (payload.length === 0) throw new VpcdFramingError('FRAME_EMPTY', 'a vpcd frame carries at least one byte');
  if (payload.length > VPCD_MAX_PAYLOAD) {
    throw new VpcdFramingError('FRAME_TOO_LARGE', `payload of ${payload.length} bytes exceeds ${VPCD_MAX_PAYLOAD}`);
  }
  const out = new Uint8Array(2 + payload.length);
  out[0] = payload.length >>> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, 2);
  return out;
}

export interface VpcdFrameParserOptions {
  /**
   * Largest payload accepted (default and ceiling: 65535). Checked as soon as
   * the length field is read, so an oversized frame is refused before any of
   * it is buffered.
   */
  maxPayload?: number;
}

/**
 * Incremental parser: `push` each chunk as it arrives and get back the whole
 * payloads it completed, in order. After an error the stream is out of step
 * and the parser refuses further input: the caller must drop the connection.
 */
export class VpcdFrameParser {
  private readonly maxPayload: number;
  private buf: Uint8Array = new Uint8Array(0);
  private failed: VpcdFramingError | undefined;

  constructor(opts: VpcdFrameParserOptions = {}) {
    const max = opts.maxPayload ?? VPCD_MAX_PAYLOAD;
    if (!Number.isInteger(max) || max < 1 || max > VPCD_MAX_PAYLOAD) {
      throw new RangeError(`maxPayload must be 1..${VPCD_MAX_PAYLOAD}`);
    }
    this.maxPayload = max;
  }

  /** Bytes received but not yet part of a complete frame. */
  get pending(): number {
    return this.buf.length;
  }

  /** Feeds one chunk; returns the payloads it completed. Throws VpcdFramingError. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failed) throw this.failed;
    this.buf = this.buf.length === 0 ? chunk.slice() : join(this.buf, chunk);
    const frames: Uint8Array[] = [];
    let off = 0;
    while (this.buf.length - off >= 2) {
      const len = (this.buf[off]! << 8) | this.buf[off + 1]!;
      if (len === 0) return this.fail(new VpcdFramingError('FRAME_EMPTY', 'zero-length frame'));
      if (len > this.maxPayload) {
        return this.fail(new VpcdFramingError('FRAME_TOO_LARGE', `frame of ${len} bytes exceeds ${this.maxPayload}`));
      }
      if (this.buf.length - off - 2 < len) break;
      frames.push(this.buf.slice(off + 2, off + 2 + len));
      off += 2 + len;
    }
    this.buf = this.buf.slice(off);
    return frames;
  }

  /** Declares the end of the stream. Throws TRUNCATED if a frame was left half-read. */
  end(): void {
    if (this.failed) return;
    if (this.buf.length > 0) {
      const n = this.buf.length;
      this.buf = new Uint8Array(0);
      throw new VpcdFramingError('TRUNCATED', `stream ended inside a frame (${n} bytes pending)`);
    }
  }

  private fail(e: VpcdFramingError): never {
    this.failed = e;
    this.buf = new Uint8Array(0);
    throw e;
  }
}

function join(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
