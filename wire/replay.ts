/**
 * Per-session replay guard (DESIGN §5: MQTT QoS 1 delivers at least once, and
 * a captured message can be sent again). Within a session, sequence numbers
 * only go up: a message at or below the highest accepted one is 'replayed'.
 * Gaps are allowed (a sender may skip numbers, e.g. after a refused send).
 *
 * `check` and `accept` are split so that a receiver records a number only
 * after the whole message validated (signature, deadline, body). `accept`
 * checks again, so two copies that both passed `check` while the receiver
 * awaited something cannot both be accepted.
 *
 * Memory is bounded: past `maxSessions` the least recently used session is
 * forgotten. A forgotten session's old messages would pass `check` again,
 * so receivers keep deadlines short (they bound any replay) and refuse
 * messages of sessions they do not hold ('unknown-session').
 */
import { WireError } from './errors.js';
import { MAX_SEQ } from './envelope.js';

export interface SequenceWindowOptions {
  /** Sessions remembered at once; default 1024. */
  maxSessions?: number;
}

export class SequenceWindow {
  readonly #max: number;
  /** Session → highest accepted seq; Map order is the LRU order (oldest first). */
  readonly #highest = new Map<string, number>();

  constructor(opts: SequenceWindowOptions = {}) {
    const max = opts.maxSessions ?? 1024;
    if (!Number.isInteger(max) || max < 1) throw new RangeError('maxSessions must be a positive integer');
    this.#max = max;
  }

  /** Throws WireError 'replayed' when `seq` is not above the highest accepted for `session`. */
  check(session: string, seq: number): void {
    checkSeq(seq);
    const highest = this.#highest.get(session);
    if (highest === undefined) return;
    this.#touch(session, highest);
    if (seq <= highest) throw new WireError('replayed', `seq ${seq} is not above ${highest}`);
  }

  /** Records `seq` as the highest accepted for `session` (throws 'replayed' like `check`). */
  accept(session: string, seq: number): void {
    this.check(session, seq);
    this.#touch(session, seq);
    if (this.#highest.size > this.#max) {
      const oldest = this.#highest.keys().next();
      if (oldest.done !== true) this.#highest.delete(oldest.value);
    }
  }

  highest(session: string): number | undefined {
    return this.#highest.get(session);
  }

  forget(session: string): void {
    this.#highest.delete(session);
  }

  /** Sessions held now (for metrics and tests). */
  get size(): number {
    return this.#highest.size;
  }

  #touch(session: string, seq: number): void {
    this.#highest.delete(session);
    this.#highest.set(session, seq);
  }
}

function checkSeq(seq: number): void {
  // Envelopes carry 1..2^31-1 (envelope.ts); anything else here is a caller's bug.
  if (!Number.isInteger(seq) || seq < 1 || seq > MAX_SEQ) throw new RangeError(`seq must be an integer in 1..${MAX_SEQ}`);
}
