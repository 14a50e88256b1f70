/**
 * Stocking a simulated station's hopper with factory-fresh cards. The cards
 * are made by `Hopper.create` (hopper.ts: serials, KDF3-diversified ISD keys)
 * in a temporary sub-directory and then moved into `hopper/`. The hopper's
 * manifest is dropped: in a station the file's place is the card's state.
 */
import { randomBytes } from 'node:crypto';
import { readdir, rename, rm, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../../card/bytes.js';
import type { Logger } from '../../common/log.js';
import { StationError } from '../station.js';
import { Hopper, HopperError, HOPPER_MANIFEST } from './hopper.js';
import { cardPath, exists, fsCode, listPlace, moveCardFile, PLACES, placeDir, syncDir } from './station-fs.js';

export interface StockOptions {
  /** Number of cards, 1..100 000. */
  count: number;
  /** The stock master key (KMC), 16 or 32 bytes; used to diversify each card's ISD keys and stored nowhere. */
  stockMasterKey: Uint8Array;
  /** Hex, 1..6 bytes (default the hopper's CA4D0000). Serials sort by it: a lower prefix is fed first. */
  serialPrefix?: string;
  /** Key version number of the factory key set (default: the card's). */
  kvn?: number;
  logger?: Logger;
}

/**
 * Makes the cards and puts them into `<dir>/hopper/`: by renaming the whole
 * directory when there is no hopper yet, else card by card. Refuses
 * ARGUMENT_INVALID (nothing added) when a new serial is already in the
 * station, in any place. Resolves with the new serials in feed order.
 */
export async function stockHopper(dir: string, opts: StockOptions): Promise<string[]> {
  const tmp = join(dir, `.stock-${toHex(new Uint8Array(randomBytes(4))).toLowerCase()}`);
  try {
    const serials = await makeCards(tmp, opts);
    const hopper = placeDir(dir, 'hopper');
    if (!(await exists(hopper))) {
      await renameDir(tmp, hopper);
      return serials;
    }
    await refuseDuplicates(dir, serials);
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

async function refuseDuplicates(dir: string, serials: string[]): Promise<void> {
  const fresh = new Set(serials);
  for (const place of PLACES) {
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
