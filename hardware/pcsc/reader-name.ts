/**
 * What a PC/SC reader name tells about the device. pcsc-lite names each
 * slot "<friendly name> <NN> <SS>" (readerfactory.c: "%s %02X %02X", NN the
 * reader's index among readers of that name, SS the slot), and the CCID
 * driver puts the USB serial number in the friendly name, in parentheses,
 * when the device reports one:
 *
 *   "Gemalto PC Twin Reader (70D7E2EE) 00 00"
 *   "SCM Microsystems Inc. SCR 3310 [CCID Interface] (21120844306107) 00 00"
 *   "Virtual PCD 00 01"
 *
 * descriptor: product = the friendly name without the serial, vendor = its
 * first word, serial = the parenthesised serial or null. Not a proof (a
 * clone can copy a name): identity match against the registry only.
 */
import type { DeviceDescriptor } from '../station.js';
import { PcscError } from './errors.js';

/** pcsc-lite's MAX_READERNAME. */
export const MAX_READER_NAME = 128;

/** Registry IDs (kiosk/center registry): ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$. */
export const READER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface ParsedReaderName {
  /** The whole name, as PC/SC gives it. */
  readonly name: string;
  readonly friendly: string;
  readonly serial: string | null;
  /** Reader index and slot, 2 hex digits each. */
  readonly index: string;
  readonly slot: string;
  readonly descriptor: DeviceDescriptor;
  /** Registry ID: 'pcsc-<serial>' (plus '-<slot>' beyond slot 00), else from the friendly name, index and slot. */
  readonly id: string;
}

const NAME = /^(.+?)(?: \(([^()]+)\))? ([0-9A-F]{2}) ([0-9A-F]{2})$/;

/** Parses a reader name; throws PcscError 'READER_NAME_INVALID' for one pcsc-lite would not give. */
export function parseReaderName(name: string): ParsedReaderName {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_READER_NAME) {
    throw new PcscError('READER_NAME_INVALID', `a reader name of ${String(name?.length)} characters (1..${MAX_READER_NAME})`);
  }
  // Control characters have no place in a name and would corrupt logs and listings.
  if (/\p{Cc}/u.test(name)) throw new PcscError('READER_NAME_INVALID', 'control characters in a reader name');
  const m = NAME.exec(name);
  if (!m) throw new PcscError('READER_NAME_INVALID', `'${name}' does not end in "<NN> <SS>"`);
  const friendly = m[1]!.trim();
  const serial = m[2]?.trim() || null;
  const [index, slot] = [m[3]!, m[4]!];
  if (friendly === '') throw new PcscError('READER_NAME_INVALID', 'empty friendly name');
  const vendor = friendly.split(/\s+/)[0]!;
  return { name, friendly, serial, index, slot, descriptor: { vendor, product: friendly, serial }, id: readerId(friendly, serial, index, slot) };
}

function readerId(friendly: string, serial: string | null, index: string, slot: string): string {
  const clean = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-._]+|[-._]+$/g, '');
  const suffix = serial !== null ? (slot === '00' ? '' : `-${slot}`) : `-${index}-${slot}`;
  const base = `pcsc-${clean(serial ?? friendly) || 'reader'}`;
  // Keep the suffix that tells slots apart; shorten the base.
  return `${base.slice(0, 64 - suffix.length).replace(/[-._]+$/, '')}${suffix}`;
}
