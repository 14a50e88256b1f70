/**
 * One kiosk's timeline for the bench: the customer's request, the kiosk's
 * screen events (kiosk/events.ts) and its MQTT messages (wire-tap.ts),
 * stamped with performance.now(), turned into one CardSample per issued card.
 *
 * Windows: request → 'issued' event (the whole customer wait, S230 code
 * check included) and 'insert-card' event → 'issued' event (the card's
 * issuance latency: fed from the hopper, authenticated, written, verified,
 * ejected). A round trip is a kiosk → center message in the insert-card
 * window whose next message on the wire is the center's answer, i.e. one
 * the kiosk had to wait on.
 */
import type { KioskEvent } from '../../kiosk/events.js';
import type { WireDir } from './wire-tap.js';

export interface CardSample {
  requestToIssuedMs: number;
  insertToIssuedMs: number;
  /** request → insert-card: S230 (signed request, code check, job) and the center's answer. */
  s230Ms: number;
  /** insert-card → `card` sent: feed from the hopper, SELECT, INITIALIZE UPDATE. */
  feedAndReadMs: number;
  /** `card` sent → `script` received: the center authenticates the card and builds the script (S250/S260). */
  cardAuthMs: number;
  /** `script` received → `result` sent: the kiosk relays the script to the card (S270/S280). */
  relayMs: number;
  /** `result` sent → `issued` received: the center verifies and marks the job issued (S290). */
  verifyMs: number;
  /** `issued` received → 'issued' event: eject to the gate and `card-done` sent. */
  ejectMs: number;
  /** kiosk → center messages in the insert-card window, by type. */
  upInWindow: Record<string, number>;
  roundTrips: number;
  /** Protocol messages from request to issued, both ways. */
  upTotal: number;
  downTotal: number;
}

type Mark = { kind: 'event'; type: KioskEvent['type']; t: number } | { kind: 'wire'; dir: WireDir; type: string; t: number };

export class TimelineError extends Error {
  override readonly name = 'TimelineError';
  constructor(
    readonly code: 'INCOMPLETE',
    message: string,
  ) {
    super(message);
  }
}

export class KioskTimeline {
  #marks: Mark[] = [];
  #requestAt: number | undefined;

  /** The customer starts a request now; what was recorded before it is dropped. */
  beginRequest(): void {
    this.#marks = [];
    this.#requestAt = performance.now();
  }

  event(e: KioskEvent): void {
    if (this.#requestAt !== undefined) this.#marks.push({ kind: 'event', type: e.type, t: performance.now() });
  }

  wire(dir: WireDir, type: string): void {
    if (this.#requestAt !== undefined) this.#marks.push({ kind: 'wire', dir, type, t: performance.now() });
  }

  /** The sample of the card issued since beginRequest. TimelineError INCOMPLETE when a step is missing. */
  take(): CardSample {
    const t0 = this.#requestAt;
    if (t0 === undefined) throw new TimelineError('INCOMPLETE', 'no request was started');
    const m = this.#marks;
    this.#requestAt = undefined;
    const insert = m.findIndex((x) => x.kind === 'event' && x.type === 'insert-card');
    const issued = m.findIndex((x) => x.kind === 'event' && x.type === 'issued');
    if (insert < 0 || issued < insert) throw new TimelineError('INCOMPLETE', 'no insert-card … issued window');
    const win = m.slice(insert, issued + 1);
    const wire = win.filter((x): x is Extract<Mark, { kind: 'wire' }> => x.kind === 'wire');
    // The last of each: a refused card's exchange is part of the card's time, not of a phase.
    const at = (dir: WireDir, type: string): number => {
      const hit = wire.filter((x) => x.dir === dir && x.type === type).at(-1);
      if (!hit) throw new TimelineError('INCOMPLETE', `no ${dir} '${type}' between insert-card and issued`);
      return hit.t;
    };
    const tInsert = win[0]!.t;
    const tIssued = win.at(-1)!.t;
    const [tCard, tScript, tResult, tIssuedDown] = [at('up', 'card'), at('down', 'script'), at('up', 'result'), at('down', 'issued')];
    const upInWindow: Record<string, number> = {};
    for (const x of wire) if (x.dir === 'up') upInWindow[x.type] = (upInWindow[x.type] ?? 0) + 1;
    const roundTrips = wire.filter((x, i) => x.dir === 'up' && wire[i + 1]?.dir === 'down').length;
    const all = m.slice(0, issued + 1).filter((x) => x.kind === 'wire');
    return {
      requestToIssuedMs: tIssued - t0,
      insertToIssuedMs: tIssued - tInsert,
      s230Ms: tInsert - t0,
      feedAndReadMs: tCard - tInsert,
      cardAuthMs: tScript - tCard,
      relayMs: tResult - tScript,
      verifyMs: tIssuedDown - tResult,
      ejectMs: tIssued - tIssuedDown,
      upInWindow,
      roundTrips,
      upTotal: all.filter((x) => x.dir === 'up').length,
      downTotal: all.filter((x) => x.dir === 'down').length,
    };
  }
}
