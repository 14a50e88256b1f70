/**
 * Backpressure for the bridge (issue 6 "Queues"): at most `max` messages
 * taken off the broker are in flight in this process (received, not yet
 * handled). Past that, the bridge stops taking messages: mqtt.js's
 * `handleMessage(packet, callback)` hook holds the PUBACK of the message
 * that filled the last slot, and mqtt.js reads no further packet from that
 * connection until the callback runs (its packet pump is sequential). The
 * broker then keeps the rest, within its own in-flight window and queue
 * (mosquitto: max_inflight_messages, max_queued_messages), instead of the
 * center dropping them or queueing them in memory without bound.
 *
 * Why the bridge must publish on a second connection when this is on:
 * while the pump waits, the PUBACKs of the bridge's own publishes on that
 * connection wait with it, and every handler ends by publishing and
 * awaiting its PUBACK (bridge.ts: outbound order) — one connection would
 * deadlock as soon as the bridge is full. The Bridge installs the gate only
 * when it is given a separate publisher.
 *
 * mqtt.js emits 'message' BEFORE it calls handleMessage for the same
 * packet, so the message is counted (enter) before `admit` decides on its
 * PUBACK: in flight never exceeds `max`.
 *
 * A held PUBACK belongs to its connection. Held longer than the keepalive,
 * the connection may drop (mqtt.js reads no PINGRESP meanwhile); mqtt.js
 * then reconnects, and a held callback run later would send a PUBACK with
 * the old packet ID on the new connection, acknowledging an unrelated
 * message. So the bridge calls `dropHeld()` on the client's 'close': the
 * messages themselves were received and are still handled; the broker
 * (clean session) forgets their PUBACKs with the old connection.
 */
import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/log.js';

export class InFlightGate {
  #inFlight = 0;
  #peak = 0;
  #deferrals = 0;
  /** PUBACK callbacks held back, in arrival order (one at most with mqtt.js's sequential pump). */
  readonly #held: (() => void)[] = [];
  /** When the current episode of backpressure began, and how many PUBACKs it held. */
  #since: number | undefined;
  #episode = 0;

  constructor(
    readonly max: number,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxInFlight must be a positive integer, not ${max}`);
  }

  /** Messages received and not yet handled. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The most ever in flight at once. */
  get peak(): number {
    return this.#peak;
  }

  /** How many times a PUBACK was held back. */
  get deferrals(): number {
    return this.#deferrals;
  }

  /** A message arrived (its 'message' event). */
  enter(): void {
    this.#inFlight++;
    if (this.#inFlight > this.#peak) this.#peak = this.#inFlight;
  }

  /** A message is handled (or dropped): a slot frees, and a held PUBACK may go. */
  leave(): void {
    this.#inFlight--;
    if (this.#inFlight >= this.max) return;
    const next = this.#held.shift();
    if (next !== undefined) next();
    else this.#slack();
  }

  /** mqtt.js's handleMessage: the callback sends the PUBACK and lets mqtt.js read the next packet. */
  admit(callback: () => void): void {
    if (this.#inFlight < this.max) {
      this.#slack();
      callback();
      return;
    }
    this.#deferrals++;
    this.#held.push(callback);
    if (this.#since === undefined) {
      this.#since = this.clock.now();
      this.#episode = 0;
      this.log.warn('backpressure on: no more messages taken until one is handled', { inFlight: this.#inFlight, max: this.max });
    }
    this.#episode++;
  }

  /** The connection the held PUBACKs belong to closed: they are never sent (see above). */
  dropHeld(): void {
    if (this.#held.length === 0) return;
    this.log.warn('held PUBACKs dropped: the connection closed', { dropped: this.#held.length, inFlight: this.#inFlight });
    this.#held.length = 0;
  }

  /** A slot is free and no PUBACK waits for it: the episode ends (one line each way, not one per held PUBACK). */
  #slack(): void {
    if (this.#since === undefined) return;
    this.log.info('backpressure off', { inFlight: this.#inFlight, max: this.max, heldMs: this.clock.now() - this.#since, held: this.#episode });
    this.#since = undefined;
  }
}
