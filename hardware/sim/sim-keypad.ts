/**
 * SimKeypad: a keypad pressed by code, for kiosk tests and the demo. Holds
 * to the Keypad contract (hardware/keypad.ts) through the same KeypadKit as
 * the HID driver. Test hooks: `press`, `type`, `detach`.
 */
import { isKeypadKey, KeypadError, type Keypad, type KeypadKey } from '../keypad.js';
import { KeypadKit } from '../hid/keypad-kit.js';
import type { DeviceDescriptor, ReaderIdentity } from '../station.js';

export interface SimKeypadOptions {
  /** What the keypad says it is (default: vendor 'sim', product 'keypad', serial 'SIM-KEYPAD-1'). */
  descriptor?: DeviceDescriptor;
  name?: string;
  /** Where a throwing listener's error goes (default: dropped). */
  onListenerError?: (e: unknown) => void;
}

export class SimKeypad implements Keypad {
  readonly name: string;
  readonly identity: ReaderIdentity;
  readonly #kit: KeypadKit;

  constructor(opts: SimKeypadOptions = {}) {
    const descriptor = opts.descriptor ?? { vendor: 'sim', product: 'keypad', serial: 'SIM-KEYPAD-1' };
    this.name = opts.name ?? 'sim-keypad';
    this.identity = {
      id: descriptor.serial ?? `${descriptor.vendor}:${descriptor.product}`,
      kind: 'keypad',
      descriptor,
      canSign: false,
      sign: () => Promise.resolve(undefined),
    };
    this.#kit = new KeypadKit(opts.onListenerError ?? (() => undefined));
  }

  get attached(): boolean {
    return this.#kit.state === 'attached';
  }

  on(event: 'key', listener: (key: KeypadKey) => void): () => void;
  on(event: 'detached', listener: (error: KeypadError) => void): () => void;
  on(event: 'key' | 'detached', listener: ((key: KeypadKey) => void) | ((e: KeypadError) => void)): () => void {
    return this.#kit.on(event, listener);
  }

  readKey(opts?: { signal?: AbortSignal }): Promise<KeypadKey> {
    return this.#kit.readKey(opts);
  }

  /** Presses keys, in order (dropped when detached or closed, as a real keypad's would be). */
  press(...keys: KeypadKey[]): void {
    for (const k of keys) {
      if (!isKeypadKey(k)) throw new KeypadError('ARGUMENT_INVALID', 'not a keypad key');
      this.#kit.press(k);
    }
  }

  /** Types a string of digits and '.', then Enter when `enter` (default true). */
  type(text: string, enter = true): void {
    for (const ch of text) {
      if (!isKeypadKey(ch) || ch.length !== 1) throw new KeypadError('ARGUMENT_INVALID', 'type() takes digits and . only');
    }
    this.press(...([...text] as KeypadKey[]));
    if (enter) this.press('enter');
  }

  /** The device goes away (unplugged). */
  detach(why = 'the simulated keypad was unplugged'): void {
    this.#kit.detach(why);
  }

  close(): Promise<void> {
    this.#kit.close();
    return Promise.resolve();
  }
}
