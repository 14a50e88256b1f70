/**
 * One-time enrolment tokens (docs/provisioning.md §2; migration 006
 * `enrolment_tokens`): 32 random bytes, handed out once as base64url (43
 * characters) and kept only as the SHA-256 of those 32 bytes, bound to one
 * kiosk ID and site, short-lived (60 minutes by default, at most 24 hours)
 * and good for one enrolment.
 *
 * `takeToken` runs inside the enrolment's transaction: the row is locked
 * (SELECT … FOR UPDATE), so of two enrolments with the same token one waits
 * for the other and then finds it used; and the token is marked used in the
 * same transaction as the kiosk's registration, so a failed enrolment leaves
 * it unused. `checkToken` is the same check without the lock or the write,
 * made before the costly steps (certification) so that a request without a
 * valid token costs the center no signature.
 *
 * A used token keeps its enrolment's record (migration 007: the CSR's hash,
 * the answered certificates): within the token's lifetime, the same request
 * again is answered again (handler.ts), since the kiosk may never have got
 * the first answer. Anything else with a used token stays `used`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../common/clock.js';
import { ID_PATTERN } from '../../wire/messages.js';
import { DESCRIPTOR_PATTERN } from '../../wire/registry.js';
import type { AuditLog } from '../audit/types.js';
import { CenterError } from '../errors.js';
import type { Db, Sql } from '../store/db.js';
import { EnrolError, type TokenRefusal } from './errors.js';

export const TOKEN_BYTES = 32;
export const DEFAULT_TOKEN_TTL_MINUTES = 60;
export const MAX_TOKEN_TTL_MINUTES = 1440;
/** base64url without padding of 32 bytes. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface TokenDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  random: (n: number) => Uint8Array;
}

export interface NewToken {
  kiosk: string;
  site: string;
  /** Default 60, 1..1440. */
  ttlMinutes?: number;
  /** Who made it (recorded and audited), e.g. `cli:alice`. */
  createdBy: string;
}

export interface IssuedToken {
  kiosk: string;
  site: string;
  /** The only copy: print it once, never log it. */
  token: string;
  expiresAt: Date;
}

/** Makes a token; the table and the audit entry (`enrol.token`) keep its hash's first 8 bytes at most. CenterError KIOSK_INVALID for bad input. */
export async function createEnrolmentToken(deps: TokenDeps, t: NewToken): Promise<IssuedToken> {
  if (!ID_PATTERN.test(t.kiosk) || /^cardline-/i.test(t.kiosk)) throw new CenterError('KIOSK_INVALID', 'kiosk id: 1..64 of [A-Za-z0-9._-], not starting with cardline-');
  if (!DESCRIPTOR_PATTERN.test(t.site)) throw new CenterError('KIOSK_INVALID', 'site: 1..64 printable ASCII characters');
  const ttl = t.ttlMinutes ?? DEFAULT_TOKEN_TTL_MINUTES;
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TOKEN_TTL_MINUTES) throw new CenterError('KIOSK_INVALID', `token lifetime: 1..${MAX_TOKEN_TTL_MINUTES} minutes`);
  const createdBy = t.createdBy.slice(0, 64);
  const raw = deps.random(TOKEN_BYTES);
  if (raw.length !== TOKEN_BYTES) throw new RangeError('random source output must be 32 bytes');
  const hash = sha256(raw);
  const token = Buffer.from(raw).toString('base64url');
  raw.fill(0);
  const now = new Date(deps.clock.now());
  const expiresAt = new Date(now.getTime() + ttl * 60_000);
  await deps.db.transaction(async (tx) => {
    await tx.query('INSERT INTO enrolment_tokens (token_hash, kiosk_id, site, created_at, expires_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)', [hash, t.kiosk, t.site, now, expiresAt, createdBy]);
    await deps.audit.append(tx, { kind: 'enrol.token', kiosk: t.kiosk, detail: { token: tokenId(hash), site: t.site, expiresAt: expiresAt.toISOString(), createdBy } });
  });
  return { kiosk: t.kiosk, site: t.site, token, expiresAt };
}

/** What a valid token says. `id`: the first 8 bytes of its hash, hex, to tie the audit entries of one token together. */
export interface TakenToken {
  id: string;
  site: string;
}

