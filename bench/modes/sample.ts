/**
 * One issuance as the kiosk saw it, for bench/modes.ts: its screen events
 * and MQTT messages (type and payload bytes), stamped with performance.now()
 * in the kiosk's process, turned into a sample. Unlike bench/issue's
 * timeline it does not assume relay mode: the center's write message is
 * `script` (relay) or `package` (sealed), whichever came.
 *
 * A round trip is an up message in the insert-card → issued window whose
 * next message on the wire is a down message: one the kiosk waited on.
 */
import type { KioskEvent } from '../../kiosk/events.js';

export type Mark = { kind: 'event'; type: KioskEvent['type']; t: number } | { kind: 'wire'; dir: 'up' | 'down'; type: string; bytes: number; t: number };

export interface IssuanceSample {
  requestToIssuedMs: number;
  /** insert-card → the kiosk's 'issued' event, which comes once the card is out at the gate (before `card-done` goes up). */
  insertToIssuedMs: number;
  /** `card` sent → `script`/`package` received: the center checks the card, builds (or seals), one round trip. */
  cardToWriteMs: number;
  /** `script`/`package` received → `result` sent: the kiosk (opens, builds and) runs the script on the card. */
  writeToResultMs: number;
  /** `result` sent → `issued` received: the center verifies, marks ISSUED, one round trip. */
  resultToIssuedMs: number;
  /** `issued` received → the 'issued' event: eject, `card-done` sent and acknowledged by the broker. */
  issuedToEventMs: number;
  writeType: string;
  /** MQTT payload bytes of the write message (the signed envelope). */
  writeBytes: number;
  roundTrips: number;
  /** Protocol messages and their payload bytes, request → issued. */
  messages: number;
  payloadBytes: number;
  /** The kiosk process's CPU (user + system) over the request. */
  cpuMs: number;
}

export class SampleError extends Error {
  override readonly name = 'SampleError';
  constructor(
    readonly code: 'INCOMPLETE',
    message: string,
  ) {
    super(message);
  }
}

const WRITE_TYPES = new Set(['script', 'package']);

/** The sample of one issuance from its marks (request at `t0`); SampleError INCOMPLETE when a step is missing. */
export function toSample(marks: readonly Mark[], t0: number, cpuMs: number): IssuanceSample {
  const insert = marks.findIndex((x) => x.kind === 'event' && x.type === 'insert-card');
  const issued = marks.findIndex((x) => x.kind === 'event' && x.type === 'issued');
  if (insert < 0 || issued < insert) throw new SampleError('INCOMPLETE', 'no insert-card … issued window');
  const wire = marks.slice(insert, issued + 1).filter((x): x is Extract<Mark, { kind: 'wire' }> => x.kind === 'wire');
  const last = (dir: 'up' | 'down', match: (type: string) => boolean): Extract<Mark, { kind: 'wire' }> => {
    const hit = wire.filter((x) => x.dir === dir && match(x.type)).at(-1);
    if (!hit) throw new SampleError('INCOMPLETE', `no ${dir} message between insert-card and issued`);
    return hit;
  };
  const card = last('up', (t) => t === 'card');
  const write = last('down', (t) => WRITE_TYPES.has(t));
  const result = last('up', (t) => t === 'result');
  const issuedDown = last('down', (t) => t === 'issued');
  const all = marks.slice(0, issued + 1).filter((x): x is Extract<Mark, { kind: 'wire' }> => x.kind === 'wire');
  return {
    requestToIssuedMs: marks[issued]!.t - t0,
    insertToIssuedMs: marks[issued]!.t - marks[insert]!.t,
    cardToWriteMs: write.t - card.t,
    writeToResultMs: result.t - write.t,
    resultToIssuedMs: issuedDown.t - result.t,
    issuedToEventMs: marks[issued]!.t - issuedDown.t,
    writeType: write.type,
    writeBytes: write.bytes,
    roundTrips: wire.filter((x, i) => x.dir === 'up' && wire[i + 1]?.dir === 'down').length,
    messages: all.length,
    payloadBytes: all.reduce((n, x) => n + x.bytes, 0),
    cpuMs,
  };
}
