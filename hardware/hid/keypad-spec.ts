/**
 * Keypad specs: how a configuration names the keypad a kiosk uses.
 *
 *   hid:VVVV:PPPP          the one HID keypad with USB vendor ID VVVV and
 *                          product ID PPPP (4 hex digits each, any case)
 *   hid:VVVV:PPPP:SERIAL   the one with that USB serial number too (needed
 *                          when several keypads of one model are attached)
 *
 * The canonical form writes the IDs in lower case, as sysfs and udev do
 * (`ATTRS{idVendor}`), and as `DeviceDescriptor.vendor`/`product` carry
 * them. A spec never carries a secret, so errors may quote it.
 */
import { KeypadError } from '../keypad.js';

export interface KeypadSpec {
  /** USB vendor ID, 0..0xFFFF. */
  vendorId: number;
  /** USB product ID, 0..0xFFFF. */
  productId: number;
  /** USB serial number, exact match; undefined: any. */
  serial: string | undefined;
}

const MAX_SPEC = 256;
/** USB string descriptors are UTF-16, at most 126 characters (USB 2.0 §9.6.7); printable ASCII is what serials use. */
const SERIAL_PATTERN = /^[\x21-\x7e]{1,126}$/;
const HEX4 = /^[0-9A-Fa-f]{4}$/;

/** Parses a keypad spec; KeypadError 'ARGUMENT_INVALID' saying what is wrong. */
export function parseKeypadSpec(text: string): KeypadSpec {
  if (typeof text !== 'string' || text.length === 0) throw new KeypadError('ARGUMENT_INVALID', 'keypad spec is empty');
  if (text.length > MAX_SPEC) throw new KeypadError('ARGUMENT_INVALID', `keypad spec is longer than ${MAX_SPEC} characters`);
  const quoted = [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) ? '(with control characters)' : `'${text}'`;
  const bad = (why: string): KeypadError => new KeypadError('ARGUMENT_INVALID', `keypad spec ${quoted}: ${why} (expected hid:VVVV:PPPP[:SERIAL])`);
  if (!text.startsWith('hid:')) throw bad('unknown scheme');
  const parts = text.slice('hid:'.length).split(':');
  const [vid, pid] = parts;
  if (vid === undefined || !HEX4.test(vid)) throw bad('the vendor ID must be 4 hex digits');
  if (pid === undefined || !HEX4.test(pid)) throw bad('the product ID must be 4 hex digits');
  // The serial is the rest: a colon in it is kept (serials are the device's own text).
  const serial = parts.length > 2 ? parts.slice(2).join(':') : undefined;
  if (serial !== undefined && !SERIAL_PATTERN.test(serial)) throw bad('the serial must be 1 to 126 printable ASCII characters without spaces');
  return { vendorId: parseInt(vid, 16), productId: parseInt(pid, 16), serial };
}

/** 4 lower-case hex digits, as sysfs writes USB IDs. */
export function hex4(id: number): string {
  return id.toString(16).padStart(4, '0');
}

/** The spec as text (canonical: lower-case IDs). */
export function formatKeypadSpec(spec: KeypadSpec): string {
  return `hid:${hex4(spec.vendorId)}:${hex4(spec.productId)}${spec.serial !== undefined ? `:${spec.serial}` : ''}`;
}
