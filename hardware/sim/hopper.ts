/**
 * A hopper of blank cards, as a card maker ships them to a kiosk (DESIGN §1:
 * "access key stored in the card at factory shipment"; the source's issuing
 * machine feeds cards from a hopper).
 *
 * Factory state of every card:
 * - its own serial: `serialPrefix` ‖ index from 1 (4 bytes, big-endian), so serials
 *   are unique within a hopper and the same for the same prefix and index;
 * - life cycle as the simulated card ships it (OP_READY unless the card's
 *   default says otherwise), no application personalized;
 * - one ISD SCP03 key set: the card maker's transport key (the GlobalPlatform
 *   test key 40..4F at KVN 30, the simulated card's default), which stock
 *   preparation replaces (docs/provisioning.md §6: `cardline stock prepare`,
 *   provisioning/stock/). Only with `stockMasterKey` (tests that need a raw
 *   card, the card demo) is the set KDF3-diversified from that master key
 *   and the card's KDD at once (card-protocol.md "Key diversification"),
 *   skipping the preparation: such a card is in no batch;
 * - its EEPROM image in `<dir>/<serial>.eeprom`, owned by the card.
 *
 * `<dir>/hopper.json` lists the serials and which were taken, so a hopper
 * reopened after a restart does not hand out a card twice. The KMC is used
 * at creation only and stored nowhere.
 */
import { mkdir, readFile, rename, stat, writeFile, access } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../common/clock.js';
import { silentLogger, type Logger } from '../../common/log.js';
import { SimCard } from './card/index.js';

type SimCardOpenOptions = Parameters<typeof SimCard.open>[0];

export const HOPPER_MANIFEST = 'hopper.json';
const FORMAT = 'cardline-hopper';
const VERSION = 1;
/** The largest manifest `open` reads: a file beyond it is refused before it is read. */
export const MAX_MANIFEST_BYTES = 8 * 1024 * 1024;
/** Serial prefix of a hopper made without one (4 bytes: serials are 8 bytes). */
export const DEFAULT_SERIAL_PREFIX = 'CA4D0000';

export type HopperErrorCode = 'ARGUMENT_INVALID' | 'EXISTS' | 'MANIFEST_INVALID' | 'IO';

