/**
 * Console accounts (docs/screens.md "Accounts, roles, sessions"): an
 * identifier-like username, a role, and only a scrypt hash of the password
 * (common/slow-hash.ts). Created, listed and disabled from the CLI
 * (`cardline center operators …`); checked at every console login.
 *
 * Login answers do not tell an unknown user from a wrong password, a
 * disabled or a locked account: each gets `bad-credentials` after one scrypt
 * run of the same cost (a dummy hash when there is no stored one to check).
 * Five failures in a row lock the account for 15 minutes; the count is kept
 * in the store, so it holds across center workers, and each attempt is
 * counted before its password is checked, so parallel attempts cannot pass
 * the lock together. The lock is told only to the audit log and the log.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import { checkSlowHash, isSlowHash, slowHash, type ScryptParams } from '../../common/slow-hash.js';
import type { AuditLog } from '../audit/types.js';
import { CenterError } from '../errors.js';
import type { Db } from '../store/db.js';
import { isUniqueViolation } from '../store/query-error.js';
import { ConsoleError } from './errors.js';
import { endFeeds } from './feed.js';
import { isRole, type Role } from './roles.js';

/** Lower-case identifier, 2..32 characters (the same CHECK is in migration 005). */
export const USERNAME_PATTERN = /^[a-z][a-z0-9._-]{1,31}$/;
export const MIN_PASSWORD = 12;
export const MAX_PASSWORD = 256;
export const LOCKOUT = { failures: 5, ms: 15 * 60_000 } as const;

export interface OperatorRow {
  username: string;
  role: Role;
  status: 'active' | 'disabled';
  failed_logins: number;
  locked_until: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface AccountDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  random: (n: number) => Uint8Array;
  /** Cost of new password hashes, and of the dummy hash checked for unknown users. */
  scrypt: ScryptParams;
  /** Where refused logins are logged with their reason (optional: the CLI has none). */
  logger?: Logger;
}

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD) throw new CenterError('OPERATOR_INVALID', `the password must have at least ${MIN_PASSWORD} characters`);
  if (password.length > MAX_PASSWORD) throw new CenterError('OPERATOR_INVALID', `the password must have at most ${MAX_PASSWORD} characters`);
}

