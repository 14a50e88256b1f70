/**
 * A keypad (hardware/keypad.ts) as the terminal front end's TextInput, so
 * `LineInput` reads the application ID and the one-time code from a PIN pad
 * as it does from stdin (docs/keypad.md "Kiosk input").
 *
 * Line editing happens here, on the keypad's keys:
 *   0-9 .      append (up to `maxLength`; further keys are dropped)
 *   backspace  delete the last character
 *   clear      delete the whole line
 *   cancel     delete the whole line (the customer starts the entry again)
 *   enter      end the line: LineInput receives it as "<line>\r";
 *              Enter on an empty line is ignored
 * Keys pressed while LineInput is not reading (paused: between prompts,
 * while a request runs) are dropped with any partial line: no type-ahead
 * reaches the next prompt or the next customer.
 *
 * The keypad going away ends the input ('end', then 'close'): a waiting
 * readLine resolves undefined and the terminal stops (the service restarts
 * it and opens the keypad again).
 *
 * Secrecy: one-time codes pass through here. Nothing is logged. The line is
 * kept in a byte array that is overwritten on Enter, clear, cancel, pause
 * and destroy, and the chunk handed to LineInput is overwritten once its
 * 'data' listeners return (LineInput decodes it at once). The decoded
 * string in LineInput, the key strings the keypad delivers and the line the
 * terminal passes on are JavaScript strings, which cannot be wiped: they
 * live until the garbage collector reclaims them.
 */
import { EventEmitter } from 'node:events';
import type { Keypad, KeypadKey } from '../../hardware/keypad.js';
import type { TextInput } from './line-input.js';

export interface KeypadInputOptions {
  /** Longest line kept (default 64: an application ID is at most 64 characters, wire/messages.ts). */
  maxLength?: number;
  /**
   * Called with the line's length after every edit (0 after Enter, clear,
   * cancel): for a screen that shows one dot per digit. Never the digits.
   */
  onEdit?: (length: number) => void;
}

const CR = 0x0d;

export class KeypadTextInput extends EventEmitter implements TextInput {
  readonly isTTY = false;
  readonly #line: Uint8Array;
  readonly #onEdit: ((length: number) => void) | undefined;
  readonly #unsubscribe: (() => void)[];
  #length = 0;
  #paused = true;
  #done = false;

  /** Reads `keypad` until it detaches or this input is destroyed; the caller still owns (and closes) the keypad. */
  constructor(keypad: Keypad, opts: KeypadInputOptions = {}) {
    super();
    const max = opts.maxLength ?? 64;
    if (!Number.isInteger(max) || max < 1 || max > 1024) throw new RangeError('maxLength must be 1..1024');
    this.#line = new Uint8Array(max);
    this.#onEdit = opts.onEdit;
    this.#unsubscribe = [keypad.on('key', (k) => this.#key(k)), keypad.on('detached', () => this.#end())];
    if (!keypad.attached) queueMicrotask(() => this.#end());
  }

  pause(): this {
    this.#paused = true;
    this.#wipe();
    return this;
  }

  resume(): this {
    this.#paused = false;
    return this;
  }

  /** Stops listening to the keypad and wipes the line ('close' once). */
  destroy(): this {
    if (this.#done) return this;
    this.#done = true;
    for (const off of this.#unsubscribe) off();
    this.#wipe();
    this.emit('close');
    return this;
  }

  #key(key: KeypadKey): void {
    if (this.#paused || this.#done) return;
    switch (key) {
      case 'enter':
        this.#enter();
        return;
      case 'backspace':
        if (this.#length > 0) this.#line[--this.#length] = 0;
        break;
      case 'clear':
      case 'cancel':
        this.#wipe();
        break;
      default:
        // A digit or '.': one ASCII byte.
        if (this.#length < this.#line.length) this.#line[this.#length++] = key.charCodeAt(0);
    }
    this.#onEdit?.(this.#length);
  }

  #enter(): void {
    if (this.#length === 0) return;
    const chunk = Buffer.alloc(this.#length + 1);
    chunk.set(this.#line.subarray(0, this.#length));
    chunk[this.#length] = CR;
    this.#wipe();
    this.#onEdit?.(0);
    try {
      this.emit('data', chunk);
    } finally {
      chunk.fill(0);
    }
  }

  #wipe(): void {
    this.#line.fill(0);
    this.#length = 0;
  }

  #end(): void {
    if (this.#done) return;
    this.#wipe();
    this.emit('end');
    this.destroy();
  }
}
