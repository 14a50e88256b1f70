/**
 * What the simulated station's reader holds at the IC station: the card
 * behind a pair of contacts.
 *
 * Why a wrapper and not the SimCard itself: a card is moved out of ic/ by a
 * rename of its EEPROM image. If the card were still writing its image
 * (SimCard commits by temp file + rename into ic/) when the station renamed
 * it away, the commit would recreate ic/<serial>.eeprom and the card would
 * be in two places. So the contacts track the card's command in flight, and
 * `detach()` waits for it to settle before the station moves the file. The
 * card's time model (LatencyModel) is slept here, after the card has
 * answered, and is cut short by `detach()`: waiting for the card is then
 * bounded by the disk, never by the clock (a FakeClock that is not advanced
 * cannot stall an eject).
 */
import type { Clock } from '../../common/clock.js';
import type { SimCard } from './card/index.js';
import { latencyMs, type LatencyModel } from './card/latency.js';
import type { CardEndpoint } from './card-endpoint.js';

export class StationContacts implements CardEndpoint {
  private inFlight: Promise<unknown> = Promise.resolve();
  private readonly detached = new AbortController();

  constructor(
    readonly card: SimCard,
    private readonly clock: Clock,
    private readonly latency: LatencyModel | undefined,
  ) {}

  get atr(): Uint8Array {
    return this.card.atr;
  }

  powerOn(): Promise<Uint8Array> {
    return this.card.powerOn();
  }

  powerOff(): void {
    this.card.powerOff();
  }

  async transmit(apdu: Uint8Array): Promise<Uint8Array> {
    const work = this.card.transmit(apdu);
    this.inFlight = work.catch(() => undefined);
    const rapdu = await work;
    if (this.latency !== undefined && !this.detached.signal.aborted) {
      await this.clock.sleep(latencyMs(this.latency, apdu[1], apdu.length, rapdu.length), this.detached.signal);
    }
    return rapdu;
  }

  /** The card leaves the contacts: cuts any latency wait and resolves once the card's last command has settled. */
  async detach(): Promise<void> {
    this.detached.abort(new Error('card left the station'));
    this.card.powerOff();
    await this.inFlight;
  }
}

/**
 * A card at the station whose EEPROM image cannot be loaded: the mechanism
 * moved it, but the chip does not answer the reset (a dead chip). powerOn
 * rejects with the load error, which the reader reports as IO; the caller
 * then captures the card, as it would any card that fails.
 */
export class MuteContacts implements CardEndpoint {
  readonly atr = new Uint8Array(0);

  constructor(private readonly reason: Error) {}

  powerOn(): Promise<Uint8Array> {
    return Promise.reject(this.reason);
  }

  powerOff(): void {}

  transmit(): Promise<Uint8Array> {
    return Promise.reject(this.reason);
  }

  detach(): Promise<void> {
    return Promise.resolve();
  }
}
