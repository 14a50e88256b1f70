/**
 * Jobs lost and duplicated, counted from the database after the run has
 * settled, against what the kiosks saw:
 * - duplicated: an application with more than one ISSUED job, or a card
 *   serial on more than one ISSUED job (the store's unique indexes should
 *   make both impossible; the bench counts rather than trusts);
 * - lost: a requested application whose job is still live (RESERVED,
 *   CARD_AUTHENTICATED, WRITING, VERIFYING) once the fleet is quiet, or that
 *   a kiosk saw issued while the database does not say ISSUED;
 * - issued unseen: ISSUED in the database while the kiosk's customer got
 *   another outcome (the job finished by a recovery after the customer's
 *   request had already ended): not lost, but reported.
 */
import pg from 'pg';
import type { RequestSample } from './protocol.js';

export interface JobAccount {
  /** Final (or current) state of the newest job of each requested application, counted. */
  states: Record<string, number>;
  requested: number;
  duplicatedApplications: number;
  duplicatedCards: number;
  stuckLive: number;
  seenIssuedNotIssued: number;
  issuedUnseen: number;
  /** FAILED / VOIDED jobs by reason. */
  failReasons: Record<string, number>;
}

const LIVE = ['RESERVED', 'CARD_AUTHENTICATED', 'WRITING', 'VERIFYING'];

export async function accountJobs(databaseUrl: string, samples: readonly RequestSample[]): Promise<JobAccount> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const apps = [...new Set(samples.map((s) => s.application))];
    const rows = (
      await client.query<{ application_id: string; state: string; reason: string | null }>(
        `SELECT DISTINCT ON (application_id) application_id, state, reason FROM jobs WHERE application_id = ANY($1) ORDER BY application_id, created_at DESC, updated_at DESC`,
        [apps],
      )
    ).rows;
    const stateOf = new Map(rows.map((r) => [r.application_id, r.state]));
    const states: Record<string, number> = {};
    for (const r of rows) states[r.state] = (states[r.state] ?? 0) + 1;
    const failReasons: Record<string, number> = {};
    const failed = await client.query<{ reason: string | null; n: number }>(
      `SELECT reason, count(*)::int AS n FROM jobs WHERE application_id = ANY($1) AND state IN ('FAILED', 'VOIDED') GROUP BY reason`,
      [apps],
    );
    for (const r of failed.rows) failReasons[r.reason ?? '(none)'] = r.n;
    const one = async (sql: string): Promise<number> => (await client.query<{ n: number }>(sql)).rows[0]?.n ?? 0;
    const seenIssued = new Set(samples.filter((s) => s.outcome === 'issued').map((s) => s.application));
    return {
      states,
      requested: apps.length,
      duplicatedApplications: await one(`SELECT count(*)::int AS n FROM (SELECT application_id FROM jobs WHERE state = 'ISSUED' GROUP BY application_id HAVING count(*) > 1) d`),
      duplicatedCards: await one(`SELECT count(*)::int AS n FROM (SELECT card_serial FROM jobs WHERE state = 'ISSUED' GROUP BY card_serial HAVING count(*) > 1) d`),
      stuckLive: rows.filter((r) => LIVE.includes(r.state)).length,
      seenIssuedNotIssued: [...seenIssued].filter((a) => stateOf.get(a) !== 'ISSUED').length,
      issuedUnseen: rows.filter((r) => r.state === 'ISSUED' && !seenIssued.has(r.application_id)).length,
      failReasons,
    };
  } finally {
    await client.end();
  }
}

/** Polls until no requested application has a live job (the fleet is quiet), or `ms` passes; resolves with how many are still live. */
export async function waitQuiet(databaseUrl: string, ms: number): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const end = Date.now() + ms;
    for (;;) {
      const n = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobs WHERE state = ANY($1)`, [LIVE])).rows[0]?.n ?? 0;
      if (n === 0 || Date.now() > end) return n;
      await new Promise((r) => setTimeout(r, 500));
    }
  } finally {
    await client.end();
  }
}
