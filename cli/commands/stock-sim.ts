/**
 * Stock preparation on a simulated station (docs/provisioning.md §6): the
 * simulated card maker makes factory cards (transport key), each is
 * prepared over APDUs (provisioning/stock, the same runner a PC/SC reader
 * would use) and the prepared ones go into the station's hopper; those that
 * fail are set aside in its reject bin. Used by `cardline stock prepare`,
 * the demo, the test rigs and the benches: every card they issue comes from
 * a batch the center knows.
 */
import type { BatchManifest } from '../../card/stock/manifest.js';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { LatencyModel, SimCard } from '../../hardware/sim/card/index.js';
import { SimStation } from '../../hardware/sim/sim-station.js';
import { BatchPreparer, type BatchOptions, type CardFailure } from '../../provisioning/stock/index.js';

export interface SimStockOptions {
  count: number;
  /** 16 or 32 bytes; the caller's (copied for the batch and zeroized). */
  stockMasterKey: Uint8Array;
  batch: string;
  /** Default cardline-basic. */
  product?: string;
  serialPrefix?: string;
  clock: Clock;
  random: (n: number) => Uint8Array;
  logger?: Logger;
  /** Simulator only: sees each factory card before it is prepared (e.g. to arm a power cut). */
  onFactoryCard?: (card: SimCard, serial: string) => void;
}

export interface SimStockResult {
  /** The cards prepared and put into the hopper. */
  manifest: BatchManifest;
  /** The cards set aside (in the reject bin), with why. */
  failures: readonly CardFailure[];
}

/** Makes a new station in `dir` (empty or absent) whose hopper holds a prepared batch. */
export async function createStockedStation(dir: string, o: SimStockOptions & { latency?: LatencyModel; id?: string }): Promise<SimStockResult & { station: SimStation }> {
  const batch = BatchPreparer.create(batchOptions(o));
  try {
    const station = await SimStation.create({
      dir,
      count: o.count,
      prepare: batch.prepare,
      clock: o.clock,
      random: o.random,
      ...(o.onFactoryCard ? { onFactoryCard: o.onFactoryCard } : {}),
      ...(o.serialPrefix !== undefined ? { serialPrefix: o.serialPrefix } : {}),
      ...(o.logger ? { logger: o.logger } : {}),
      ...(o.latency ? { latency: o.latency } : {}),
      ...(o.id !== undefined ? { id: o.id } : {}),
    });
    try {
      return { station, manifest: batch.manifest(await station.cards('hopper')), failures: batch.failures };
    } catch (e) {
      await station.close();
      throw e;
    }
  } finally {
    batch.dispose();
  }
}

/** Adds a prepared batch to the hopper of the station in `dir` (which may be open elsewhere: only new files are added). */
export async function addStockToStation(dir: string, o: SimStockOptions): Promise<SimStockResult> {
  const batch = BatchPreparer.create(batchOptions(o));
  try {
    const stocked = await SimStation.addCards(dir, {
      count: o.count,
      prepare: batch.prepare,
      ...(o.onFactoryCard ? { onFactoryCard: o.onFactoryCard } : {}),
      ...(o.serialPrefix !== undefined ? { serialPrefix: o.serialPrefix } : {}),
      ...(o.logger ? { logger: o.logger } : {}),
    });
    return { manifest: batch.manifest(stocked), failures: batch.failures };
  } finally {
    batch.dispose();
  }
}

function batchOptions(o: SimStockOptions): BatchOptions {
  return {
    batch: o.batch,
    stockMasterKey: o.stockMasterKey,
    random: o.random,
    clock: o.clock,
    ...(o.product !== undefined ? { product: o.product } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
  };
}
