/**
 * SimStation: a simulated card dispenser (CardStation, hardware/station.ts):
 * a hopper of factory-fresh cards, an IC station with a SimReader at its
 * contacts, a gate to the customer and a reject bin (DESIGN §1: the source's
 * issuing machine has "a card hopper, IC station, stacker and reject bin").
 * It takes cards from the hopper, lets the kiosk relay each script to the
 * card at the station, ejects the issued card or captures a bad one, and
 * moves on to the next customer (issue 3, point 2).
 *
 * State lives on disk, one directory per device (layout: station-fs.ts).
 * A card is in exactly one place, and every move is an atomic rename, so a
 * kill -9 at any instant leaves every card somewhere, once; after a restart
 * `open` finds the card at the station and puts it back at the contacts,
 * unpowered. One process drives a station at a time (as one agent drives a
 * device); `status` from another process only reads.
 *
 * Simulator-only test hooks (no real device has them): `armPowerCut`,
 * `onCardLoaded`, `cards`, `imagePath` and the static `addCards`.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../common/clock.js';
import { silentLogger, type Logger } from '../../common/log.js';
import type { CardTransport } from '../card-transport.js';
import { StationError, type CardStation, type StationStatus } from '../station.js';
import { SimCard, isSimCardError, type LatencyModel, type PowerCutPlan } from './card/index.js';
import { cardErrorSummary } from './card-endpoint.js';
import { checkReaderId, READER_KEY_FILE, READER_PUB_FILE, ReaderKeyError, SimReaderIdentity } from './reader-key.js';
import { SimReader } from './sim-reader.js';
import { MuteContacts, StationContacts } from './station-contacts.js';
import { cardPath, exists, fsCode, isPlace, listPlace, moveCard, PLACES, readStationFile, SERIAL_RE, STATION_FILE, writeStationFile, type Place } from './station-fs.js';
import { stockHopper, type StockOptions } from './station-stock.js';

/** Below this many cards the hopper reports 'low'. */
export const HOPPER_LOW = 5;

export interface SimStationOptions {
  clock?: Clock;
  logger?: Logger;
  /** The cards' time model (off by default; REFERENCE_LATENCY for real-card timings). */
  latency?: LatencyModel;
  /** Random source of the cards (their challenges) and, at create, of the reader key. Default node:crypto. */
  random?: (n: number) => Uint8Array;
}

export interface SimStationCreateOptions extends SimStationOptions, Omit<StockOptions, 'logger'> {
  /** Directory of the device: created if missing, must be empty. */
  dir: string;
  /** Reader registry ID (default `sim-<first 8 hex digits of the public key>`). */
  id?: string;
}

type Contacts = StationContacts | MuteContacts;
type CardListener = (card: SimCard, label: string) => void;

