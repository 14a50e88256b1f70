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
  /**
   * Received bytes not yet part of a returned frame, as the chunks they came
   * in. They are joined once per frame, when it is complete: appending each
   * chunk to one buffer would copy the buffer every time, and a peer
   * trickling a 64 KB frame byte by byte would cost gigabytes of copying.
   */
  private chunks: Uint8Array[] = [];
  private size = 0;
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
    return this.size;
  }

  /** Feeds one chunk; returns the payloads it completed. Throws VpcdFramingError. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failed) throw this.failed;
    if (chunk.length > 0) {
      this.chunks.push(chunk.slice());
      this.size += chunk.length;
    }
    const frames: Uint8Array[] = [];
    while (this.size >= 2) {
      const len = (this.byteAt(0) << 8) | this.byteAt(1);
      if (len === 0) return this.fail(new VpcdFramingError('FRAME_EMPTY', 'zero-length frame'));
      if (len > this.maxPayload) {
        return this.fail(new VpcdFramingError('FRAME_TOO_LARGE', `frame of ${len} bytes exceeds ${this.maxPayload}`));
      }
      if (this.size - 2 < len) break;
      frames.push(this.take(2 + len).subarray(2));
    }
    return frames;
  }

  /** Declares the end of the stream. Throws TRUNCATED if a frame was left half-read. */
  end(): void {
    if (this.failed) return;
    if (this.size > 0) {
      const n = this.size;
      this.clear();
      throw new VpcdFramingError('TRUNCATED', `stream ended inside a frame (${n} bytes pending)`);
    }
  }

  /** The byte at `index` of the pending bytes (index < size). */
  private byteAt(index: number): number {
    let i = index;
    for (const c of this.chunks) {
      if (i < c.length) return c[i]!;
      i -= c.length;
    }
    throw new RangeError(`byte ${index} of ${this.size}`);
  }

  /** Removes and returns the first `n` pending bytes (n <= size), copying each byte once. */
  private take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0]!;
      const k = Math.min(c.length, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.size -= n;
    return out;
  }

  private clear(): void {
    this.chunks = [];
    this.size = 0;
  }

  private fail(e: VpcdFramingError): never {
    this.failed = e;
    this.clear();
    throw e;
  }
}
