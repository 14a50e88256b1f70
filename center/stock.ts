/**
 * Card stock at the center (docs/provisioning.md §6): the batches `cardline
 * stock prepare` made, registered from their manifests, and the gate card
 * authentication passes through: a card is issued onto only when its KDD is
 * in an active batch (handlers/card.ts, reason `card-not-in-stock`).
 *
 * Every change is one transaction with its audit entry; a refused
 * registration leaves nothing behind.
 */
import { checkManifest, KDD_PATTERN, ManifestError, type BatchManifest } from '../card/stock/manifest.js';
import { BATCH_ID_PATTERN } from '../card/stock/product-data.js';
import type { Clock } from '../common/clock.js';
import type { AuditLog } from './audit/types.js';
import type { Db, Sql } from './store/db.js';

export type StockRegistryErrorCode =
  /** The manifest is malformed (the first defect named). */
  | 'BATCH_INVALID'
  /** A batch with this ID is registered already. */
  | 'BATCH_EXISTS'
  /** A card of the manifest is registered already (in another batch, or this one's ID under another name). */
  | 'CARD_REGISTERED'
  | 'BATCH_UNKNOWN'
  /** The batch is withdrawn already: nothing changed, nothing audited. */
  | 'BATCH_UNCHANGED';

export class StockRegistryError extends Error {
  override readonly name = 'StockRegistryError';
  constructor(
    readonly code: StockRegistryErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isStockRegistryError(e: unknown, code?: StockRegistryErrorCode): e is StockRegistryError {
  return e instanceof StockRegistryError && (code === undefined || e.code === code);
}

export interface StockDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
}

export interface BatchRow {
  id: string;
  product: string;
  cardCount: number;
  status: 'active' | 'withdrawn';
  registeredAt: Date;
}

/** Rows per INSERT: well under PostgreSQL's 65535 bind parameters (one array parameter per column). */
const INSERT_CHUNK = 5000;

/**
 * Registers a batch and every card of it. Throws StockRegistryError
 * BATCH_INVALID (the manifest), BATCH_EXISTS, CARD_REGISTERED; then nothing
 * is registered. Resolves with the number of cards.
 */
export async function registerBatch(deps: StockDeps, manifest: unknown, by = 'cli'): Promise<number> {
  let m: BatchManifest;
  try {
    m = checkManifest(manifest);
  } catch (e) {
    if (e instanceof ManifestError) throw new StockRegistryError('BATCH_INVALID', e.message.replace(/^MANIFEST_INVALID: /, ''));
    throw e;
  }
  const now = new Date(deps.clock.now());
  const kdds = m.cards.map((c) => c.kdd);
  await deps.db.transaction(async (tx) => {
    const exists = await tx.query('SELECT 1 FROM card_batches WHERE id = $1', [m.batch]);
    if (exists.rows.length > 0) throw new StockRegistryError('BATCH_EXISTS', `batch ${m.batch} is registered already`);
    const taken = await tx.query<{ kdd: string; batch_id: string }>('SELECT kdd, batch_id FROM stock_cards WHERE kdd = ANY($1::text[]) LIMIT 1', [kdds]);
    const clash = taken.rows[0];
    if (clash !== undefined) throw new StockRegistryError('CARD_REGISTERED', `card ${clash.kdd} is registered already (batch ${clash.batch_id})`);
    await tx.query(`INSERT INTO card_batches (id, product, card_count, status, registered_at) VALUES ($1, $2, $3, 'active', $4)`, [m.batch, m.product, m.cards.length, now]);
    for (let i = 0; i < kdds.length; i += INSERT_CHUNK) {
      await tx.query('INSERT INTO stock_cards (kdd, batch_id) SELECT unnest($1::text[]), $2', [kdds.slice(i, i + INSERT_CHUNK), m.batch]);
    }
    await deps.audit.append(tx, { kind: 'stock.registered', detail: { batch: m.batch, product: m.product, count: m.cards.length, by } });
  });
  return m.cards.length;
}

/**
 * Withdraws a batch: its cards are refused from now on. Throws
 * BATCH_UNKNOWN, or BATCH_UNCHANGED when it is withdrawn already (nothing
 * audited).
 */
export async function withdrawBatch(deps: StockDeps, batch: string, reason = 'operator', by = 'cli'): Promise<void> {
  if (!BATCH_ID_PATTERN.test(batch)) throw new StockRegistryError('BATCH_UNKNOWN', 'not a batch ID');
  await deps.db.transaction(async (tx) => {
    const r = await tx.query(`UPDATE card_batches SET status = 'withdrawn' WHERE id = $1 AND status = 'active' RETURNING id`, [batch]);
    if (r.rows.length === 0) {
      const known = await tx.query('SELECT 1 FROM card_batches WHERE id = $1', [batch]);
      if (known.rows.length === 0) throw new StockRegistryError('BATCH_UNKNOWN', `no batch ${batch}`);
      throw new StockRegistryError('BATCH_UNCHANGED', `batch ${batch} is withdrawn already`);
    }
    await deps.audit.append(tx, { kind: 'stock.withdrawn', detail: { batch, reason: reason.slice(0, 200), by } });
  });
}

export async function listBatches(db: Db | Sql): Promise<BatchRow[]> {
  const r = await db.query<{ id: string; product: string; card_count: number; status: 'active' | 'withdrawn'; registered_at: Date }>(
    'SELECT id, product, card_count, status, registered_at FROM card_batches ORDER BY registered_at, id',
  );
  return r.rows.map((row) => ({ id: row.id, product: row.product, cardCount: Number(row.card_count), status: row.status, registeredAt: new Date(row.registered_at) }));
}

/** True when the card (its KDD, 20 upper-case hex digits as card authentication reports it) is in an active batch. */
export async function isStockCard(db: Db | Sql, kdd: string): Promise<boolean> {
  if (!KDD_PATTERN.test(kdd)) return false;
  const r = await db.query(`SELECT 1 FROM stock_cards s JOIN card_batches b ON b.id = s.batch_id WHERE s.kdd = $1 AND b.status = 'active'`, [kdd]);
  return r.rows.length > 0;
}
