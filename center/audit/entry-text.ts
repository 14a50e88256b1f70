/**
 * The canonical text of one audit entry: what the leaf hash covers
 * (leaf data = UTF-8 of this text, RFC 6962 §2.1). JSON with a fixed key
 * order, so the same entry always gives the same bytes:
 *
 *   {"idx":n,"t":"<ISO 8601 UTC>","kind":"…","kiosk":"…"|null,"job":"…"|null,
 *    "session":"…"|null,"detail":{…keys sorted…}}
 *
 * The position `idx` is inside the text, so an entry moved to another row
 * no longer matches its place. Limits keep entries small and flat: personal
 * data has no room to hide in nested structures (DESIGN §6).
 */
import type { AuditEntryInput, AuditValue } from './types.js';
import { AuditError } from './errors.js';

export const MAX_KIND_LENGTH = 64;
export const MAX_DETAIL_KEYS = 32;
export const MAX_STRING_LENGTH = 256;

const KIND_RE = /^[a-z.-]+$/;
const KEY_RE = /^[A-Za-z0-9_.-]{1,64}$/;

/** An entry as stored: the caller's input plus its position and time. */
export interface AuditRecord {
  idx: number;
  /** ISO 8601 time of the append (Date.toISOString form). */
  t: string;
  kind: string;
  kiosk: string | null;
  job: string | null;
  session: string | null;
  detail: Record<string, AuditValue>;
}

/** Validates an entry input and gives the record at `idx`, time `atMs`. Throws AuditError INVALID_ENTRY. */
export function toRecord(idx: number, atMs: number, input: AuditEntryInput): AuditRecord {
  return checkRecord({
    idx,
    t: new Date(atMs).toISOString(),
    kind: input.kind,
    kiosk: input.kiosk ?? null,
    job: input.job ?? null,
    session: input.session ?? null,
    detail: input.detail,
  });
}

/** The canonical text of a (validated) record. */
export function entryText(r: AuditRecord): string {
  const detail = Object.keys(r.detail)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(r.detail[k])}`)
    .join(',');
  const s = JSON.stringify;
  return `{"idx":${r.idx},"t":${s(r.t)},"kind":${s(r.kind)},"kiosk":${s(r.kiosk)},"job":${s(r.job)},"session":${s(r.session)},"detail":{${detail}}}`;
}

/**
 * Parses stored text back into a record and checks it is canonical (the
 * verifier's view). Throws AuditError INVALID_ENTRY naming what is wrong.
 */
export function parseEntryText(text: string): AuditRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('text is not JSON');
  }
  if (!isPlainObject(value)) throw invalid('text is not a JSON object');
  const record = checkRecord(value as unknown as AuditRecord);
  if (entryText(record) !== text) throw invalid('text is not in canonical form');
  return record;
}

/** Checks every field of a record at run time (input may come from untyped callers or the database). */
function checkRecord(r: AuditRecord): AuditRecord {
  if (!Number.isSafeInteger(r.idx) || r.idx < 0) throw invalid('idx is not a non-negative integer');
  if (typeof r.t !== 'string' || !isIsoTime(r.t)) throw invalid('t is not an ISO 8601 UTC time');
  if (typeof r.kind !== 'string' || r.kind.length === 0 || r.kind.length > MAX_KIND_LENGTH || !KIND_RE.test(r.kind)) {
    throw invalid(`kind must be 1..${MAX_KIND_LENGTH} characters of [a-z.-]`);
  }
  for (const field of ['kiosk', 'job', 'session'] as const) {
    const v = r[field];
    if (v !== null && (typeof v !== 'string' || v.length > MAX_STRING_LENGTH)) {
      throw invalid(`${field} must be a string of at most ${MAX_STRING_LENGTH} characters`);
    }
  }
  if (!isPlainObject(r.detail)) throw invalid('detail must be an object');
  const keys = Object.keys(r.detail);
  if (keys.length > MAX_DETAIL_KEYS) throw invalid(`detail has ${keys.length} keys (at most ${MAX_DETAIL_KEYS})`);
  for (const k of keys) {
    if (!KEY_RE.test(k)) throw invalid('detail key must be 1..64 characters of [A-Za-z0-9_.-]');
    checkValue(k, r.detail[k]);
  }
  return { idx: r.idx, t: r.t, kind: r.kind, kiosk: r.kiosk, job: r.job, session: r.session, detail: r.detail };
}

function checkValue(key: string, v: unknown): void {
  if (v === null || typeof v === 'boolean') return;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw invalid(`detail.${key} is not a finite number`);
    return;
  }
  if (typeof v === 'string') {
    if (v.length > MAX_STRING_LENGTH) throw invalid(`detail.${key} is longer than ${MAX_STRING_LENGTH} characters`);
    return;
  }
  throw invalid(`detail.${key} must be a string, number, boolean or null (no objects, arrays or bytes)`);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function isIsoTime(t: string): boolean {
  const ms = Date.parse(t);
  return Number.isFinite(ms) && new Date(ms).toISOString() === t;
}

function invalid(what: string): AuditError {
  return new AuditError('INVALID_ENTRY', what);
}
