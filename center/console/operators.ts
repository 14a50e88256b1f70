/**
 * Console accounts (docs/screens.md "Accounts, roles, sessions"): an
 * identifier-like username, a role, and only a scrypt hash of the password
 * (common/slow-hash.ts). Created, listed and disabled from the CLI
 * (`cardline center operators …`); checked at every console login.
 *
 * Login answers do not tell an unknown user from a wrong password or a
 * disabled account: each gets `bad-credentials` after one scrypt run of the
 * same cost (a dummy hash for the unknown user). Five failures in a row lock
 * the account for 15 minutes (`locked`); the count is kept in the store, so
 * it holds across center workers.
 */
import type { Clock } from '../../common/clock.js';
import { checkSlowHash, isSlowHash, slowHash, type ScryptParams } from '../../common/slow-hash.js';
import type { AuditLog } from '../audit/types.js';
import { CenterError } from '../errors.js';
import type { Db } from '../store/db.js';
import { isUniqueViolation } from '../store/query-error.js';
import { ConsoleError } from './errors.js';
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

/** Disables the account and ends its sessions. CenterError OPERATOR_UNKNOWN when there is none. */
export async function disableOperator(deps: Omit<AccountDeps, 'random' | 'scrypt'>, username: string, actor = 'cli'): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const r = await tx.query(`UPDATE operators SET status = 'disabled', updated_at = $2 WHERE username = $1`, [username, new Date(deps.clock.now())]);
    if (r.rowCount === 0) throw new CenterError('OPERATOR_UNKNOWN', `no operator ${username}`);
    await tx.query('DELETE FROM console_sessions WHERE username = $1', [username]);
    await deps.audit.append(tx, { kind: 'operator.disabled', detail: { username, actor } });
  });
}

interface LoginRow {
  password_hash: string;
  role: Role;
  status: 'active' | 'disabled';
  locked_until: Date | null;
}

/**
 * Checks a login. Resolves with the account on success (its failure count
 * reset); throws ConsoleError `bad-credentials` or `locked`. Every outcome
 * is audited: `console.login` or `console.login-failed` (an unknown
 * username is not recorded: it may be a password typed in the wrong field).
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
    const known = USERNAME_PATTERN.test(username) ? (await db.query<LoginRow>('SELECT password_hash, role, status, locked_until FROM operators WHERE username = $1', [username])).rows[0] : undefined;
    const now = clock.now();
    if (known && known.locked_until && known.locked_until.getTime() > now) {
      await this.audit('console.login-failed', { username, reason: 'locked' });
      throw new ConsoleError('locked', 'too many failed logins: try again later');
    }
    // The same scrypt work whether or not the user exists (a stored hash that is not ours counts as a mismatch).
    const stored = known && isSlowHash(known.password_hash) ? known.password_hash : await this.dummyHash();
    const match = await checkSlowHash(password, stored).catch(() => false);
    if (!known || !match || known.status !== 'active') {
      if (known) await this.recordFailure(username, known.status !== 'active' ? 'disabled' : 'password');
      else await this.audit('console.login-failed', { username: null, reason: 'unknown-user' });
      throw new ConsoleError('bad-credentials', 'wrong username or password');
    }
    await db.query('UPDATE operators SET failed_logins = 0, locked_until = NULL WHERE username = $1 AND (failed_logins <> 0 OR locked_until IS NOT NULL)', [username]);
    await this.audit('console.login', { username, role: known.role });
    return { username, role: known.role };
  }

  /** One more failure; the LOCKOUT.failures-th locks the account and starts a new count. */
  private async recordFailure(username: string, reason: string): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.db.transaction(async (tx) => {
      const r = await tx.query<{ locked_until: Date | null }>(
        `UPDATE operators SET
           locked_until = CASE WHEN failed_logins + 1 >= $2 THEN $3 ELSE locked_until END,
           failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END,
           updated_at = $4
         WHERE username = $1 RETURNING locked_until`,
        [username, LOCKOUT.failures, new Date(now + LOCKOUT.ms), new Date(now)],
      );
      const locked = (r.rows[0]?.locked_until?.getTime() ?? 0) > now;
      await this.deps.audit.append(tx, { kind: 'console.login-failed', detail: { username, reason, locked } });
    });
  }

  private async audit(kind: string, detail: Record<string, string | null>): Promise<void> {
    await this.deps.db.transaction((tx) => this.deps.audit.append(tx, { kind, detail }));
  }

  private dummyHash(): Promise<string> {
    return this.#dummy;
  }
}