export class SimStation implements CardStation {
  readonly name: string;
  readonly transport: CardTransport;
  private readonly reader: SimReader;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly listeners = new Set<CardListener>();
  private atStation: { serial: string; contacts: Contacts } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly dir: string,
    readonly identity: SimReaderIdentity,
    private readonly opts: SimStationOptions,
  ) {
    this.name = `sim station ${identity.id}`;
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger).child('sim-station');
    this.reader = new SimReader({ name: identity.id, clock: this.clock, ...(opts.logger ? { logger: opts.logger } : {}) });
    this.transport = this.reader;
  }

  /**
   * Makes a new station in `dir`: `count` cards for the hopper and a new
   * reader key; then opens it. The cards are factory cards (transport key),
   * prepared with `prepare` (stock preparation; those it refuses go to
   * reject/), or raw with `stockMasterKey` (station-stock.ts).
   */
  static async create(opts: SimStationCreateOptions): Promise<SimStation> {
    if (opts.id !== undefined) checkReaderId(opts.id);
    await mkdir(opts.dir, { recursive: true }).catch((e: unknown) => {
      throw new StationError('IO', `cannot create ${opts.dir} (${fsCode(e)})`);
    });
    const present = await readdir(opts.dir).catch((e: unknown) => {
      throw new StationError('IO', `cannot list ${opts.dir} (${fsCode(e)})`);
    });
    if (present.length > 0) throw new StationError('ARGUMENT_INVALID', `${opts.dir} is not empty; a new station needs an empty directory`);
    const log = (opts.logger ?? silentLogger).child('sim-station');
    try {
      await stockHopper(opts.dir, {
        count: opts.count,
        stockMasterKey: opts.stockMasterKey,
        prepare: opts.prepare,
        onFactoryCard: opts.onFactoryCard,
        ...(opts.serialPrefix !== undefined ? { serialPrefix: opts.serialPrefix } : {}),
        ...(opts.kvn !== undefined ? { kvn: opts.kvn } : {}),
        ...(opts.logger ? { logger: opts.logger } : {}),
      });
      for (const place of PLACES) await mkdir(join(opts.dir, place), { recursive: true });
      const identity = await SimReaderIdentity.create(opts.dir, {
        ...(opts.id !== undefined ? { id: opts.id } : {}),
        ...(opts.random ? { random: opts.random } : {}),
      });
      identity.destroy();
      // Written last: a directory without station.json is not a station, whatever else a crash left in it.
      await writeStationFile(opts.dir, identity.id, new Date((opts.clock ?? systemClock).now()));
      log.info('station created', { dir: opts.dir, id: identity.id, cards: opts.count });
    } catch (e) {
      // The directory was empty: take back what this call put there.
      const ours = [...PLACES, READER_KEY_FILE, READER_PUB_FILE, STATION_FILE];
      await Promise.all(ours.map((n) => rm(join(opts.dir, n), { recursive: true, force: true }))).catch(() => undefined);
      if (e instanceof StationError || e instanceof ReaderKeyError) throw e;
      throw new StationError('IO', `cannot create the station in ${opts.dir} (${fsCode(e)})`);
    }
    // Only the device options: the station must not keep a reference to the caller's KMC.
    const { clock, logger, latency, random } = opts;
    return SimStation.open(opts.dir, { ...(clock ? { clock } : {}), ...(logger ? { logger } : {}), ...(latency ? { latency } : {}), ...(random ? { random } : {}) });
  }

  /**
   * Opens the station in `dir` (made by `create`, possibly in another
   * process). Refuses StationError IO when station.json or a place is
   * missing or invalid, when ic/ holds more than one card or a serial is in
   * two places (only a hand edit can do that), and ReaderKeyError when the
   * reader key is missing, malformed or readable by others.
   */
  static async open(dir: string, opts: SimStationOptions = {}): Promise<SimStation> {
    const file = await readStationFile(dir);
    const lists = await Promise.all(PLACES.map((p) => listPlace(dir, p)));
    const seen = new Map<string, Place>();
    PLACES.forEach((place, i) => {
      for (const serial of lists[i]!) {
        const other = seen.get(serial);
        if (other !== undefined) throw new StationError('IO', `card ${serial} is in ${other}/ and in ${place}/ of ${dir}; remove one of the two images`);
        seen.set(serial, place);
      }
    });
    const ic = lists[PLACES.indexOf('ic')]!;
    if (ic.length > 1) {
      throw new StationError('IO', `${ic.length} cards at the IC station (${dir}/ic/ holds ${ic.join(', ')}); the station holds one: move the others back to hopper/ or to reject/`);
    }
    const identity = await SimReaderIdentity.load(dir, file.id);
    const station = new SimStation(dir, identity, opts);
    const serial = ic[0];
    if (serial !== undefined) {
      // After a restart the card is still at the station: back at the contacts, unpowered.
      await station.insert(serial, false);
      station.log.info('card at the station after restart', { serial });
    }
    return station;
  }

  /**
   * Simulator only: puts `count` more cards into the hopper of the station
   * in `dir`: prepared ones (`prepare`), or raw ones (e.g. counterfeit cards
   * made with another master key and a serial prefix that sorts first, so
   * they are fed next), or factory cards with the transport key.
   * Resolves with their serials. ARGUMENT_INVALID when a serial exists already.
   */
  static async addCards(dir: string, cards: StockOptions): Promise<string[]> {
    await readStationFile(dir);
    return stockHopper(dir, cards);
  }

  cardAtStation(): Promise<boolean> {
    if (this.closed) return Promise.reject(closedError());
    return Promise.resolve(this.atStation !== undefined);
  }

  feed(): Promise<{ label: string }> {
    return this.serialize(async () => {
      if (this.atStation) throw new StationError('OCCUPIED', `card ${this.atStation.serial} is at the IC station; eject or capture it first`);
      const serial = (await listPlace(this.dir, 'hopper'))[0];
      if (serial === undefined) throw new StationError('HOPPER_EMPTY', `the hopper of ${this.identity.id} is empty`);
      await moveCard(this.dir, serial, 'hopper', 'ic');
      await this.insert(serial, true);
      this.log.info('card fed', { serial });
      return { label: serial };
    });
  }

  eject(): Promise<void> {
    return this.serialize(() => this.moveOut('gate'));
  }

  capture(): Promise<void> {
    return this.serialize(() => this.moveOut('reject'));
  }

  async status(): Promise<StationStatus> {
    if (this.closed) throw closedError();
    const n = (await listPlace(this.dir, 'hopper')).length;
    return { hopperRemaining: n, hopper: n === 0 ? 'empty' : n < HOPPER_LOW ? 'low' : 'ok', cardAtStation: this.atStation !== undefined };
  }

  /** Releases the reader; the card at the station (if any) stays there, on disk. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    await this.reader.close();
    await this.atStation?.contacts.detach();
    this.identity.destroy();
    this.log.debug('station closed', { id: this.identity.id });
  }

  /** Simulator only: arms the tearing hook (docs/sim-card.md) of the card at the station. */
  armPowerCut(plan: PowerCutPlan): void {
    if (this.closed) throw closedError();
    const contacts = this.atStation?.contacts;
    if (!(contacts instanceof StationContacts)) throw new StationError('NO_CARD', 'no working card at the IC station');
    try {
      contacts.card.setPowerCut(plan);
    } catch (e) {
      if (isSimCardError(e)) throw new StationError('ARGUMENT_INVALID', e.message);
      throw e;
    }
  }

  /** Simulator only: `listener` sees every card this station feeds, before it reaches the contacts. Returns an unsubscribe function. */
  onCardLoaded(listener: CardListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Simulator only: serials of the cards in `place` (feed order). Works after close. */
  cards(place: Place): Promise<string[]> {
    if (!isPlace(place)) return Promise.reject(new StationError('ARGUMENT_INVALID', `unknown place ${String(place)}`));
    return listPlace(this.dir, place);
  }

  /** Simulator only: where the image of card `serial` is when it is in `place`. */
  imagePath(place: Place, serial: string): string {
    if (!isPlace(place)) throw new StationError('ARGUMENT_INVALID', `unknown place ${String(place)}`);
    if (!SERIAL_RE.test(serial)) throw new StationError('ARGUMENT_INVALID', 'a serial is 4..10 bytes of uppercase hex');
    return cardPath(this.dir, place, serial);
  }

  private serialize<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError());
    const next = this.queue.then(() => (this.closed ? Promise.reject(closedError()) : op()));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Loads card `serial` from ic/ and puts it at the contacts (a card that does not load is a mute chip). */
  private async insert(serial: string, announce: boolean): Promise<void> {
    const path = cardPath(this.dir, 'ic', serial);
    let contacts: Contacts;
    try {
      // SimCard.open would make a new card for a missing image: the image must be there.
      if (!(await exists(path))) throw new StationError('IO', `${path} vanished`);
      const card = await SimCard.open({ statePath: path, clock: this.clock, ...this.cardOptions() });
      contacts = new StationContacts(card, this.clock, this.opts.latency);
      if (announce) this.announce(card, serial);
    } catch (e) {
      this.log.warn('card at the station does not load', { serial, error: cardErrorSummary(e) });
      contacts = new MuteContacts(e instanceof Error ? e : new Error('card load failed'));
    }
    this.atStation = { serial, contacts };
    this.reader.insert(contacts);
  }

  private async moveOut(to: 'gate' | 'reject'): Promise<void> {
    const at = this.atStation;
    if (!at) throw new StationError('NO_CARD', 'no card at the IC station');
    this.reader.remove();
    // The card's last command must have finished writing its image before the image moves.
    await at.contacts.detach();
    try {
      await moveCard(this.dir, at.serial, 'ic', to);
    } catch (e) {
      // Nothing moved: the card is still at the station, back at the contacts.
      const again = at.contacts instanceof StationContacts ? new StationContacts(at.contacts.card, this.clock, this.opts.latency) : at.contacts;
      this.atStation = { serial: at.serial, contacts: again };
      this.reader.insert(again);
      throw e;
    }
    this.atStation = undefined;
    this.log.info(to === 'gate' ? 'card ejected' : 'card captured', { serial: at.serial });
  }

  private announce(card: SimCard, serial: string): void {
    for (const l of [...this.listeners]) {
      try {
        l(card, serial);
      } catch (e) {
        this.log.warn('onCardLoaded listener failed', { error: cardErrorSummary(e) });
      }
    }
  }

  private cardOptions(): { logger?: Logger; random?: (n: number) => Uint8Array } {
    return { ...(this.opts.logger ? { logger: this.opts.logger } : {}), ...(this.opts.random ? { random: this.opts.random } : {}) };
  }
}

function closedError(): StationError {
  return new StationError('CLOSED', 'the station is closed');
}
