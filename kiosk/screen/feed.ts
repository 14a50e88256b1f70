/**
 * What the screens show, gathered in one place per server: the agent's
 * KioskEvents (its `events` sink is teed here), the HID keypad's keys, and
 * the link's exchanges (KioskLinkOptions.onExchange). It keeps the last
 * exchanges and errors for the operator's replay, and what the operator's
 * status needs (reader, link). Nothing here holds a payload, card data or
 * a typed code: records are rebuilt field by field from what is allowed.
 */
import type { Clock } from '../../common/clock.js';
import type { KeypadKey } from '../../hardware/keypad.js';
import { DOWN_SCHEMAS, UP_SCHEMAS } from '../../wire/messages.js';
import type { KioskEvent, KioskEventSink } from '../events.js';
import type { LinkExchange } from '../link.js';

/** The keys the customer page understands (docs/screens.md `event: key`). */
export type ScreenKey = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | 'enter' | 'back' | 'clear' | 'cancel';

/** A link exchange with its time (the link's own record, LinkExchange, has none). */
export type ExchangeRecord = LinkExchange & { at: number };

export interface ErrorRecord {
  at: number;
  /** A reason code. */
  code: string;
  /** Where it came from: the event type ('error', 'failed', 'reader-refused', …) or 'exchange'. */
  what: string;
}

export interface ReaderStatus {
  id: string;
  state: 'authenticated' | 'refused' | 'unknown';
  reason?: string;
}

export type FeedMessage =
  | { kind: 'kiosk'; event: KioskEvent }
  | { kind: 'key'; key: ScreenKey }
  | { kind: 'exchange'; record: ExchangeRecord }
  | { kind: 'error'; record: ErrorRecord };

export interface ScreenFeedOptions {
  clock: Pick<Clock, 'now'>;
  /** The station reader's registry ID (its status is 'unknown' until the agent decides). */
  readerId: string;
  maxExchanges?: number;
  maxErrors?: number;
}

const CODE = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
const JOB = /^[0-9a-f-]{36}$/;
const PROTOCOL_TYPES = new Set([...Object.keys(UP_SCHEMAS), ...Object.keys(DOWN_SCHEMAS)]);

function keyOf(k: KeypadKey): ScreenKey | undefined {
  if (k === 'backspace') return 'back';
  if (k === '.') return undefined;
  return k;
}

export class ScreenFeed {
  readonly #o: Required<ScreenFeedOptions>;
  readonly #exchanges: ExchangeRecord[] = [];
  readonly #errors: ErrorRecord[] = [];
  readonly #listeners = new Set<(m: FeedMessage) => void>();
  #reader: ReaderStatus;
  #link: 'up' | 'down' = 'down';

  constructor(opts: ScreenFeedOptions) {
    this.#o = { maxExchanges: 100, maxErrors: 20, ...opts };
    this.#reader = { id: opts.readerId, state: 'unknown' };
  }

  /** The agent's event sink (tee it with the terminal's). */
  readonly events: KioskEventSink = (e) => {
    this.#track(e);
    this.#emit({ kind: 'kiosk', event: e });
    const error = errorOf(e);
    if (error !== undefined) this.#error(error, e.type);
  };

  /** The link's exchange observer. Only the allowed fields are copied: whatever else the caller passed stays behind. */
  readonly exchange = (x: LinkExchange): void => {
    const record: ExchangeRecord = {
      at: this.#o.clock.now(),
      direction: x.direction === 'up' ? 'up' : 'down',
      ...(typeof x.type === 'string' && PROTOCOL_TYPES.has(x.type) ? { type: x.type } : {}),
      ...(Number.isSafeInteger(x.seq) ? { seq: x.seq } : {}),
      ...(typeof x.job === 'string' && JOB.test(x.job) ? { job: x.job } : {}),
      outcome: x.outcome === 'ok' ? 'ok' : 'refused',
      ...(typeof x.reason === 'string' && CODE.test(x.reason) ? { reason: x.reason } : {}),
    };
    push(this.#exchanges, record, this.#o.maxExchanges);
    this.#emit({ kind: 'exchange', record });
    if (record.outcome === 'refused') this.#error(record.reason ?? 'refused', 'exchange');
  };

  /** A key of the HID keypad (KeypadKey); '.' has no use on the screen and is dropped. */
  key(k: KeypadKey): void {
    const key = keyOf(k);
    if (key !== undefined) this.#emit({ kind: 'key', key });
  }

  on(listener: (m: FeedMessage) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  exchanges(): readonly ExchangeRecord[] {
    return this.#exchanges;
  }

  errors(): readonly ErrorRecord[] {
    return this.#errors;
  }

  reader(): ReaderStatus {
    return { ...this.#reader };
  }

  link(): 'up' | 'down' {
    return this.#link;
  }

  #track(e: KioskEvent): void {
    if (e.type === 'connected') this.#link = 'up';
    else if (e.type === 'disconnected') this.#link = 'down';
    else if (e.type === 'reader-authenticated' && e.reader === this.#reader.id) this.#reader = { id: e.reader, state: 'authenticated' };
    else if (e.type === 'reader-refused' && e.reader === this.#reader.id) this.#reader = { id: e.reader, state: 'refused', ...(CODE.test(e.reason) ? { reason: e.reason } : {}) };
  }

  #error(code: string, what: string): void {
    const record: ErrorRecord = { at: this.#o.clock.now(), code: CODE.test(code) ? code : 'other', what };
    push(this.#errors, record, this.#o.maxErrors);
    this.#emit({ kind: 'error', record });
  }

  #emit(m: FeedMessage): void {
    for (const l of [...this.#listeners]) l(m);
  }
}

/** The events the operator sees as errors, with their code. */
function errorOf(e: KioskEvent): string | undefined {
  switch (e.type) {
    case 'error':
      return e.code;
    // Wrong codes and locked applications too: the operator sees guessing at the glass.
    case 'request-refused':
    case 'failed':
    case 'reader-refused':
    case 'refused':
    case 'card-refused':
      return e.reason;
    case 'disconnected':
      return 'link-down';
    case 'issued':
    case 'card-captured':
      return e.ok ? undefined : 'card-stuck';
    default:
      return undefined;
  }
}

function push<T>(ring: T[], item: T, max: number): void {
  ring.push(item);
  if (ring.length > max) ring.splice(0, ring.length - max);
}
