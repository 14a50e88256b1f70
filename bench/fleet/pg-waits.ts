/**
 * What PostgreSQL's backends are doing, sampled every 100 ms from
 * pg_stat_activity (the bench's own server, its `cardline` database, the
 * sampler's own backend left out): per sample, each active backend counts
 * once under its wait event (`Lock: transactionid` = waiting for another
 * transaction's row lock, `Client: ClientRead` = idle in a transaction,
 * waiting for the worker's next statement, `running` = on the CPU). The
 * shares say where the database's side of a card's time goes. Also the
 * audit entries appended meanwhile, by kind (each is a transaction that
 * locks the one audit head row and signs it, center/audit/).
 */
import pg from 'pg';

export interface WaitReport {
  samples: number;
  /** Mean active backends per sample. */
  meanActive: number;
  /** Wait event → mean backends per sample in it. */
  waits: [string, number][];
  auditByKind: [string, number][];
}

export class PgWaits {
  readonly #client: pg.Client;
  readonly #counts = new Map<string, number>();
  #samples = 0;
  #timer: NodeJS.Timeout | undefined;
  #auditFrom = 0;
  #busy = false;

  private constructor(client: pg.Client) {
    this.#client = client;
  }

  static async start(url: string): Promise<PgWaits> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const w = new PgWaits(client);
    w.#auditFrom = await w.#auditSize();
    w.#timer = setInterval(() => void w.#sample(), 100);
    return w;
  }

  async #auditSize(): Promise<number> {
    return (await this.#client.query<{ n: number }>('SELECT coalesce(max(idx) + 1, 0)::int AS n FROM audit_entries')).rows[0]?.n ?? 0;
  }

  async #sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const r = await this.#client.query<{ w: string }>(
        `SELECT coalesce(wait_event_type || ': ' || wait_event, 'running') AS w FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'`,
      );
      this.#samples++;
      for (const row of r.rows) this.#counts.set(row.w, (this.#counts.get(row.w) ?? 0) + 1);
    } catch {
      // A sample lost (the server busy or going away) is only a sample.
    } finally {
      this.#busy = false;
    }
  }

  async stop(): Promise<WaitReport> {
    clearInterval(this.#timer);
    while (this.#busy) await new Promise((r) => setTimeout(r, 10));
    const kinds = await this.#client.query<{ kind: string; n: number }>(
      `SELECT coalesce(entry::jsonb ->> 'kind', '?') AS kind, count(*)::int AS n FROM audit_entries WHERE idx >= $1 GROUP BY 1 ORDER BY 2 DESC LIMIT 8`,
      [this.#auditFrom],
    ).catch(() => ({ rows: [] as { kind: string; n: number }[] }));
    await this.#client.end();
    const s = Math.max(1, this.#samples);
    const total = [...this.#counts.values()].reduce((a, b) => a + b, 0);
    return {
      samples: this.#samples,
      meanActive: total / s,
      waits: [...this.#counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([k, n]) => [k, n / s]),
      auditByKind: kinds.rows.map((r) => [r.kind, r.n]),
    };
  }
}

export function waitLines(w: WaitReport, issued: number): string[] {
  const audit = w.auditByKind.reduce((a, [, n]) => a + n, 0);
  return [
    `PostgreSQL backends active (not idle) per 100 ms sample: ${w.meanActive.toFixed(1)} on average over ${w.samples} samples; by wait: ${w.waits.map(([k, n]) => `${k} ${n.toFixed(2)}`).join(', ')}`,
    `audit entries appended: ${audit}${issued > 0 ? ` (${(audit / issued).toFixed(1)} per issued card)` : ''}; by kind: ${w.auditByKind.map(([k, n]) => `${k} ${n}`).join(', ')}`,
  ];
}
