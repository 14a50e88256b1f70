/**
 * Ends a serial port for good. A serialport `SerialPort` must be closed
 * with `close()`: its stream has no `_destroy`, so `destroy()` alone emits
 * 'close' but leaves the file descriptor (and its exclusive lock) open —
 * the next open of the same tty then fails "Cannot lock port". Any other
 * Duplex (an in-memory pair in unit tests) is destroyed.
 */
import type { Duplex } from 'node:stream';

interface Closable {
  isOpen: boolean;
  close(cb?: (err: Error | null) => void): void;
}

function isClosable(port: unknown): port is Closable {
  return typeof (port as Closable).close === 'function' && typeof (port as Closable).isOpen === 'boolean';
}

/** Resolves once the port's descriptor is closed (or the stream destroyed); never rejects. */
export async function endPort(port: Duplex): Promise<void> {
  if (isClosable(port) && port.isOpen) {
    await new Promise<void>((resolve) => port.close(() => resolve()));
  }
  if (!port.destroyed) {
    await new Promise<void>((resolve) => {
      port.once('close', () => resolve());
      port.destroy();
    });
  }
}
