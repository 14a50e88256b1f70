/**
 * The parts of the CardTransport contract (hardware/card-transport.ts) that
 * every simulated transport shares: insert/remove listeners, and the single
 * in-flight call with its BUSY / timeout / cancel edges.
 *
 * A transport owns one CallSlot. `run` admits one call at a time (a card is
 * half-duplex), races it against an optional timeout on the injected clock,
 * and lets the transport fail it from outside (removal, close, power off).
 */
import type { Clock } from '../common/clock.js';
import { TransportError, type CardTransportEvent } from './card-transport.js';
import { startTimer } from './timers.js';

export class TransportEvents {
  private readonly listeners: Record<CardTransportEvent, Set<() => void>> = {
    inserted: new Set(),
    removed: new Set(),
  };

  on(event: CardTransportEvent, listener: () => void): () => void {
    this.listeners[event].add(listener);
    return () => void this.listeners[event].delete(listener);
  }

  /** Calls each listener; a throwing listener does not stop the others or the transport. */
  emit(event: CardTransportEvent, onListenerError: (e: unknown) => void): void {
    for (const l of [...this.listeners[event]]) {
      try {
        l();
      } catch (e) {
        onListenerError(e);
      }
    }
  }

  clear(): void {
    this.listeners.inserted.clear();
    this.listeners.removed.clear();
  }
}

export interface RunOptions {
  /** Rejects with TIMEOUT when the work has not settled after this many ms. */
  timeoutMs?: number | undefined;
  /** Called (before the TIMEOUT rejection) so the transport can power the card down. */
  onTimeout?: () => void;
  /** Maps a rejection of the work itself to the TransportError the caller sees. */
  mapError?: (e: unknown) => TransportError;
}

interface Pending {
  fail(e: TransportError): void;
}

export class CallSlot {
  private pending: Pending | undefined;

  constructor(private readonly clock: Clock) {}

  get busy(): boolean {
    return this.pending !== undefined;
  }

  /**
   * Runs `work` as the one call in flight. Throws BUSY synchronously-in-effect
   * (the returned promise rejects before any work starts) if another is pending.
   * The timer starts before `work` is called, so a fake clock advanced right
   * after the call sees it.
   */
  run<T>(what: string, work: () => Promise<T>, opts: RunOptions = {}): Promise<T> {
    if (this.pending) return Promise.reject(new TransportError('BUSY', `${what} while another call is pending`));
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = opts.timeoutMs !== undefined ? startTimer(this.clock, opts.timeoutMs) : undefined;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        timer?.cancel();
        if (this.pending === me) this.pending = undefined;
        fn();
      };
      const me: Pending = { fail: (e) => finish(() => reject(e)) };
      this.pending = me;
      void timer?.done.then(() =>
        finish(() => {
          opts.onTimeout?.();
          reject(new TransportError('TIMEOUT', `${what}: no answer within ${opts.timeoutMs} ms`));
        }),
      );
      // An async wrapper turns a synchronous throw in `work` into a rejection.
      const started = (async () => work())();
      started.then(
        (v) => finish(() => resolve(v)),
        (e: unknown) => finish(() => reject(opts.mapError ? opts.mapError(e) : toIo(what, e))),
      );
    });
  }

  /** Rejects the pending call, if any, with `e`. */
  failPending(e: TransportError): void {
    this.pending?.fail(e);
  }
}

function toIo(what: string, e: unknown): TransportError {
  if (e instanceof TransportError) return e;
  const code = (e as { code?: unknown }).code;
  // Only the error's name and code: a card-side message is not ours to print.
  return new TransportError('IO', `${what} failed (${(e as Error).name ?? 'Error'}${typeof code === 'string' ? ` ${code}` : ''})`);
}

/** The status word of a response APDU as 4 hex digits, for logs (never the data). */
export function swOf(rapdu: Uint8Array): string {
  if (rapdu.length < 2) return 'none';
  return ((rapdu[rapdu.length - 2]! << 8) | rapdu[rapdu.length - 1]!).toString(16).padStart(4, '0').toUpperCase();
}
