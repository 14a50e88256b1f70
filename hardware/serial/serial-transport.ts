/**
 * The CardTransport (hardware/card-transport.ts) of a serial dispenser's IC
 * station: IC power and APDUs travel as dispenser commands (CMD 'I', 'A';
 * docs/serial-dispenser.md). The call discipline (BUSY, TIMEOUT powers the
 * card down, NOT_POWERED, CLOSED/CANCELED, events) is SlotTransport's; the
 * dispenser tells this transport when a card arrives at or leaves the
 * station.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import { TransportError } from '../card-transport.js';
import { SlotTransport } from '../slot-transport.js';
import { CMD, IC_OFF, IC_ON, PM_NONE, RESULT, resultName } from './dispenser-protocol.js';
import { isDispenserError } from './errors.js';
import type { Matcher } from './matcher.js';

/** The card at the station, as the transport knows it (the mechanism's label). */
export interface StationCard {
  label: string;
}

export interface SerialTransportOptions {
  name: string;
  clock: Clock;
  logger: Logger;
  matcher: Matcher;
  /** Response timeout of an IC power-on or APDU at the device. */
  cardTimeoutMs: number;
}

export class SerialCardTransport extends SlotTransport<StationCard> {
  private readonly matcher: Matcher;
  private readonly cardTimeoutMs: number;

  constructor(opts: SerialTransportOptions) {
    super({ name: opts.name, clock: opts.clock, logger: opts.logger.child('serial-transport') });
    this.matcher = opts.matcher;
    this.cardTimeoutMs = opts.cardTimeoutMs;
  }

  /** A card reached the IC station (fed, or found there at open): unpowered; emits 'inserted'. */
  arrived(card: StationCard, announce = true): void {
    if (this.closed) return;
    this.card = card;
    this.powered = false;
    if (announce) this.events.emit('inserted', (e) => this.log.warn('listener failed', { event: 'inserted', error: e }));
  }

  /** The card left the station: the device cut its power; a pending call rejects CARD_REMOVED. */
  left(): void {
    if (!this.card) return;
    this.card = undefined;
    this.powered = false;
    this.calls.failPending(new TransportError('CARD_REMOVED', 'card left the IC station during the call'));
    if (!this.closed) this.events.emit('removed', (e) => this.log.warn('listener failed', { event: 'removed', error: e }));
  }

  protected async coldReset(): Promise<Uint8Array> {
    return this.command(CMD.IC, IC_ON, new Uint8Array(0));
  }

  protected exchange(_card: StationCard, apdu: Uint8Array): Promise<Uint8Array> {
    return this.command(CMD.APDU, PM_NONE, apdu);
  }

  protected deactivate(): void {
    const wasPowered = this.powered;
    this.powered = false;
    // Fire and forget: the contract's deactivate is synchronous; the matcher queues it after the call in flight.
    if (wasPowered && !this.closed) {
      this.matcher.request(CMD.IC, IC_OFF, new Uint8Array(0), this.cardTimeoutMs).catch((e: unknown) => {
        this.log.warn('IC power off failed', { code: (e as { code?: unknown }).code });
      });
    }
  }

  protected release(): Promise<void> {
    return Promise.resolve();
  }

  protected override mapError(what: string, e: unknown): TransportError {
    if (e instanceof TransportError) return e;
    if (isDispenserError(e, 'CLOSED')) return new TransportError('CANCELED', `${what}: dispenser closed`);
    return new TransportError('IO', `${what}: ${isDispenserError(e) ? e.code : 'failed'}`);
  }

  private async command(cmd: number, pm: number, data: Uint8Array): Promise<Uint8Array> {
    const r = await this.matcher.request(cmd, pm, data, this.cardTimeoutMs);
    if (r.pm === RESULT.OK) return r.data;
    const why = resultName(r.pm);
    if (r.pm === RESULT.NO_CARD) throw new TransportError('NO_CARD', `no card at the IC station (${why})`);
    if (r.pm === RESULT.NOT_POWERED) {
      this.powered = false;
      throw new TransportError('NOT_POWERED', `the device says the card is not powered (${why})`);
    }
    throw new TransportError('IO', `the IC station failed (${why})`);
  }
}
