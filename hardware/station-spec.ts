/**
 * Station specs: how a configuration names the card station a kiosk uses
 * (issue 5 point 6). One string, validated here, opened by open-station.ts.
 *
 *   sim:DIR            the simulated dispenser whose state is in DIR
 *   DIR                the same (a path with no scheme: the historical form)
 *   serial:PATH[@BAUD] a serial card dispenser (docs/serial-dispenser.md) on
 *                      the tty PATH, at BAUD (default 115200)
 *   pcsc               the first PC/SC reader that appears (docs/pcsc.md)
 *   pcsc:NAME          the PC/SC reader named exactly NAME
 *
 * A spec never carries a secret, so errors may quote it.
 */
import { StationError } from './station.js';

export type StationSpec =
  | { kind: 'sim'; dir: string }
  | { kind: 'serial'; path: string; baudRate: number }
  | { kind: 'pcsc'; reader: string | undefined };

/** Baud rates serial dispensers use (ISO 7816 readers and dispensers: 9600..115200). */
export const SERIAL_BAUD_RATES = [9600, 19200, 38400, 57600, 115200] as const;
export const DEFAULT_BAUD_RATE = 115200;

const MAX_SPEC = 1024;

/** Parses a station spec; StationError 'ARGUMENT_INVALID' saying what is wrong. */
export function parseStationSpec(text: string): StationSpec {
  const bad = (why: string): StationError => new StationError('ARGUMENT_INVALID', `station spec '${text.slice(0, 80)}': ${why}`);
  if (typeof text !== 'string' || text.length === 0) throw new StationError('ARGUMENT_INVALID', 'station spec is empty');
  if (text.length > MAX_SPEC) throw new StationError('ARGUMENT_INVALID', `station spec is longer than ${MAX_SPEC} characters`);
  // Control characters never belong in a path or a reader name; refusing them keeps logs and errors clean.
  if ([...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw bad('contains control characters');
  if (text === 'pcsc') return { kind: 'pcsc', reader: undefined };
  if (text.startsWith('pcsc:')) {
    const reader = text.slice('pcsc:'.length);
    if (reader.trim() === '' || reader !== reader.trim()) throw bad('the reader name is empty or has leading/trailing spaces');
    return { kind: 'pcsc', reader };
  }
  if (text.startsWith('serial:')) return parseSerial(text.slice('serial:'.length), bad);
  const dir = text.startsWith('sim:') ? text.slice('sim:'.length) : text;
  if (dir === '') throw bad('the simulated station directory is empty');
  if (/^[a-z]+:/.test(text) && !text.startsWith('sim:')) throw bad("unknown scheme (sim:, serial:, pcsc or pcsc:NAME)");
  return { kind: 'sim', dir };
}

function parseSerial(rest: string, bad: (why: string) => StationError): StationSpec {
  const at = rest.lastIndexOf('@');
  const path = at >= 0 ? rest.slice(0, at) : rest;
  const baudText = at >= 0 ? rest.slice(at + 1) : undefined;
  if (!path.startsWith('/')) throw bad('the serial port must be an absolute path (e.g. /dev/ttyUSB0)');
  let baudRate = DEFAULT_BAUD_RATE;
  if (baudText !== undefined) {
    baudRate = /^[0-9]{4,6}$/.test(baudText) ? Number(baudText) : NaN;
    if (!(SERIAL_BAUD_RATES as readonly number[]).includes(baudRate)) throw bad(`baud rate must be one of ${SERIAL_BAUD_RATES.join(', ')}`);
  }
  return { kind: 'serial', path, baudRate };
}

/** The spec as text again (canonical form: `sim:` is written out). */
export function formatStationSpec(spec: StationSpec): string {
  switch (spec.kind) {
    case 'sim':
      return `sim:${spec.dir}`;
    case 'serial':
      return `serial:${spec.path}@${spec.baudRate}`;
    case 'pcsc':
      return spec.reader === undefined ? 'pcsc' : `pcsc:${spec.reader}`;
  }
}
