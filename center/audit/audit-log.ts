/**
 * The audit log over the store (DESIGN §6): an RFC 6962 Merkle log kept in
 * three tables (migrations/002-audit.ts). Every append runs inside the
 * caller's transaction, so an event and its entry commit or roll back
 * together, and it leaves the head signed: a head never exists unsigned.
 *
 * Appends serialize on the head row (`SELECT … FOR UPDATE`), which gives
 * every entry a unique, gap-free index on PostgreSQL with many center
 * workers as well as on PGlite. That lock is the site's one global point
 * of contention (docs/performance.md "Fleet at scale"), so it is held as
 * briefly as possible: one statement writes the entries, the checkpoints
 * and the head, and the head is signed in OpenSSL. Appends that need no
 * transaction of the caller's (`record`: the wire messages, refusals) are
 * group-committed: those waiting while a batch commits go together in the
 * next one, under one lock and one signature (group-commit.ts).
 *
 * Every CHECKPOINT_INTERVAL entries the signed head is also kept as a
 * checkpoint, so a later edit of the log cannot be hidden by re-signing:
 * the key signs forward only.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { Db, Sql } from '../store/db.js';
import { entryText, toRecord } from './entry-text.js';
import { AuditError } from './errors.js';
import { emptyRoot, Frontier, leafHash } from './merkle.js';
import { GroupCommit, MAX_BATCH } from './group-commit.js';
import { treeHeadSigner, type TreeHead } from './tree-head.js';
import type { AuditAppendResult, AuditEntryInput, AuditLog } from './types.js';

/** Entries between automatic checkpoints. */
export const CHECKPOINT_INTERVAL = 256;

export interface MerkleAuditLogOptions {
  /** The center's Ed25519 secret key (the 32-byte seed, RFC 8032 §5.1.5). */
  signingKey: Uint8Array;
  clock: Clock;
  logger: Logger;
}

interface HeadRow {
  size: number;
  frontier: Uint8Array;
  root: Uint8Array;
}

const utf8 = new TextEncoder();

export class MerkleAuditLog implements AuditLog {
  private readonly signer: (head: TreeHead) => Uint8Array;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly groups = new WeakMap<Db, GroupCommit>();

  constructor(opts: MerkleAuditLogOptions) {
    // The key goes into OpenSSL; the caller may zeroize its copy.
    this.signer = treeHeadSigner(opts.signingKey);
    this.clock = opts.clock;
    this.logger = opts.logger.child('audit');
  }

  async append(tx: Sql, entry: AuditEntryInput): Promise<AuditAppendResult> {
    const [result] = await this.appendMany(tx, [entry]);
    return result!;
  }

  record(db: Db, entry: AuditEntryInput): Promise<AuditAppendResult> {
    let group = this.groups.get(db);
    if (!group) {
      group = new GroupCommit(db, this);
      this.groups.set(db, group);
    }
    return group.add(entry);
  }

  check(entry: AuditEntryInput): void {
    toRecord(0, this.clock.now(), entry);
  }