/**
 * What a used token keeps of its enrolment (migration 007), to answer the
 * same request again: the CSR's SHA-256 and the answer's certificates
 * (public).
 */
export interface EnrolmentRecord {
  /** SHA-256 of the CSR's UTF-8 bytes, exactly as sent. */
  csrSha256: Uint8Array;
  /** The certificate chain answered (PEM). */
  certificate: string;
  /** The root answered (PEM). */
  ca: string;
}

/**
 * Checks and consumes the token for `kiosk` inside the caller's transaction,
 * keeping `record` on its row. EnrolError token-refused with the reason:
 * unknown, other-kiosk, used, expired (checked in that order).
 */
export async function takeToken(tx: Sql, token: string, kiosk: string, now: Date, record: EnrolmentRecord): Promise<TakenToken> {
  const taken = await inspect(tx, token, kiosk, now, true);
  if (taken.used) throw refused('used');
  await tx.query('UPDATE enrolment_tokens SET used_at = $2, csr_sha256 = $3, certificate = $4, ca = $5 WHERE token_hash = $1', [taken.hash, now, record.csrSha256, record.certificate, record.ca]);
  return { id: taken.id, site: taken.site };
}

/**
 * The same checks as takeToken, without a lock and without consuming it.
 * A used token is refused (`used`) unless, within its lifetime, its record
 * holds the CSR of SHA-256 `csrSha256` (the same request again): then it
 * resolves with `resend`, the record, for the caller to answer again.
 */
export async function checkToken(db: Sql, token: string, kiosk: string, now: Date, csrSha256?: Uint8Array): Promise<TakenToken & { resend?: EnrolmentRecord }> {
  const t = await inspect(db, token, kiosk, now, false);
  if (!t.used) return { id: t.id, site: t.site };
  const r = t.record;
  if (r === undefined || csrSha256 === undefined || csrSha256.length !== r.csrSha256.length || !timingSafeEqual(csrSha256, r.csrSha256)) throw refused('used');
  return { id: t.id, site: t.site, resend: r };
}

interface TokenRow {
  kiosk_id: string;
  site: string;
  expires_at: Date;
  used_at: Date | null;
  csr_sha256: Uint8Array | null;
  certificate: string | null;
  ca: string | null;
}

interface Inspected extends TakenToken {
  hash: Uint8Array;
  used: boolean;
  record?: EnrolmentRecord;
}

/** unknown, other-kiosk, then: a used token within its lifetime is returned `used` (the caller decides), expired or used after its lifetime refused. */
async function inspect(sql: Sql, token: string, kiosk: string, now: Date, lock: boolean): Promise<Inspected> {
  if (!TOKEN_PATTERN.test(token)) throw refused('unknown');
  const raw = Buffer.from(token, 'base64url');
  const hash = sha256(raw);
  raw.fill(0);
  const r = await sql.query<TokenRow>(`SELECT kiosk_id, site, expires_at, used_at, csr_sha256, certificate, ca FROM enrolment_tokens WHERE token_hash = $1${lock ? ' FOR UPDATE' : ''}`, [hash]);
  const row = r.rows[0];
  if (row === undefined) throw refused('unknown');
  if (row.kiosk_id !== kiosk) throw refused('other-kiosk');
  const expired = row.expires_at.getTime() <= now.getTime();
  if (row.used_at !== null) {
    if (expired) throw refused('used');
    const record = row.csr_sha256 !== null && row.certificate !== null && row.ca !== null ? { csrSha256: new Uint8Array(row.csr_sha256), certificate: row.certificate, ca: row.ca } : undefined;
    return { id: tokenId(hash), site: row.site, hash, used: true, ...(record ? { record } : {}) };
  }
  if (expired) throw refused('expired');
  return { id: tokenId(hash), site: row.site, hash, used: false };
}

/** The one refusal of a token, whatever the reason (the reason is for the audit log only). */
export function refused(reason: TokenRefusal): EnrolError {
  return new EnrolError('token-refused', 'the enrolment token is not valid for this kiosk', reason);
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(bytes).digest());
}

function tokenId(hash: Uint8Array): string {
  return Buffer.from(hash.subarray(0, 8)).toString('hex');
}
