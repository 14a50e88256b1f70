/**
 * `GET /api/feed` (docs/screens.md): Server-Sent Events, `event: job` for
 * every job change, read from the audit log every POLL_MS. The log is the
 * source because its indexes are gap-free and assigned in commit order
 * (appends serialize on the head row, audit-log.ts): polling `idx > last`
 * misses nothing and repeats nothing, whichever center worker moved the job.
 * Each event's `id` is its audit index, so a reconnecting EventSource
 * resumes with Last-Event-ID (at most REPLAY_MAX entries back).
 *
 * A comment line every HEARTBEAT_MS keeps proxies from closing an idle
 * stream; at each heartbeat the session is checked again (without counting
 * as activity), and the stream ends with it.
 */
import type { ServerResponse } from 'node:http';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import { parseEntryText, type AuditRecord } from '../audit/entry-text.js';
import type { Db } from '../store/db.js';
import { ConsoleError } from './errors.js';

export interface FeedLimits {
  pollMs: number;
  heartbeatMs: number;
  /** Open feeds at once, over all sessions (503 busy beyond). */
  maxStreams: number;
}

export const DEFAULT_FEED_LIMITS: FeedLimits = { pollMs: 1000, heartbeatMs: 15_000, maxStreams: 32 };
export const REPLAY_MAX = 500;
const PAGE = 500;

export interface JobEvent {
  id: string;
  application: string | null;
  state: string;
  kiosk: string | null;
  reason: string | null;
  at: string;
}

export interface FeedDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
}

export class Feed {
  readonly #streams = new Set<AbortController>();

  constructor(
    private readonly deps: FeedDeps,
    private readonly limits: FeedLimits,
  ) {}

  get open(): number {
    return this.#streams.size;
  }

  /** Serves one stream until the client goes, `alive()` turns false, or closeAll. Throws busy before answering when full. */
  async serve(res: ServerResponse, lastEventId: string | undefined, alive: () => Promise<boolean>): Promise<void> {
    if (this.#streams.size >= this.limits.maxStreams) throw new ConsoleError('busy', 'too many feeds are open');
    const stop = new AbortController();
    this.#streams.add(stop);
    res.on('close', () => stop.abort());
    try {
      let cursor = await this.start(lastEventId);
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
      res.write('retry: 2000\n\n');
      let quiet = 0;
      while (!stop.signal.aborted) {
        await this.deps.clock.sleep(this.limits.pollMs, stop.signal);
        const { events, last } = await this.poll(cursor);
        cursor = last;
        for (const e of events) res.write(`id: ${e.idx}\nevent: job\ndata: ${JSON.stringify(e.event)}\n\n`);
        quiet = events.length > 0 ? 0 : quiet + this.limits.pollMs;
        if (quiet >= this.limits.heartbeatMs) {
          quiet = 0;
          if (!(await alive())) break;
          res.write(': ping\n\n');
        }
      }
    } catch (e) {
      if (!stop.signal.aborted) this.deps.logger.warn('feed ended by an error', { error: e });
    } finally {
      this.#streams.delete(stop);
      res.end();
    }
  }

  closeAll(): void {
    for (const s of this.#streams) s.abort();
  }

  /** The index after which to send: Last-Event-ID when it is a valid one (bounded), else the log's end. */
  private async start(lastEventId: string | undefined): Promise<number> {
    const head = (await this.deps.db.query<{ m: number }>('SELECT COALESCE(max(idx), -1) AS m FROM audit_entries')).rows[0]?.m ?? -1;
    if (lastEventId === undefined || !/^\d{1,10}$/.test(lastEventId)) return head;
    const given = Number(lastEventId);
    return given > head ? head : Math.max(given, head - REPLAY_MAX);
  }

  private async poll(after: number): Promise<{ events: { idx: number; event: JobEvent }[]; last: number }> {
    const rows = (await this.deps.db.query<{ idx: number; entry: string }>('SELECT idx, entry FROM audit_entries WHERE idx > $1 ORDER BY idx LIMIT $2', [after, PAGE])).rows;
    const last = rows.at(-1)?.idx ?? after;
    const records: AuditRecord[] = [];
    for (const row of rows) {
      try {
        const r = parseEntryText(row.entry);
        if ((r.kind === 'job.move' || r.kind === 'application.added') && r.job !== null) records.push(r);
      } catch {
        // An unreadable entry is the audit view's business (verification names it), not the feed's.
      }
    }
    if (records.length === 0) return { events: [], last };
    const ids = [...new Set(records.map((r) => r.job!))];
    const marks = ids.map((_, i) => `$${i + 1}`).join(', ');
    const apps = await this.deps.db.query<{ id: string; application_id: string }>(`SELECT id::text AS id, application_id FROM jobs WHERE id::text IN (${marks})`, ids);
    const appOf = new Map(apps.rows.map((a) => [a.id, a.application_id]));
    const events = records.map((r) => ({
      idx: r.idx,
      event: {
        id: r.job!,
        application: appOf.get(r.job!) ?? null,
        state: r.kind === 'application.added' ? 'PENDING' : String(r.detail.to),
        kiosk: r.kiosk,
        reason: typeof r.detail.reason === 'string' ? r.detail.reason : null,
        at: r.t,
      },
    }));
    return { events, last };
  }
}
