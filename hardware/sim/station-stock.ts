/**
 * Stocking a simulated station's hopper. The card maker (`Hopper.create`,
 * hopper.ts) makes the cards in a temporary sub-directory: factory cards
 * with the transport key, or raw cards with ISD keys already diversified
 * (`stockMasterKey`, tests only). With `prepare`, each factory card is then
 * put into a reader of its own and handed to the preparation (stock
 * preparation, docs/provisioning.md §6, is injected: this room may not
 * import provisioning/); the cards it accepts go into `hopper/`, the others
 * are set aside in `reject/`. The hopper's manifest is dropped: in a station
 * the file's place is the card's state.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../../card/bytes.js';
import type { Logger } from '../../common/log.js';
import type { CardTransport } from '../card-transport.js';
import { StationError } from '../station.js';
import { SimCard } from './card/index.js';
import { Hopper, HopperError, HOPPER_MANIFEST } from './hopper.js';
import { SimReader } from './sim-reader.js';
import { cardPath, exists, fsCode, listPlace, moveCardFile, PLACES, placeDir, syncDir } from './station-fs.js';

/** A factory card handed to the preparation: its serial and a reader holding it (unpowered). */
export interface FactoryCard {
  readonly label: string;
  readonly transport: CardTransport;
}

export interface StockOptions {
  /** Number of cards, 1..100 000. */
  count: number;
  /**
   * Raw cards (tests that need a card outside any batch): ISD keys KDF3-
   * diversified from this key at once. Absent: factory cards with the
   * transport key, to be prepared.
   */
  stockMasterKey?: Uint8Array | undefined;
  /**
   * Stock preparation of each factory card (provisioning/stock BatchPreparer.prepare):
   * `ok: false` sets the card aside. Not with `stockMasterKey`.
   */
  prepare?: ((card: FactoryCard) => Promise<{ readonly ok: boolean }>) | undefined;
  /** Simulator only: sees each factory card before it is prepared (e.g. to arm a power cut). */
  onFactoryCard?: ((card: SimCard, serial: string) => void) | undefined;
  /** Hex, 1..6 bytes (default the hopper's CA4D0000). Serials sort by it: a lower prefix is fed first. */
  serialPrefix?: string | undefined;
  /** Key version number of the factory key set (default: the card's). */
  kvn?: number | undefined;
  logger?: Logger | undefined;
}

/**
 * Makes the cards (and prepares them, with `prepare`) and puts them into
 * `<dir>/hopper/`: by renaming the whole directory when there is no hopper
 * yet, else card by card. Refuses ARGUMENT_INVALID (nothing added) when a
 * new serial is already in the station, in any place. Resolves with the
 * serials put into the hopper, in feed order.
 */
export async function stockHopper(dir: string, opts: StockOptions): Promise<string[]> {
  if (opts.prepare !== undefined && opts.stockMasterKey !== undefined) {
    throw new StationError('ARGUMENT_INVALID', 'prepared stock starts from factory cards: no stock master key');
  }
  const tmp = join(dir, `.stock-${toHex(new Uint8Array(randomBytes(4))).toLowerCase()}`);
  try {
    let serials = await makeCards(tmp, opts);
    await refuseDuplicates(dir, serials);
    if (opts.prepare !== undefined) serials = await prepareAll(dir, tmp, serials, opts.prepare, opts);
    if (serials.length === 0) {
      await rmdir(tmp).catch(() => undefined);
      return serials;
    }
    const hopper = placeDir(dir, 'hopper');
    if (!(await exists(hopper))) {
      await renameDir(tmp, hopper);
      return serials;
    }
    for (const serial of serials) await moveCardFile(join(tmp, `${serial}.eeprom`), cardPath(dir, 'hopper', serial));
    await syncDir(hopper).catch(() => undefined);
    await rmdir(tmp).catch(() => undefined);
    return serials;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
}

async function makeCards(tmp: string, opts: StockOptions): Promise<string[]> {
  let hopper: Hopper;
  try {
    hopper = await Hopper.create({
      dir: tmp,
      count: opts.count,
      stockMasterKey: opts.stockMasterKey,
      ...(opts.serialPrefix !== undefined ? { serialPrefix: opts.serialPrefix } : {}),
      ...(opts.kvn !== undefined ? { kvn: opts.kvn } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
  } catch (e) {
    if (e instanceof HopperError) throw new StationError(e.code === 'ARGUMENT_INVALID' ? 'ARGUMENT_INVALID' : 'IO', e.message);
    throw e;
  }
  try {
    await unlink(join(tmp, HOPPER_MANIFEST));
  } catch (e) {
    throw new StationError('IO', `cannot remove the hopper manifest in ${tmp} (${fsCode(e)})`);
  }
  return [...hopper.serials].sort();
}

/** Prepares each card in a reader of its own; moves the refused ones to reject/. Resolves with the accepted serials. */
async function prepareAll(dir: string, tmp: string, serials: string[], prepare: NonNullable<StockOptions['prepare']>, opts: StockOptions): Promise<string[]> {
  const accepted: string[] = [];
  const refused: string[] = [];
  for (const serial of serials) {
    const card = await SimCard.open({ statePath: join(tmp, `${serial}.eeprom`), ...(opts.logger ? { logger: opts.logger } : {}) });
    opts.onFactoryCard?.(card, serial);
    const reader = new SimReader({ name: `card-maker:${serial}`, ...(opts.logger ? { logger: opts.logger } : {}) });
    reader.insert(card);
    try {
      const outcome = await prepare({ label: serial, transport: reader });
      (outcome.ok ? accepted : refused).push(serial);
    } finally {
      reader.remove();
      await reader.close();
    }
  }
  if (refused.length > 0) {
    const reject = placeDir(dir, 'reject');
    await mkdir(reject, { recursive: true });
    for (const serial of refused) await moveCardFile(join(tmp, `${serial}.eeprom`), cardPath(dir, 'reject', serial));
    await syncDir(reject).catch(() => undefined);
  }
  return accepted;
}

async function refuseDuplicates(dir: string, serials: string[]): Promise<void> {
  const fresh = new Set(serials);
  for (const place of PLACES) {
    // A station being created has no places yet.
    if (!(await exists(placeDir(dir, place)))) continue;
    const clash = (await listPlace(dir, place)).find((s) => fresh.has(s));
    if (clash !== undefined) {
      throw new StationError('ARGUMENT_INVALID', `card ${clash} is already in the station (${place}); choose another serial prefix`);
    }
  }
}

async function renameDir(from: string, to: string): Promise<void> {
  try {
    // Only the card images may remain in the new hopper.
    const names = await readdir(from);
    if (names.some((n) => !n.endsWith('.eeprom'))) throw new StationError('IO', `unexpected files in ${from}`);
    await rename(from, to);
  } catch (e) {
    if (e instanceof StationError) throw e;
    throw new StationError('IO', `cannot move the new cards into ${to} (${fsCode(e)})`);
  }
  await syncDir(join(to, '..')).catch(() => undefined);
}
