/**
 * The audit log's interface (DESIGN §6): an append-only Merkle log in the
 * style of RFC 6962 over every exchange and every job move, with checkpoints
 * signed by the center's Ed25519 key.
 *
 * Entries never hold personal data in clear (DESIGN §6): identifiers, message
 * types, reason codes, status words, counts and keyed hashes only.
 */
import type { Db, Sql } from '../store/db.js';

/** Values an entry's detail may hold. No byte arrays: hash or drop them first. */
export type AuditValue = string | number | boolean | null;

export interface AuditEntryInput {
  /** What happened, e.g. 'wire.in', 'wire.out', 'wire.refused', 'job.move', 'broker.refused'. */
  kind: string;
  kiosk?: string;
  job?: string;
  session?: string;
  detail: Record<string, AuditValue>;
}

export interface AuditAppendResult {
  /** 0-based position of the entry in the log. */
  index: number;
  /** Tree size after the append. */
  size: number;
}

export interface AuditLog {
  /**
   * Appends one entry inside the caller's transaction (so a job move and its
   * entry commit together). Serializes appends (row lock on the log head).
   */
  append(tx: Sql, entry: AuditEntryInput): Promise<AuditAppendResult>;
  /**
   * Appends one entry that belongs to no transaction of the caller's (a
   * wire message, a refusal) in a transaction of its own, resolving once it
   * is committed. Entries recorded while another batch commits wait and go
   * together in the next (group commit): under load, one lock of the head
   * and one signature for many entries. Order is kept within a process.
   */
  record(db: Db, entry: AuditEntryInput): Promise<AuditAppendResult>;
  /** Signs and stores a checkpoint of the current tree head. */
  checkpoint(tx: Sql): Promise<{ size: number; rootHex: string }>;
}
