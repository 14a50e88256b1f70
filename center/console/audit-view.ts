/**
 * `GET /api/audit?before=I&limit=N` (docs/screens.md): the audit log's
 * verification (center/audit/verify.ts, as `cardline audit verify` runs
 * it) and a page of entries, newest first. An entry the verifier would
 * flag as unreadable is shown with kind `unreadable` rather than hidden.
 *
 * Verification reads the whole log, so its report is kept while the log's
 * size is unchanged, for at most VERIFY_TTL_MS: a page of entries costs a
 * query, not a full recomputation every time.
 */
import type { Clock } from '../../common/clock.js';
import { parseEntryText } from '../audit/entry-text.js';
import type { AuditValue } from '../audit/types.js';
import { verifyAuditLog } from '../audit/verify.js';
import type { Db } from '../store/db.js';
import { intParam } from './jobs-view.js';

export const VERIFY_TTL_MS = 10_000;
export const AUDIT_LIMIT = { default: 50, max: 200 } as const;

export interface AuditVerification {
  ok: boolean;
  treeSize: number;
  problems: string[];
}

export interface AuditItem {
  index: number;
  at: string | null;
  kind: string;
  kiosk: string | null;
  job: string | null;
  detail: Record<string, AuditValue>;
}

export class AuditView {
  #cached: { size: number; at: number; report: AuditVerification } | undefined;

  constructor(
    private readonly db: Db,
    private readonly centerPublicKey: Uint8Array,
    private readonly clock: Clock,
  ) {}

  async view(q: URLSearchParams): Promise<{ verification: AuditVerification; entries: AuditItem[] }> {
    const limit = intParam(q, 'limit', AUDIT_LIMIT.default, 1, AUDIT_LIMIT.max);
    const before = intParam(q, 'before', 2 ** 31 - 1, 0, 2 ** 31 - 1);
    const verification = await this.verification();
    const r = await this.db.query<{ idx: number; entry: string }>('SELECT idx, entry FROM audit_entries WHERE idx < $1 ORDER BY idx DESC LIMIT $2', [before, limit]);
    return { verification, entries: r.rows.map((row) => item(row.idx, row.entry)) };
  }

  private async verification(): Promise<AuditVerification> {
    const now = this.clock.now();
    const size = (await this.db.query<{ size: number }>('SELECT size FROM audit_head WHERE id = 1')).rows[0]?.size ?? 0;
    const c = this.#cached;
    if (c && c.size === size && now - c.at < VERIFY_TTL_MS) return c.report;
    // One snapshot for every read, as the CLI does: appends meanwhile would look like entries beyond the head.
    const report = await this.db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      return verifyAuditLog(tx, this.centerPublicKey);
    });
    const v = { ok: report.ok, treeSize: report.headSize, problems: report.problems };
    this.#cached = { size, at: now, report: v };
    return v;
  }
}

function item(idx: number, text: string): AuditItem {
  try {
    const r = parseEntryText(text);
    return { index: idx, at: r.t, kind: r.kind, kiosk: r.kiosk, job: r.job, detail: r.detail };
  } catch {
    return { index: idx, at: null, kind: 'unreadable', kiosk: null, job: null, detail: {} };
  }
}
