/**
 * The applications store (the sources' writing-information database, DESIGN
 * §1 (16)): each application's ID, its one-time code as a slow hash, its
 * card profile and its writing data as DGIs encrypted at rest. Adding an
 * application also creates its PENDING job, in the same transaction.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../common/clock.js';
import type { AuditLog } from './audit/types.js';
import { hashCode, type ScryptParams } from './code-hash.js';
import { sealDgis } from './data-crypto.js';
import { CenterError } from './errors.js';
import type { ApplicationInput } from './application-input.js';
import type { Db, Sql } from './store/db.js';
import { profileByName } from '../card/script/profile.js';

/** Wrong codes before an application locks (issue 3: "lockout after 5 tries"). */
export const MAX_CODE_ATTEMPTS = 5;

export interface ApplicationRow {
  id: string;
  profile: string;
  code_hash: string;
  failed_attempts: number;
  locked: boolean;
  data_nonce: Uint8Array;
  data_enc: Uint8Array;
  status: 'pending' | 'issued' | 'voided';
  expires_at: Date | null;
}

export interface ApplicationDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  dataKey: Uint8Array;
  random: (n: number) => Uint8Array;
  scrypt: ScryptParams;
}

/**
 * Adds applications (all or none). The caller zeroizes the inputs' DGI
 * values afterwards. `also` runs in the same transaction (the console's
 * `console.action` entry).
 */
export async function addApplications(deps: ApplicationDeps, inputs: readonly ApplicationInput[], also?: (tx: Sql, ids: readonly string[]) => Promise<void>): Promise<string[]> {
  // Hash and seal before the transaction: scrypt is slow and must not hold the database.
  const prepared: { a: ApplicationInput; codeHash: string; nonce: Uint8Array; sealed: Uint8Array }[] = [];
  for (const a of inputs) {
    profileByName(a.profile); // throws UNKNOWN_PROFILE early
    const codeHash = await hashCode(a.code, deps.scrypt, deps.random);
    prepared.push({ a, codeHash, ...sealDgis(deps.dataKey, a.id, a.dgis, deps.random) });
  }
  const now = new Date(deps.clock.now());
  return deps.db.transaction(async (tx) => {
    const ids: string[] = [];
    for (const p of prepared) {
      const exists = await tx.query('SELECT 1 FROM applications WHERE id = $1', [p.a.id]);
      if (exists.rows.length > 0) throw new CenterError('APPLICATION_EXISTS', `application ${p.a.id} already exists`);
      await tx.query(
        `INSERT INTO applications (id, profile, code_hash, data_nonce, data_enc, status, expires_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $7)`,
        [p.a.id, p.a.profile, p.codeHash, p.nonce, p.sealed, p.a.expires ?? null, now],
      );
      const job = await createPendingJob(tx, p.a.id, now);
      await deps.audit.append(tx, {
        kind: 'application.added',
        job,
        detail: { application: p.a.id, profile: p.a.profile, dgis: p.a.dgis.length },
      });
      ids.push(p.a.id);
    }
    await also?.(tx, ids);
    return ids;
  });
}

export async function createPendingJob(tx: Sql, applicationId: string, now: Date): Promise<string> {
  const id = randomUUID();
  await tx.query(`INSERT INTO jobs (id, application_id, state, created_at, updated_at) VALUES ($1, $2, 'PENDING', $3, $3)`, [id, applicationId, now]);
  return id;
}

export async function getApplicationForUpdate(tx: Sql, id: string): Promise<ApplicationRow | undefined> {
  const r = await tx.query<ApplicationRow>(
    'SELECT id, profile, code_hash, failed_attempts, locked, data_nonce, data_enc, status, expires_at FROM applications WHERE id = $1 FOR UPDATE',
    [id],
  );
  return r.rows[0];
}

export async function getApplication(db: Sql, id: string): Promise<ApplicationRow | undefined> {
  const r = await db.query<ApplicationRow>(
    'SELECT id, profile, code_hash, failed_attempts, locked, data_nonce, data_enc, status, expires_at FROM applications WHERE id = $1',
    [id],
  );
  return r.rows[0];
}