export class HopperError extends Error {
  override readonly name = 'HopperError';
  constructor(
    readonly code: HopperErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export interface HopperCardOptions {
  clock?: Clock;
  logger?: Logger;
  /** Passed to every card (SimCard's latency model). */
  latency?: SimCardOpenOptions['latency'];
  /** Passed to every card (its random source, for reproducible challenges in tests). */
  random?: SimCardOpenOptions['random'];
}

export interface HopperCreateOptions extends HopperCardOptions {
  /** Directory for the manifest and the EEPROM images; created if missing, must not hold a hopper. */
  dir: string;
  /** Number of cards, 1..100 000. */
  count: number;
  /**
   * Raw cards only: ISD keys KDF3-diversified from this stock master key
   * (16 or 32 bytes; not stored) instead of the transport key. Cards made so
   * skip stock preparation and are in no batch.
   */
  stockMasterKey?: Uint8Array | undefined;
  /** Hex, 1..6 bytes (default CA4D0000). */
  serialPrefix?: string;
  /** Key version number of the factory key set (default: the card's default). */
  kvn?: number;
}

interface Manifest {
  format: typeof FORMAT;
  version: typeof VERSION;
  serials: string[];
  taken: string[];
}

export class Hopper {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private readonly manifest: Manifest,
    private readonly cardOpts: HopperCardOptions,
  ) {}

  /** Makes `count` factory-fresh cards in `dir` (transport key, or raw with `stockMasterKey`). */
  static async create(opts: HopperCreateOptions): Promise<Hopper> {
    const prefix = (opts.serialPrefix ?? DEFAULT_SERIAL_PREFIX).toUpperCase();
    if (!/^([0-9A-F]{2}){1,6}$/.test(prefix)) throw new HopperError('ARGUMENT_INVALID', 'serialPrefix must be 1..6 bytes of hex');
    if (!Number.isInteger(opts.count) || opts.count < 1 || opts.count > 100_000) {
      throw new HopperError('ARGUMENT_INVALID', `count must be 1..100000, not ${opts.count}`);
    }
    const kmcLen = opts.stockMasterKey?.length ?? 16;
    if (kmcLen !== 16 && kmcLen !== 32) {
      throw new HopperError('ARGUMENT_INVALID', `stock master key of ${kmcLen} bytes (16 for AES-128 or 32 for AES-256)`);
    }
    await mkdir(opts.dir, { recursive: true }).catch((e: unknown) => {
      throw new HopperError('IO', `cannot create ${opts.dir} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    });
    if (await exists(join(opts.dir, HOPPER_MANIFEST))) throw new HopperError('EXISTS', `${opts.dir} already holds a hopper`);
    const log = (opts.logger ?? silentLogger).child('hopper');
    const serials: string[] = [];
    for (let i = 0; i < opts.count; i++) {
      // Serials count from 1: an all-zero IC serial number reads like an unset one.
      const serial = prefix + (i + 1).toString(16).toUpperCase().padStart(8, '0');
      const kmc = opts.stockMasterKey?.slice();
      let card: SimCard;
      try {
        // Opening with a path that does not exist yet writes the factory image; the card is then dropped.
        // Without a master key the card keeps its default ISD keys: the transport key at KVN 30.
        card = await SimCard.open({
          ...cardOptions(opts),
          statePath: imagePath(opts.dir, serial),
          profile: { serial, ...(kmc ? { master: { kmc } } : {}), ...(opts.kvn !== undefined ? { kvn: opts.kvn } : {}) },
        });
      } finally {
        kmc?.fill(0);
      }
      card.powerOff();
      serials.push(card.serial);
    }
    const manifest: Manifest = { format: FORMAT, version: VERSION, serials, taken: [] };
    await writeManifest(opts.dir, manifest);
    log.info('hopper created', { dir: opts.dir, cards: serials.length });
    // Only the card options: the hopper must not keep a reference to the caller's KMC.
    return new Hopper(opts.dir, manifest, cardOptions(opts));
  }

  /** Reopens a hopper made by `create` (possibly by another process). */
  static async open(dir: string, opts: HopperCardOptions = {}): Promise<Hopper> {
    const path = join(dir, HOPPER_MANIFEST);
    let text: string;
    try {
      const { size } = await stat(path);
      // 100 000 serials of 20 hex digits, twice (all taken), fit in ~5 MB.
      if (size > MAX_MANIFEST_BYTES) throw new HopperError('MANIFEST_INVALID', `${path} is ${size} bytes (limit ${MAX_MANIFEST_BYTES})`);
      text = await readFile(path, 'utf8');
    } catch (e) {
      if (e instanceof HopperError) throw e;
      throw new HopperError('IO', `no hopper in ${dir} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return new Hopper(dir, parseManifest(text), opts);
  }

  /** Cards left. */
  get remaining(): number {
    return this.manifest.serials.length - this.manifest.taken.length;
  }

  /** Serials of all cards the hopper was made with, in feed order. */
  get serials(): readonly string[] {
    return this.manifest.serials;
  }

  /**
   * Feeds the next card (undefined when empty). The card is recorded as taken
   * only once it has loaded, so a corrupt image does not silently vanish.
   */
  take(): Promise<SimCard | undefined> {
    const next = this.queue.then(() => this.takeNow());
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async takeNow(): Promise<SimCard | undefined> {
    const taken = new Set(this.manifest.taken);
    const serial = this.manifest.serials.find((s) => !taken.has(s));
    if (serial === undefined) return undefined;
    const card = await SimCard.open({ ...cardOptions(this.cardOpts), statePath: imagePath(this.dir, serial) });
    this.manifest.taken.push(serial);
    await writeManifest(this.dir, this.manifest);
    (this.cardOpts.logger ?? silentLogger).child('hopper').debug('card fed', { serial, remaining: this.remaining });
    return card;
  }
}

function cardOptions(o: HopperCardOptions): Omit<SimCardOpenOptions, 'statePath' | 'profile'> {
  return {
    ...(o.clock ? { clock: o.clock } : {}),
    ...(o.logger ? { logger: o.logger } : {}),
    ...(o.latency ? { latency: o.latency } : {}),
    ...(o.random ? { random: o.random } : {}),
  };
}

function imagePath(dir: string, serial: string): string {
  return join(dir, `${serial}.eeprom`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** Write-then-rename, so a crash leaves the old manifest or the new one, never half of one. */
async function writeManifest(dir: string, m: Manifest): Promise<void> {
  const path = join(dir, HOPPER_MANIFEST);
  const tmp = `${path}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(m, null, 2)}\n`);
    await rename(tmp, path);
  } catch (e) {
    throw new HopperError('IO', `cannot write ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

function parseManifest(text: string): Manifest {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new HopperError('MANIFEST_INVALID', 'hopper.json is not JSON');
  }
  const m = v as Partial<Manifest>;
  const hexList = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string' && /^[0-9A-F]+$/.test(s));
  if (m.format !== FORMAT || m.version !== VERSION) throw new HopperError('MANIFEST_INVALID', 'not a version 1 cardline hopper');
  if (!hexList(m.serials) || !hexList(m.taken)) throw new HopperError('MANIFEST_INVALID', 'serials and taken must be lists of hex serials');
  const all = new Set(m.serials);
  if (all.size !== m.serials.length) throw new HopperError('MANIFEST_INVALID', 'duplicate serials');
  if (!m.taken.every((s) => all.has(s)) || new Set(m.taken).size !== m.taken.length) {
    throw new HopperError('MANIFEST_INVALID', 'taken lists serials the hopper does not hold');
  }
  return { format: FORMAT, version: VERSION, serials: m.serials, taken: m.taken };
}
