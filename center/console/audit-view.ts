/**
 * `GET /api/audit?before=I&limit=N` (docs/screens.md): the audit log's
 * verification (center/audit/verify.ts, as `cardline audit verify` runs
 * it) and a page of entries, newest first. An entry the verifier would
 * flag as unreadable is shown with kind `unreadable` rather than hidden.
 *
 * Verification reads the whole log (and on PGlite holds its only
 * connection meanwhile), so one report serves every request for
 * VERIFY_TTL_MS whatever was appended since, and requests that find none
 * share the one verification in flight. `treeSize` says which entries the
 * report covers: those below it (entries shown above it are newer than the
 * verification).
 */
import type { Clock } from '../../common/clock.js';
import { parseEntryText } from '../audit/entry-text.js';
import type { AuditValue } from '../audit/types.js';
import { verifySnapshot } from '../audit/verify.js';
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
  #cached: { at: number; report: AuditVerification } | undefined;
  #running: Promise<AuditVerification> | undefined;

  constructor(
    private readonly db: Db,
    private readonly centerPublicKey: Uint8Array,
    private readonly clock: Clock,
    private readonly ttlMs = VERIFY_TTL_MS,
  ) {}

  async view(q: URLSearchParams): Promise<{ verification: AuditVerification; entries: AuditItem[] }> {
    const limit = intParam(q, 'limit', AUDIT_LIMIT.default, 1, AUDIT_LIMIT.max);
    const before = intParam(q, 'before', 2 ** 31 - 1, 0, 2 ** 31 - 1);
    const verification = await this.verification();
    const r = await this.db.query<{ idx: number; entry: string }>('SELECT idx, entry FROM audit_entries WHERE idx < $1 ORDER BY idx DESC LIMIT $2', [before, limit]);
    return { verification, entries: r.rows.map((row) => item(row.idx, row.entry)) };
  }

  /** The kept report while it is young enough, else the verification in flight, else a new one. */
  private verification(): Promise<AuditVerification> {
    const c = this.#cached;
    if (c && this.clock.now() - c.at < this.ttlMs) return Promise.resolve(c.report);
    this.#running ??= this.verify().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  private async verify(): Promise<AuditVerification> {
    const at = this.clock.now();
    const report = await verifySnapshot(this.db, this.centerPublicKey);
    const v = { ok: report.ok, treeSize: report.headSize, problems: report.problems };
    this.#cached = { at, report: v };
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
