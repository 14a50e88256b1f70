/**
 * The parts of the Keypad contract (hardware/keypad.ts) every keypad
 * shares, written once: listeners, the one pending readKey, detach once,
 * close idempotent. A keypad owns one KeypadKit and feeds it keys; the kit
 * decides who hears them.
 */
import { KeypadError, type KeypadKey } from '../keypad.js';

interface Waiter {
  resolve(key: KeypadKey): void;
  reject(e: Error): void;
}

export type KeypadState = 'attached' | 'detached' | 'closed';

export class KeypadKit {
  readonly #keyListeners = new Set<(key: KeypadKey) => void>();
  readonly #detachListeners = new Set<(e: KeypadError) => void>();
  #waiter: Waiter | undefined;
  #state: KeypadState = 'attached';
  #detachError: KeypadError | undefined;

  /** @param onListenerError where a throwing listener's error goes (a log line); it never stops the keypad. */
  constructor(private readonly onListenerError: (e: unknown) => void) {}

  get state(): KeypadState {
    return this.#state;
  }

  on(event: 'key' | 'detached', listener: ((key: KeypadKey) => void) | ((e: KeypadError) => void)): () => void {
    if (this.#state === 'closed') return () => undefined;
    if (event === 'key') {
      const l = listener as (key: KeypadKey) => void;
      this.#keyListeners.add(l);
      return () => void this.#keyListeners.delete(l);
    }
    const l = listener as (e: KeypadError) => void;
    this.#detachListeners.add(l);
    return () => void this.#detachListeners.delete(l);
  }

  readKey(opts: { signal?: AbortSignal } = {}): Promise<KeypadKey> {
    if (this.#state === 'closed') return Promise.reject(new KeypadError('CLOSED', 'the keypad is closed'));
    if (this.#state === 'detached') return Promise.reject(this.#detachError ?? new KeypadError('DETACHED', 'the keypad went away'));
    if (this.#waiter) return Promise.reject(new KeypadError('BUSY', 'one readKey at a time'));
    const signal = opts.signal;
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    return new Promise<KeypadKey>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.#waiter !== waiter) return;
        this.#waiter = undefined;
        reject(abortReason(signal!));
      };
      const waiter: Waiter = {
        resolve: (k) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(k);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      this.#waiter = waiter;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A decoded key press: to the pending readKey and every listener. Dropped unless attached. */
  press(key: KeypadKey): void {
    if (this.#state !== 'attached') return;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.resolve(key);
    for (const l of [...this.#keyListeners]) {
      try {
        l(key);
      } catch (e) {
        this.onListenerError(e);
      }
    }
  }

  /** The device went away: 'detached' once; returns false when already detached or closed. */
  detach(why: string): boolean {
    if (this.#state !== 'attached') return false;
    this.#state = 'detached';
    const e = new KeypadError('DETACHED', why);
    this.#detachError = e;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(e);
    for (const l of [...this.#detachListeners]) {
      try {
        l(e);
      } catch (err) {
        this.onListenerError(err);
      }
    }
    this.#keyListeners.clear();
    this.#detachListeners.clear();
    return true;
  }

  /** Our close: a pending readKey rejects CANCELED, listeners go. Returns false when already closed. */
  close(): boolean {
    if (this.#state === 'closed') return false;
    this.#state = 'closed';
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(new KeypadError('CANCELED', 'the keypad was closed'));
    this.#keyListeners.clear();
    this.#detachListeners.clear();
    return true;
  }
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('readKey aborted');
}
