/**
 * HID boot-keyboard input reports → key presses (docs/keypad.md).
 *
 * A boot keyboard's input report is 8 bytes (HID 1.11 Appendix B.1):
 *   byte 0    modifier bits (LCtrl LShift LAlt LGUI RCtrl RShift RAlt RGUI)
 *   byte 1    reserved (OEM; ignored)
 *   bytes 2-7 up to six key codes pressed now, Keyboard/Keypad page 0x07
 *             (HID Usage Tables 1.4 §10), 0x00 for an empty slot
 * The report is a state ("these keys are down"), not an event: a key held
 * across reports appears in each, so a press is a code present now and
 * absent from the previous report (the key-down edge). When more keys are
 * down than the device can report, every slot holds ErrorRollOver (0x01,
 * HID 1.11 Appendix C): that report says nothing about which keys are down
 * and is ignored (the previous state is kept).
 *
 * On Linux hidraw (and so through node-hid) a device that numbers its
 * reports puts the report ID first: 9 bytes, ID then the boot layout. The
 * caller says which: `reportId` null (unnumbered: exactly 8 bytes) or the
 * keyboard report's ID (9 bytes; reports with any other ID, e.g. a
 * consumer-control collection, are not ours and are ignored).
 *
 * Pure: no I/O. Reports carry the typed digits: nothing here logs them.
 */
import type { KeypadKey } from '../keypad.js';

export const BOOT_REPORT_LENGTH = 8;

/** Keyboard/Keypad page usages (HID Usage Tables 1.4 §10) → keys. */
export const USAGE_KEYS: ReadonlyMap<number, KeypadKey> = new Map<number, KeypadKey>([
  // Keypad 1..9, 0 (0x59..0x62): what a PIN pad sends.
  [0x59, '1'], [0x5a, '2'], [0x5b, '3'], [0x5c, '4'], [0x5d, '5'],
  [0x5e, '6'], [0x5f, '7'], [0x60, '8'], [0x61, '9'], [0x62, '0'],
  [0x63, '.'], // Keypad . and Delete
  [0x58, 'enter'], // Keypad ENTER
  [0x28, 'enter'], // Keyboard Return (ENTER)
  [0x29, 'cancel'], // Keyboard ESCAPE
  [0x2a, 'backspace'], // Keyboard DELETE (Backspace)
  [0xbb, 'backspace'], // Keypad Backspace
  [0x9c, 'clear'], // Keyboard Clear
  [0xd8, 'clear'], // Keypad Clear
  // Top-row 1..9, 0 (0x1E..0x27) and '.' (0x37): unshifted only (Shift makes them symbols).
  [0x1e, '1'], [0x1f, '2'], [0x20, '3'], [0x21, '4'], [0x22, '5'],
  [0x23, '6'], [0x24, '7'], [0x25, '8'], [0x26, '9'], [0x27, '0'],
  [0x37, '.'],
]);

/** Usages that are symbols, not digits, while Shift is held. */
const SHIFTED_AWAY = new Set([0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x37]);
/** LShift (bit 1) | RShift (bit 5), HID 1.11 §8.3. */
const SHIFT_BITS = 0x02 | 0x20;
/** ErrorRollOver, POSTFail, ErrorUndefined (HID Usage Tables §10): not keys, a report of an error state. */
const ERROR_USAGES = new Set([0x01, 0x02, 0x03]);

export type BootReport =
  | { kind: 'state'; modifiers: number; keycodes: number[] }
  /** A report we must not act on; `reason` is safe to log (no key data). */
  | { kind: 'ignored'; reason: 'rollover' | 'other-report-id' }
  | { kind: 'invalid'; reason: 'length' };

/**
 * One input report as node-hid delivers it. Does not keep or copy the
 * bytes; the caller may wipe `report` once this returns.
 */
export function parseBootReport(report: Uint8Array, reportId: number | null): BootReport {
  let offset = 0;
  if (reportId !== null) {
    if (report.length === 0) return { kind: 'invalid', reason: 'length' };
    if (report[0] !== reportId) return { kind: 'ignored', reason: 'other-report-id' };
    offset = 1;
  }
  if (report.length !== offset + BOOT_REPORT_LENGTH) return { kind: 'invalid', reason: 'length' };
  const modifiers = report[offset]!;
  const keycodes: number[] = [];
  for (let i = offset + 2; i < offset + BOOT_REPORT_LENGTH; i++) {
    const code = report[i]!;
    if (ERROR_USAGES.has(code)) return { kind: 'ignored', reason: 'rollover' };
    if (code !== 0 && !keycodes.includes(code)) keycodes.push(code);
  }
  return { kind: 'state', modifiers, keycodes };
}

/** The key a usage means under these modifiers; undefined for keys a keypad does not report. */
export function usageKey(usage: number, modifiers: number): KeypadKey | undefined {
  if ((modifiers & SHIFT_BITS) !== 0 && SHIFTED_AWAY.has(usage)) return undefined;
  return USAGE_KEYS.get(usage);
}

/**
 * Key-down edge detection across reports: the codes down now that were not
 * down in the last state report. Holds at most six codes (typed digits), in
 * a byte array that `wipe()` overwrites.
 */
export class KeyEdges {
  readonly #down = new Uint8Array(6);
  #count = 0;

  /** The keys newly pressed in this state report, in report order. */
  next(state: { modifiers: number; keycodes: readonly number[] }): KeypadKey[] {
    const pressed: KeypadKey[] = [];
    const held = this.#down.subarray(0, this.#count);
    for (const code of state.keycodes) {
      if (held.includes(code)) continue;
      const key = usageKey(code, state.modifiers);
      if (key !== undefined) pressed.push(key);
    }
    this.#down.fill(0);
    const n = Math.min(state.keycodes.length, this.#down.length);
    for (let i = 0; i < n; i++) this.#down[i] = state.keycodes[i]!;
    this.#count = n;
    return pressed;
  }

  /** Forgets what was down (overwrites it). */
  wipe(): void {
    this.#down.fill(0);
    this.#count = 0;
  }
}