  /**
   * Appends `entries` in order under one lock of the head, in one statement,
   * and signs the head once (plus a checkpoint at each multiple of
   * CHECKPOINT_INTERVAL the batch crosses). Every entry is validated before
   * anything is written: one refused entry leaves the log as it was.
   */
  async appendMany(tx: Sql, entries: readonly AuditEntryInput[]): Promise<AuditAppendResult[]> {
    if (entries.length === 0) return [];
    if (entries.length > MAX_BATCH) throw new AuditError('INVALID_ENTRY', `a batch of ${entries.length} entries (at most ${MAX_BATCH})`);
    const now = this.clock.now();
    for (const e of entries) toRecord(0, now, e);
    const head = await this.lockHead(tx);
    const frontier = Frontier.decode(head.frontier, head.size);
    const params: unknown[] = [];
    const values: string[] = [];
    const checkpoints: string[] = [];
    const results: AuditAppendResult[] = [];
    const param = (v: unknown): string => `$${params.push(v)}`;
    for (const entry of entries) {
      const idx = frontier.size;
      const text = entryText(toRecord(idx, now, entry));
      const leaf = leafHash(utf8.encode(text));
      frontier.push(leaf);
      values.push(`(${param(idx)}::int, ${param(text)}::text, ${param(leaf)}::bytea)`);
      results.push({ index: idx, size: frontier.size });
      if (frontier.size % CHECKPOINT_INTERVAL === 0) {
        const cp = this.sign({ size: frontier.size, root: frontier.root(), signedAtMs: now });
        checkpoints.push(`(${param(cp.size)}::int, ${param(cp.root)}::bytea, ${param(cp.signature)}::bytea, ${param(new Date(now))}::timestamptz)`);
      }
    }
    const signed = this.sign({ size: frontier.size, root: frontier.root(), signedAtMs: now });
    const cpInsert = checkpoints.length === 0 ? '' : `, cp AS (INSERT INTO audit_checkpoints (size, root, signature, signed_at) VALUES ${checkpoints.join(', ')} ON CONFLICT (size) DO NOTHING)`;
    // Data-modifying WITH clauses run to completion whether or not anything reads them (PostgreSQL §7.8.4): one round trip.
    await tx.query(
      `WITH ins AS (INSERT INTO audit_entries (idx, entry, leaf_hash) VALUES ${values.join(', ')})${cpInsert}
       UPDATE audit_head SET size = ${param(signed.size)}, frontier = ${param(frontier.encode())}, root = ${param(signed.root)}, signature = ${param(signed.signature)}, signed_at = ${param(new Date(now))} WHERE id = 1`,
      params,
    );
    this.logger.debug('audit entries appended', { index: head.size, count: entries.length });
    return results;
  }

  async checkpoint(tx: Sql): Promise<{ size: number; rootHex: string }> {
    const head = await this.lockHead(tx);
    const signed = this.sign({ size: head.size, root: head.root, signedAtMs: this.clock.now() });
    // One checkpoint per size: an existing one (e.g. the automatic one) stands.
    await this.insertCheckpoint(tx, signed);
    this.logger.info('audit checkpoint', { size: head.size });
    return { size: head.size, rootHex: Buffer.from(head.root).toString('hex') };
  }

  private sign(head: TreeHead): TreeHead & { signature: Uint8Array } {
    return { ...head, signature: this.signer(head) };
  }

  private async insertCheckpoint(tx: Sql, head: TreeHead & { signature: Uint8Array }): Promise<void> {
    await tx.query(
      'INSERT INTO audit_checkpoints (size, root, signature, signed_at) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING',
      [head.size, head.root, head.signature, new Date(head.signedAtMs)],
    );
  }

  /**
   * Locks the head row for this transaction, creating the signed empty head
   * on first use. Two first appends may race to create it: ON CONFLICT DO
   * NOTHING lets one win, and the re-select then waits on its row lock.
   */
  private async lockHead(tx: Sql): Promise<HeadRow> {
    const select = 'SELECT size, frontier, root FROM audit_head WHERE id = 1 FOR UPDATE';
    const found = await tx.query<HeadRow>(select);
    if (found.rows[0]) return found.rows[0];
    const empty = this.sign({ size: 0, root: emptyRoot(), signedAtMs: this.clock.now() });
    await tx.query(
      'INSERT INTO audit_head (id, size, frontier, root, signature, signed_at) VALUES (1, 0, $1, $2, $3, $4) ON CONFLICT (id) DO NOTHING',
      [new Uint8Array(0), empty.root, empty.signature, new Date(empty.signedAtMs)],
    );
    const created = await tx.query<HeadRow>(select);
    if (!created.rows[0]) throw new AuditError('CORRUPT_STATE', 'the audit head row is missing after its insert');
    return created.rows[0];
  }
}
