/**
 * An in-process lock per key: a FIFO queue of tasks per key, one running at
 * a time, different keys concurrently. It is the whole of `Db.withLock` on
 * PGlite (one process per data directory, lock-file.ts) and the first stage
 * of it on PostgreSQL (pg-lock.ts), so that one process never holds more
 * than one lock connection per key.
 *
 * Not re-entrant: a task that waits for its own key waits forever.
 */
export class KeyQueue {
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `task` after every task queued before on `key`; its outcome is the caller's, the queue moves on either way. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const prev = this.#tails.get(key) ?? Promise.resolve();
    const next = prev.then(task);
    const tail = next.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      // The last task of the key: forget it, so the map holds only keys with work queued.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return next;
  }

  /** Keys with a task running or queued. */
  get size(): number {
    return this.#tails.size;
  }
}
