/**
 * Keypad: a customer's numeric keypad / PIN pad at a kiosk without a
 * touchscreen. The customer types the application ID and the one-time code
 * on it; kiosk/front/keypad-input.ts turns key presses into lines.
 *
 * Implementations: `HidKeypad` (hardware/hid/hid-keypad.ts: a USB HID
 * keyboard-class keypad through node-hid, docs/keypad.md) and `SimKeypad`
 * (hardware/sim/sim-keypad.ts). test/contract/keypad.contract.ts holds both,
 * and a real keypad named by CARDLINE_TEST_KEYPAD, to this comment.
 *
 * Contract:
 * - Keys. A keypad reports key presses, never releases or repeats: a key
 *   held down is one 'key' event (HidKeypad detects the key-down edge; the
 *   device's auto-repeat, if any, is the host's business and we do not
 *   emulate it). Only the keys of `KeypadKey` are reported; any other key
 *   the device sends (letters, function keys, NumLock) is dropped.
 * - No type-ahead. A key is delivered to the listeners subscribed and the
 *   `readKey` call pending when it arrives; nothing is buffered for later,
 *   so one customer's keys never reach the next one's prompt.
 * - Secrecy. Keys carry one-time codes. Implementations never log key
 *   values or raw reports (lengths and reasons only), and overwrite their
 *   own buffers of key data once decoded. A key reaches listeners as a
 *   string, which JavaScript cannot wipe: consumers keep it no longer than
 *   needed.
 * - Detach. When the device goes away (unplugged, a read error, the
 *   driver's 'error' event), the keypad emits 'detached' exactly once with a
 *   KeypadError 'DETACHED', a pending `readKey` rejects 'DETACHED', and so
 *   does every later `readKey`. A detached keypad is never re-attached:
 *   open a new one. close() still releases it.
 * - Close. close() releases the device; a pending `readKey` rejects
 *   'CANCELED' (we closed it, as node-serialport's `canceled`); no event
 *   is emitted after close ('detached' is not emitted for our own close).
 *   close() is idempotent; `readKey` after close rejects 'CLOSED', and
 *   `on` after close registers nothing (no event can come).
 * - `identity` is the device as it describes itself (kind 'keypad', USB
 *   vendor and product IDs, serial). A keypad holds no key: `canSign` is
 *   false and `sign` resolves undefined. The kiosk authenticates it by
 *   identity match against the center-signed registry (hardware/station.ts
 *   `DeviceDescriptor`), which a clone could pass: that is the limit of a
 *   keyless device.
 */
import type { ReaderIdentity } from './station.js';

/**
 * The keys a PIN pad sends. Digits; '.' (keypad decimal point); 'enter'
 * (Enter or keypad Enter); 'cancel' (Escape: abandon the entry);
 * 'backspace' (delete the last character); 'clear' (Clear / keypad Clear:
 * delete the whole entry).
 */
export type KeypadKey = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '.' | 'enter' | 'cancel' | 'backspace' | 'clear';

export const KEYPAD_KEYS: readonly KeypadKey[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '.', 'enter', 'cancel', 'backspace', 'clear'];

export function isKeypadKey(v: unknown): v is KeypadKey {
  return typeof v === 'string' && (KEYPAD_KEYS as readonly string[]).includes(v);
}

/**
 * 'DETACHED': the device went away. 'CANCELED': we closed it while a call
 * was pending. 'CLOSED': a call after close. 'BUSY': a second readKey
 * while one is pending. 'NOT_FOUND' / 'AMBIGUOUS': no device, or several,
 * match a keypad spec. 'ARGUMENT_INVALID': a bad spec or option. 'IO': the
 * device could not be opened (permissions: see the udev rule, docs/keypad.md).
 */
export type KeypadErrorCode = 'DETACHED' | 'CANCELED' | 'CLOSED' | 'BUSY' | 'NOT_FOUND' | 'AMBIGUOUS' | 'ARGUMENT_INVALID' | 'IO';

export class KeypadError extends Error {
  override readonly name = 'KeypadError';
  constructor(
    readonly code: KeypadErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isKeypadError(e: unknown, code?: KeypadErrorCode): e is KeypadError {
  return e instanceof KeypadError && (code === undefined || e.code === code);
}

export interface Keypad {
  /** Human name (e.g. "hid:0c45:7403:SN1 (Numeric Keypad)", "sim-keypad"). Never a secret. */
  readonly name: string;
  /** The device's identity: kind 'keypad', `canSign` false (see the contract above). */
  readonly identity: ReaderIdentity;
  /** True until the device goes away or is closed. */
  readonly attached: boolean;
  /** Each key press, once, in order. Returns an unsubscribe function. */
  on(event: 'key', listener: (key: KeypadKey) => void): () => void;
  /** The device went away; called once, with a KeypadError 'DETACHED'. */
  on(event: 'detached', listener: (error: KeypadError) => void): () => void;
  /**
   * Resolves with the next key pressed after this call. One call at a time
   * ('BUSY'). `signal` aborting rejects with the signal's reason and leaves
   * the keypad usable. Rejects 'DETACHED', 'CANCELED', 'CLOSED' as above.
   */
  readKey(opts?: { signal?: AbortSignal }): Promise<KeypadKey>;
  /** Releases the device; see "Close" above. */
  close(): Promise<void>;
}
