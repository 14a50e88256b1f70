/**
 * Byte-stream parser of the serial dispenser protocol: bytes in any
 * chunking → frames and control bytes (ACK, NAK, ENQ), in order.
 *
 * Resynchronization: between frames, any byte that is neither STX nor a
 * control byte is line noise and is skipped. A candidate frame whose LEN is
 * out of range or whose ETX is not where LEN says is not a frame: only its
 * STX is dropped and the scan restarts at the next byte, so a real frame
 * that followed a noise STX is still found. A frame with the right shape and
 * a wrong BCC is reported as 'corrupt' (the receiver NAKs or ENQs), and
 * again only its STX is dropped: a noise STX must never swallow a real frame. A candidate that never completes (a dropped byte) is given
 * up by `abandonPartial()`, which the matcher calls when a step times out.
 *
 * The buffer is bounded (MAX_FRAME bytes plus one chunk): a device that
 * streams garbage cannot grow it. `push` never throws.
 */
import { ACK, decodeFrame, ENQ, MAX_FRAME, NAK, STX, type Frame } from './frame.js';

export type ControlByte = typeof ACK | typeof NAK | typeof ENQ;

export type ParserEvent = { kind: 'frame'; frame: Frame } | { kind: 'control'; byte: ControlByte } | { kind: 'corrupt' };

export class FrameParser {
  private buf = new Uint8Array(0);
  /** Bytes skipped as noise since construction (for logs and tests). */
  skipped = 0;

  /** Appends `chunk` and returns every event it completes. */
  push(chunk: Uint8Array): ParserEvent[] {
    const joined = new Uint8Array(this.buf.length + chunk.length);
    joined.set(this.buf);
    joined.set(chunk, this.buf.length);
    this.buf = joined;
    return this.drain();
  }

  /** Gives up a frame that started but never completed: drops its STX and scans on. */
  abandonPartial(): ParserEvent[] {
    if (this.buf.length === 0) return [];
    this.skip(1);
    return this.drain();
  }

  /** Bytes held for an incomplete frame. */
  get pending(): number {
    return this.buf.length;
  }

  private drain(): ParserEvent[] {
    const events: ParserEvent[] = [];
    let at = 0;
    while (at < this.buf.length) {
      const b = this.buf[at]!;
      if (b === ACK || b === NAK || b === ENQ) {
        events.push({ kind: 'control', byte: b });
        at++;
        continue;
      }
      if (b !== STX) {
        this.skipped++;
        at++;
        continue;
      }
      const r = decodeFrame(this.buf, at);
      if (r.kind === 'partial') break;
      if (r.kind === 'frame') {
        events.push({ kind: 'frame', frame: r.frame });
        at += r.size;
      } else if (r.kind === 'corrupt') {
        // Only the STX goes: the "frame" may be noise whose LEN happened to land on a real frame's ETX.
        events.push({ kind: 'corrupt' });
        this.skipped++;
        at++;
      } else {
        this.skipped++;
        at++;
      }
    }
    this.buf = this.buf.slice(at);
    // Bounded: a partial frame is at most MAX_FRAME bytes; anything beyond that cannot be one.
    if (this.buf.length > MAX_FRAME) {
      this.skip(1);
      events.push(...this.drain());
    }
    return events;
  }

  private skip(n: number): void {
    this.skipped += n;
    this.buf = this.buf.slice(n);
  }
}
