/**
 * Opens a serial card dispenser on a tty path: the serialport `SerialPort`
 * (8N1, no flow control: docs/serial-dispenser.md "Line") and the
 * SerialDispenser on it. An open failure is a DispenserError 'IO' naming
 * the path; the port is closed again when the dispenser does not answer.
 */
import { SerialPort } from 'serialport';
import { DispenserError } from './errors.js';
import { SerialDispenser, type SerialDispenserOptions } from './serial-dispenser.js';

export async function openSerialDispenser(path: string, baudRate: number, opts: Omit<SerialDispenserOptions, 'port'> = {}): Promise<SerialDispenser> {
  const port = new SerialPort({ path, baudRate, dataBits: 8, parity: 'none', stopBits: 1, rtscts: false, autoOpen: false });
  try {
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
  } catch (e) {
    throw new DispenserError('IO', `cannot open ${path}: ${(e as Error).message}`);
  }
  // SerialDispenser.open owns the port from here: it destroys it when the device does not answer.
  return SerialDispenser.open({ ...opts, port, name: opts.name ?? `serial dispenser on ${path}` });
}
