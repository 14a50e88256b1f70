/**
 * One batch of card stock (docs/provisioning.md §6): every card of the
 * batch prepared in turn (prepare-card.ts); a card that fails is set aside
 * with its reason and the batch goes on. The manifest lists the cards that
 * passed, by label (serial) and KDD.
 *
 * Where the cards come from is the caller's (a simulated station's card
 * maker, a PC/SC reader fed by hand): it hands each card to `prepare` as a
 * label and a transport, and puts it where the outcome says.
 */
import { zeroize } from '../../card/bytes.js';
import { isCardError } from '../../card/errors.js';
import { BATCH_ID_PATTERN, checkManifest, MANIFEST_VERSION, stockProduct, type BatchManifest, type StockProduct } from '../../card/stock/index.js';
import type { Clock } from '../../common/clock.js';
import { silentLogger, type Logger } from '../../common/log.js';
import { asPrepError, StockError, type CardFailureReason } from './errors.js';
import { prepareCard, type StockCardTransport } from './prepare-card.js';

/** One card as its source hands it over. */
export interface StockCard {
  /** The card's serial as its maker labels it (hex). */
  readonly label: string;
  readonly transport: StockCardTransport;
}

export type CardOutcome = { readonly ok: true; readonly kdd: string } | { readonly ok: false; readonly failure: CardFailure };

export interface CardFailure {
  readonly serial: string;
  readonly reason: CardFailureReason;
  readonly step: string;
  /** Status word as 4 hex digits, when the card gave one. */
  readonly sw?: string;
}

export interface BatchOptions {
  readonly batch: string;
  /** A card profile name (card/script/profile.ts), default cardline-basic. */
  readonly product?: string;
  /** 16 or 32 bytes; copied, and the copy zeroized by `dispose`. */
  readonly stockMasterKey: Uint8Array;
  readonly random: (n: number) => Uint8Array;
  readonly clock: Clock;
  readonly logger?: Logger;
}

export class BatchPreparer {
  private readonly prepared = new Map<string, string>();
  private readonly failed: CardFailure[] = [];
  private readonly log: Logger;
  private disposed = false;

  private constructor(
    readonly batch: string,
    readonly product: StockProduct,
    private readonly kmc: Uint8Array,
    private readonly opts: BatchOptions,
  ) {
    this.log = (opts.logger ?? silentLogger).child('stock');
  }

  /** Throws StockError ARGUMENT_INVALID for a bad batch ID, product or key length. */
  static create(opts: BatchOptions): BatchPreparer {
    if (!BATCH_ID_PATTERN.test(opts.batch)) throw new StockError('ARGUMENT_INVALID', 'batch ID: 1..64 of [A-Za-z0-9._-], starting with a letter or digit');
    let product: StockProduct;
    try {
      product = stockProduct(opts.product ?? 'cardline-basic');
    } catch (e) {
      if (isCardError(e)) throw new StockError('ARGUMENT_INVALID', e.message);
      throw e;
    }
    const n = opts.stockMasterKey.length;
    if (n !== 16 && n !== 32) throw new StockError('ARGUMENT_INVALID', `stock master key of ${n} bytes (16 or 32)`);
    return new BatchPreparer(opts.batch, product, opts.stockMasterKey.slice(), opts);
  }

  /** Prepares one card; never throws for the card's own failures (they are outcomes). */
  readonly prepare = async (card: StockCard): Promise<CardOutcome> => {
    if (this.disposed) throw new StockError('ARGUMENT_INVALID', 'the batch preparer has been disposed');
    try {
      const { kdd } = await prepareCard({ transport: card.transport, stockMasterKey: this.kmc, product: this.product, batch: this.batch, random: this.opts.random });
      if ([...this.prepared.values()].includes(kdd)) throw new StockError('ARGUMENT_INVALID', `two cards of the batch report one KDD (${card.label})`);
      this.prepared.set(card.label, kdd);
      this.log.info('card prepared', { batch: this.batch, serial: card.label });
      return { ok: true, kdd };
    } catch (e) {
      if (e instanceof StockError) throw e;
      const err = asPrepError(e, 'card');
      const failure: CardFailure = { serial: card.label, reason: err.reason, step: err.step, ...(err.sw !== undefined ? { sw: err.sw.toString(16).toUpperCase().padStart(4, '0') } : {}) };
      this.failed.push(failure);
      this.log.warn('card set aside', { batch: this.batch, ...failure });
      return { ok: false, failure };
    }
  };

  get failures(): readonly CardFailure[] {
    return this.failed;
  }

  /**
   * The manifest of the cards prepared, in the order given by `stocked`
   * (the cards that actually reached the stock; default all prepared).
   * Throws StockError NO_CARD_PREPARED when it would list none.
   */
  manifest(stocked?: readonly string[]): BatchManifest {
    const labels = stocked ?? [...this.prepared.keys()];
    const cards = labels.flatMap((serial) => {
      const kdd = this.prepared.get(serial);
      return kdd === undefined ? [] : [{ serial, kdd }];
    });
    if (cards.length === 0) throw new StockError('NO_CARD_PREPARED', `no card of batch ${this.batch} could be prepared`);
    return checkManifest({ v: MANIFEST_VERSION, batch: this.batch, product: this.product.name, createdAt: new Date(this.opts.clock.now()).toISOString(), cards });
  }

  /** Zeroizes the batch's copy of the stock master key. Idempotent. */
  dispose(): void {
    this.disposed = true;
    zeroize(this.kmc);
  }
}