export async function addOperator(deps: AccountDeps, a: { username: string; role: string; password: string }): Promise<void> {
  if (!USERNAME_PATTERN.test(a.username)) throw new CenterError('OPERATOR_INVALID', 'username: 2..32 of [a-z0-9._-], starting with a letter');
  if (!isRole(a.role)) throw new CenterError('OPERATOR_INVALID', 'role: viewer, operator or admin');
  checkPassword(a.password);
  // Hash before the transaction: scrypt is slow and must not hold the database.
  const hash = await slowHash(a.password, deps.scrypt, deps.random);
  const now = new Date(deps.clock.now());
  try {
    await deps.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO operators (username, password_hash, role, status, failed_logins, created_at, updated_at) VALUES ($1, $2, $3, 'active', 0, $4, $4)`,
        [a.username, hash, a.role, now],
      );
      await deps.audit.append(tx, { kind: 'operator.added', detail: { username: a.username, role: a.role } });
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new CenterError('OPERATOR_EXISTS', `operator ${a.username} already exists`);
    throw e;
  }
}

export async function listOperators(db: Db): Promise<OperatorRow[]> {
  const r = await db.query<OperatorRow>('SELECT username, role, status, failed_logins, locked_until, created_at, updated_at FROM operators ORDER BY username');
  return r.rows;
}

/**
 * Disables the account and ends its sessions, and this process's open feeds
 * of it at once (another worker's end at their next session check).
 * CenterError OPERATOR_UNKNOWN when there is none.
 */
export async function disableOperator(deps: Omit<AccountDeps, 'random' | 'scrypt'>, username: string, actor = 'cli'): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const r = await tx.query(`UPDATE operators SET status = 'disabled', updated_at = $2 WHERE username = $1`, [username, new Date(deps.clock.now())]);
    if (r.rowCount === 0) throw new CenterError('OPERATOR_UNKNOWN', `no operator ${username}`);
    await tx.query('DELETE FROM console_sessions WHERE username = $1', [username]);
    await deps.audit.append(tx, { kind: 'operator.disabled', detail: { username, actor } });
  });
  endFeeds({ username });
}

interface ReservedRow {
  password_hash: string;
  role: Role;
  /** Set when this attempt (with those before it) reached LOCKOUT.failures. */
  locked_until: Date | null;
}

/**
 * Reserves one attempt before the password is checked: counted at once, in
 * one statement, so that logins in flight together cannot all pass a lock
 * check made before any of them failed. The LOCKOUT.failures-th reservation
 * locks the account; a lock that has run out starts a new count. Nothing is
 * reserved (no row) for a disabled or locked account.
 */
const RESERVE_ATTEMPT = `
  UPDATE operators SET
    failed_logins = CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END,
    locked_until = CASE WHEN (CASE WHEN locked_until IS NOT NULL THEN 1 ELSE failed_logins + 1 END) >= $2 THEN $3::timestamptz ELSE NULL END,
    updated_at = $4
  WHERE username = $1 AND status = 'active' AND (locked_until IS NULL OR locked_until <= $4)
  RETURNING password_hash, role, locked_until`;

/**
 * Checks a login. Resolves with the account on success (its failure count
 * reset); throws ConsoleError `bad-credentials` for every refusal — unknown
 * user, wrong password, disabled or locked account — after the same scrypt
 * work, so the answer tells neither whether the account exists nor whether
 * it is locked. Every outcome is audited: `console.login`, or
 * `console.login-failed` with the reason (`password`, `disabled`, `locked`,
 * `unknown-user`: an unknown username is not recorded, it may be a password
 * typed in the wrong field), which is also logged.
 */
export class Accounts {
  readonly #dummy: Promise<string>;

  constructor(private readonly deps: AccountDeps) {
    // Computed at start, so that not even the first unknown user costs a second scrypt run.
    this.#dummy = slowHash(Buffer.from(deps.random(18)).toString('base64'), deps.scrypt, deps.random);
    this.#dummy.catch(() => undefined);
  }

  async login(username: string, password: string): Promise<{ username: string; role: Role }> {
    const { db, clock } = this.deps;
    const valid = USERNAME_PATTERN.test(username);
    const now = clock.now();
    const reserved = valid ? (await db.query<ReservedRow>(RESERVE_ATTEMPT, [username, LOCKOUT.failures, new Date(now + LOCKOUT.ms), new Date(now)])).rows[0] : undefined;
    // The same scrypt work whatever the outcome (a stored hash that is not ours counts as a mismatch).
    const stored = reserved && isSlowHash(reserved.password_hash) ? reserved.password_hash : await this.dummyHash();
    const match = await checkSlowHash(password, stored).catch(() => false);
    if (reserved && match) {
      await db.query('UPDATE operators SET failed_logins = 0, locked_until = NULL WHERE username = $1 AND (failed_logins <> 0 OR locked_until IS NOT NULL)', [username]);
      await this.audit('console.login', { username, role: reserved.role });
      return { username, role: reserved.role };
    }
    if (reserved) {
      // Counted at the reservation: this failure only needs recording.
      await this.refused(username, 'password', reserved.locked_until !== null);
    } else {
      const row = valid ? (await db.query<{ status: string }>('SELECT status FROM operators WHERE username = $1', [username])).rows[0] : undefined;
      if (!row) await this.refused(null, 'unknown-user');
      else await this.refused(username, row.status !== 'active' ? 'disabled' : 'locked');
    }
    throw new ConsoleError('bad-credentials', 'wrong username or password');
  }

  private async refused(username: string | null, reason: 'password' | 'disabled' | 'locked' | 'unknown-user', locked?: boolean): Promise<void> {
    const detail = { username, reason, ...(locked !== undefined ? { locked } : {}) };
    this.deps.logger?.warn('login refused', detail);
    await this.deps.audit.record(this.deps.db, { kind: 'console.login-failed', detail });
  }

  private async audit(kind: string, detail: Record<string, string | null>): Promise<void> {
    await this.deps.audit.record(this.deps.db, { kind, detail });
  }

  private dummyHash(): Promise<string> {
    return this.#dummy;
  }
}
