/**
 * Writer of the serial dispenser protocol: frames and control bytes onto
 * the port, one write at a time, resolved when the port has taken them
 * (Writable callback). A port error becomes DispenserError IO.
 */
import type { Duplex } from 'node:stream';
import { DispenserError } from './errors.js';
import { encodeFrame, type Frame } from './frame.js';
import type { ControlByte } from './parser.js';

export class FrameWriter {
  constructor(private readonly port: Duplex) {}

  frame(f: Frame): Promise<void> {
    return this.write(encodeFrame(f));
  }

  control(byte: ControlByte): Promise<void> {
    return this.write(Uint8Array.of(byte));
  }

  /** Raw bytes (the simulator's fault injection writes noise with it). */
  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.port.destroyed || this.port.writableEnded) {
        reject(new DispenserError('IO', 'the port is closed'));
        return;
      }
      this.port.write(Buffer.from(bytes), (err) => {
        if (err) reject(new DispenserError('IO', `write failed (${err.name}${(err as { code?: string }).code ? ` ${(err as { code?: string }).code}` : ''})`));
        else resolve();
      });
    });
  }
}
