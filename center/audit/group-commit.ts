/**
 * Group commit for audit entries that need no transaction of the caller's
 * (`AuditLog.record`). One batch commits at a time per store and process;
 * entries recorded meanwhile queue and go together in the next, in the
 * order they were recorded. A lone entry commits at once, as its own
 * transaction would; under load the batches grow by themselves, so the head
 * is locked and signed once per batch instead of once per entry.
 *
 * Each entry is validated when it is recorded: a malformed one is refused
 * on its own and never fails the batch it would have joined. A batch that
 * fails in the store (connection lost, store closed) fails every entry in
 * it, and nothing of it is written (one transaction).
 */
import type { Db, Sql } from '../store/db.js';
import type { AuditAppendResult, AuditEntryInput } from './types.js';

/** Most entries in one batch (three parameters each, well under PostgreSQL's 65,535). */
export const MAX_BATCH = 256;

interface Appender {
  check(entry: AuditEntryInput): void;
  appendMany(tx: Sql, entries: readonly AuditEntryInput[]): Promise<AuditAppendResult[]>;
}

interface Waiting {
  entry: AuditEntryInput;
  resolve: (r: AuditAppendResult) => void;
  reject: (e: unknown) => void;
}

export class GroupCommit {
  readonly #queue: Waiting[] = [];
  #running = false;

  constructor(
    private readonly db: Db,
    private readonly appender: Appender,
  ) {}

  add(entry: AuditEntryInput): Promise<AuditAppendResult> {
    try {
      this.appender.check(entry);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ entry, resolve, reject });
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        try {
          const results = await this.db.transaction((tx) => this.appender.appendMany(tx, batch.map((w) => w.entry)));
          batch.forEach((w, i) => w.resolve(results[i]!));
        } catch (e) {
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.#running = false;
    }
  }
}
