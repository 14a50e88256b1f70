/**
 * `cardline audit verify` (DESIGN §6): recomputes the whole log from the
 * stored entry texts and checks it against the signed checkpoints and head.
 *
 * For every entry: its leaf hash is recomputed from its text (RFC 6962
 * §2.1) and must match the stored one; the text must be canonical and name
 * its own row's idx; indexes run 0, 1, 2 … without gaps. The tree is
 * rebuilt from the recomputed leaves (not the stored ones, so an edited text
 * with an edited leaf_hash still fails), and at each checkpoint's size and
 * at the head's size the root must equal the stored root, whose Ed25519
 * signature must verify under the center's public key.
 *
 * So an edited, deleted, inserted or reordered entry, or an edited
 * checkpoint or head, gives ok = false with a line saying where. Entries are
 * read in pages of PAGE_SIZE rows. On a live PostgreSQL log, pass a
 * REPEATABLE READ transaction so that all reads see one snapshot
 * (verifySnapshot does, for the CLI and the console): appends between the
 * reads would otherwise look like entries beyond the head.
 */
import type { Db, Sql } from '../store/db.js';
import { parseEntryText } from './entry-text.js';
import { AuditError } from './errors.js';
import { CHECKPOINT_INTERVAL } from './audit-log.js';
import { Frontier, leafHash } from './merkle.js';
import { checkKey, verifyTreeHead } from './tree-head.js';
import { Problems } from './verify-problems.js';

export const PAGE_SIZE = 1000;

export interface AuditVerifyReport {
  ok: boolean;
  /** Entry rows read. */
  entries: number;
  /** Checkpoint rows read. */
  checkpoints: number;
  /** The size the signed head claims (0 when there is no head). */
  headSize: number;
  /** One line per problem found (capped; the last line then says how many more). */
  problems: string[];
}

interface SignedRow {
  size: number;
  root: Uint8Array;
  signature: Uint8Array;
  signed_at: Date;
}

interface HeadRow extends SignedRow {
  frontier: Uint8Array;
}

interface EntryRow {
  idx: number;
  entry: string;
  leaf_hash: Uint8Array;
}

/** A signed tree head to compare when the rebuilt tree reaches its size. */
interface Target extends SignedRow {
  label: string;
}

const utf8 = new TextEncoder();

export interface AuditVerifyOptions {
  /** Entries read per query (default PAGE_SIZE). */
  pageSize?: number;
}

export async function verifyAuditLog(db: Sql, centerPublicKey: Uint8Array, opts: AuditVerifyOptions = {}): Promise<AuditVerifyReport> {
  checkKey(centerPublicKey, 'the center public key');
  const pageSize = opts.pageSize ?? PAGE_SIZE;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError(`page size ${pageSize} is not a positive integer`);
  const problems = new Problems();
  const head = (await db.query<HeadRow>('SELECT size, frontier, root, signature, signed_at FROM audit_head WHERE id = 1')).rows[0];
  const cps = (await db.query<SignedRow>('SELECT size, root, signature, signed_at FROM audit_checkpoints ORDER BY size')).rows;

  const headTarget = head ? { ...head, label: 'head' } : undefined;
  const targets: Target[] = cps.map((c) => ({ ...c, label: `checkpoint ${c.size}` }));
  if (head && headTarget) {
    checkCheckpointSet(cps, head.size, problems);
    targets.push(headTarget);
  }
  for (const t of targets) {
    if (!verifyTreeHead({ size: t.size, root: t.root, signedAtMs: t.signed_at.getTime() }, t.signature, centerPublicKey)) {
      problems.add(`${t.label}: signature invalid`);
    }
  }
  // In tree order; the sort is stable, so the head follows a checkpoint of its own size.
  targets.sort((a, b) => a.size - b.size);

  const tree = Frontier.empty();
  const check = (t: Target): void => {
    if (!equal(tree.root(), t.root)) problems.add(`${t.label}: root mismatch`);
    if (headTarget && t === headTarget && tree.size === headTarget.size && !equal(tree.encode(), headTarget.frontier)) {
      problems.add('head: frontier does not match the entries');
    }
  };
  let pending = 0; // targets[pending] is the next one to compare
  let expected = 0; // the next idx
  let rows = 0;
  for (let after = -1; ; ) {
    const page = (await db.query<EntryRow>('SELECT idx, entry, leaf_hash FROM audit_entries WHERE idx > $1 ORDER BY idx LIMIT $2', [after, pageSize])).rows;
    for (const row of page) {
      rows += 1;
      if (row.idx > expected) problems.add(range(expected, row.idx - 1, 'missing'));
      // A target's tree covers entries [0, size): compare before entry `size` joins (a gap may skip it).
      for (; pending < targets.length && targets[pending]!.size <= row.idx; pending++) check(targets[pending]!);
      if (head && row.idx >= head.size) problems.add(`entry ${row.idx}: beyond the signed head (size ${head.size})`);
      tree.push(checkEntry(row, problems));
      expected = row.idx + 1;
    }
    if (page.length < pageSize) break;
    after = page[page.length - 1]!.idx;
  }
  for (; pending < targets.length; pending++) {
    const t = targets[pending]!;
    if (t.size > expected) problems.add(`${t.label}: covers ${t.size} entries but the log ends at ${expected}`);
    else check(t);
  }
  if (head && expected < head.size) problems.add(range(expected, head.size - 1, `missing (head size ${head.size})`));
  if (!head && rows > 0) problems.add(`head: missing (${rows} entries stored)`);
  return { ok: problems.count === 0, entries: rows, checkpoints: cps.length, headSize: head?.size ?? 0, problems: problems.lines() };
}

/**
 * verifyAuditLog over one READ ONLY, REPEATABLE READ snapshot of the store:
 * what `cardline audit verify` and the console's audit view run. On PGlite
 * the transaction holds the only connection until it ends.
 */
export function verifySnapshot(db: Db, centerPublicKey: Uint8Array, opts: AuditVerifyOptions = {}): Promise<AuditVerifyReport> {
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    return verifyAuditLog(tx, centerPublicKey, opts);
  });
}

/** The entry's leaf hash recomputed from its text, after checking the text against its row. */
function checkEntry(row: EntryRow, problems: Problems): Uint8Array {
  const leaf = leafHash(utf8.encode(row.entry));
  if (!equal(leaf, row.leaf_hash)) problems.add(`entry ${row.idx}: leaf hash does not match its text`);
  try {
    const record = parseEntryText(row.entry);
    if (record.idx !== row.idx) problems.add(`entry ${row.idx}: text says idx ${record.idx}`);
  } catch (e) {
    const why = e instanceof AuditError ? e.message.replace(/^INVALID_ENTRY: /, '') : 'unreadable';
    problems.add(`entry ${row.idx}: ${why}`);
  }
  return leaf;
}

/** The log keeps a checkpoint at every multiple of CHECKPOINT_INTERVAL up to the head: a missing one was deleted. */
function checkCheckpointSet(cps: SignedRow[], headSize: number, problems: Problems): void {
  const sizes = new Set(cps.map((c) => c.size));
  for (let s = CHECKPOINT_INTERVAL; s <= headSize; s += CHECKPOINT_INTERVAL) {
    if (!sizes.has(s)) problems.add(`checkpoint ${s}: missing`);
  }
  for (const c of cps) if (c.size > headSize) problems.add(`checkpoint ${c.size}: beyond the signed head (size ${headSize})`);
}

function range(from: number, to: number, what: string): string {
  return from === to ? `entry ${from}: ${what}` : `entries ${from}..${to}: ${what}`;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
