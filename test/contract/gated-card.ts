/**
 * A CardEndpoint wrapper for contract tests: it can hold the card's next
 * answer (a slow or hung card) so that removal, close and timeout can be
 * exercised while a call is really pending.
 *
 * The wrapped card processes the command at once; only the answer is held.
 * Powering the card off releases a held answer (a card without power stops
 * whatever it was doing); the transport then must not deliver it.
 */
import type { CardEndpoint } from '../../hardware/sim/card-endpoint.js';

export interface Stall {
  /** Resolves when the card has received the held command. */
  readonly reached: Promise<void>;
  /** Lets the held answer go (idempotent). */
  release(): void;
}

export class GatedCard implements CardEndpoint {
  private armed: { reach: () => void; gate: Promise<void>; open: () => void } | undefined;
  private holding = new Set<() => void>();
  /** Commands the card has received. */
  received = 0;

  constructor(private readonly inner: CardEndpoint) {}

  get atr(): Uint8Array {
    return this.inner.atr;
  }

  powerOn(): Promise<Uint8Array> {
    return this.inner.powerOn();
  }

  powerOff(): void {
    for (const open of this.holding) open();
    this.inner.powerOff();
  }

  /** Holds the answer to the next command until release() or power off. */
  stallNext(): Stall {
    let reach!: () => void;
    let open!: () => void;
    const reached = new Promise<void>((r) => (reach = r));
    const gate = new Promise<void>((r) => (open = r));
    this.armed = { reach, gate, open };
    return { reached, release: open };
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    this.received++;
    const armed = this.armed;
    this.armed = undefined;
    const answer = await this.inner.transmit(apdu);
    if (armed) {
      this.holding.add(armed.open);
      armed.reach();
      await armed.gate;
      this.holding.delete(armed.open);
    }
    return answer;
  }
}
