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
 * stream. The session is checked again every CHECK_MS whatever the traffic
 * (without counting as activity), and the stream ends with it. Open streams
 * are also kept by session token and username for this process, so logout
 * (api.ts) and disableOperator (operators.ts) end them at once; another
 * worker's streams end at their next check.
 *
 * A client that does not read is not buffered for: when a write finds more
 * than MAX_BUFFERED bytes waiting, the stream is closed (the browser's
 * EventSource reconnects with Last-Event-ID).
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
  /** The session is checked again at least this often (ms of the console's clock), events or not. */
  checkMs: number;
  /** Open feeds at once, over all sessions (503 busy beyond). */
  maxStreams: number;
}

export const DEFAULT_FEED_LIMITS: FeedLimits = { pollMs: 1000, heartbeatMs: 15_000, checkMs: 5000, maxStreams: 32 };
/** Bytes a stream may have waiting for a slow client before it is closed. */
export const MAX_BUFFERED = 256 * 1024;
export const REPLAY_MAX = 500;
const PAGE = 500;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

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

/** Whose stream it is: logout ends a token's streams, disabling an account its username's. */
export interface FeedOwner {
  token: string;
  username: string;
}

interface OpenStream extends FeedOwner {
  stop: AbortController;
}

/** Every open stream of this process (all Feed instances): what endFeeds looks through. */
const OPEN = new Set<OpenStream>();

/** Ends at once this process's open streams of a session (logout) or of an account (disabled). Resolves with how many. */
export function endFeeds(of: { token: string } | { username: string }): number {
  let n = 0;
  for (const s of OPEN) {
    if ('token' in of ? s.token === of.token : s.username === of.username) {
      s.stop.abort();
      n += 1;
    }
  }
  return n;
}

export class Feed {
  readonly #streams = new Set<OpenStream>();

  constructor(
    private readonly deps: FeedDeps,
    private readonly limits: FeedLimits,
  ) {}

  get open(): number {
    return this.#streams.size;
  }

  /** Serves one stream until the client goes, `alive()` turns false, endFeeds names it, or closeAll. Throws busy before answering when full. */
  async serve(res: ServerResponse, lastEventId: string | undefined, owner: FeedOwner, alive: () => Promise<boolean>): Promise<void> {
    if (this.#streams.size >= this.limits.maxStreams) throw new ConsoleError('busy', 'too many feeds are open');
    const { clock } = this.deps;
    const stop = new AbortController();
    const stream: OpenStream = { ...owner, stop };
    this.#streams.add(stream);
    OPEN.add(stream);
    res.on('close', () => stop.abort());
    /** Writes, and closes the stream when the client lets too much pile up (false: stop writing). */
    const send = (text: string): boolean => {
      if (res.write(text) || res.writableLength <= MAX_BUFFERED) return true;
      this.deps.logger.warn('feed closed: the client does not read', { buffered: res.writableLength });
      stop.abort();
      return false;
    };
    try {
      let cursor = await this.start(lastEventId);
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive' });
      send('retry: 2000\n\n');
      let checked = clock.now();
      let heard = checked;
      while (!stop.signal.aborted) {
        await clock.sleep(this.limits.pollMs, stop.signal);
        const now = clock.now();
        if (now - checked >= this.limits.checkMs) {
          checked = now;
          if (!(await alive())) break;
        }
        const { events, last } = await this.poll(cursor);
        cursor = last;
        for (const e of events) if (!send(`id: ${e.idx}\nevent: job\ndata: ${JSON.stringify(e.event)}\n\n`)) break;
        if (events.length > 0) heard = now;
        else if (now - heard >= this.limits.heartbeatMs) {
          heard = now;
          send(': ping\n\n');
        }
      }
    } catch (e) {
      if (!stop.signal.aborted) this.deps.logger.warn('feed ended by an error', { error: e });
    } finally {
      this.#streams.delete(stream);
      OPEN.delete(stream);
      res.end();
    }
  }

  closeAll(): void {
    for (const s of this.#streams) s.stop.abort();
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
    // Only well-formed IDs reach the cast: an odd entry must not end every feed.
    const ids = [...new Set(records.map((r) => r.job!))].filter((id) => UUID.test(id));
    // `id = ANY(uuid[])` uses the primary key (`id::text IN (…)` would read every job).
    const apps = await this.deps.db.query<{ id: string; application_id: string }>('SELECT id::text AS id, application_id FROM jobs WHERE id = ANY($1::uuid[])', [ids]);
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
