/**
 * The audit log over the store (DESIGN §6): an RFC 6962 Merkle log kept in
 * three tables (migrations/002-audit.ts). Every append runs inside the
 * caller's transaction, so an event and its entry commit or roll back
 * together, and it leaves the head signed: a head never exists unsigned.
 *
 * Appends serialize on the head row (`SELECT … FOR UPDATE`), which gives
 * every entry a unique, gap-free index on PostgreSQL with many center
 * workers as well as on PGlite. Every CHECKPOINT_INTERVAL entries the signed
 * head is also kept as a checkpoint, so a later edit of the log cannot be
 * hidden by re-signing: the key signs forward only.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { Sql } from '../store/db.js';
import { entryText, toRecord } from './entry-text.js';
import { AuditError } from './errors.js';
import { emptyRoot, Frontier, leafHash } from './merkle.js';
import { checkKey, signTreeHead, type TreeHead } from './tree-head.js';
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
  private readonly signingKey: Uint8Array;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(opts: MerkleAuditLogOptions) {
    checkKey(opts.signingKey, 'the audit signing key');
    // Our own copy: the caller may zeroize theirs.
    this.signingKey = Uint8Array.from(opts.signingKey);
    this.clock = opts.clock;
    this.logger = opts.logger.child('audit');
  }

  async append(tx: Sql, entry: AuditEntryInput): Promise<AuditAppendResult> {
    const head = await this.lockHead(tx);
    const now = this.clock.now();
    // Validate before writing anything: a refused entry leaves the log as it was.
    const text = entryText(toRecord(head.size, now, entry));
    const leaf = leafHash(utf8.encode(text));
    const frontier = Frontier.decode(head.frontier, head.size);
    await tx.query('INSERT INTO audit_entries (idx, entry, leaf_hash) VALUES ($1, $2, $3)', [head.size, text, leaf]);
    frontier.push(leaf);
    const signed = this.sign({ size: frontier.size, root: frontier.root(), signedAtMs: now });
    await tx.query('UPDATE audit_head SET size = $1, frontier = $2, root = $3, signature = $4, signed_at = $5 WHERE id = 1', [
      signed.size,
      frontier.encode(),
      signed.root,
      signed.signature,
      new Date(now),
    ]);
    if (signed.size % CHECKPOINT_INTERVAL === 0) await this.insertCheckpoint(tx, signed);
    this.logger.debug('audit entry appended', { index: head.size, kind: entry.kind });
    return { index: head.size, size: signed.size };
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
    return { ...head, signature: signTreeHead(head, this.signingKey) };
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
