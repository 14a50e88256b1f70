/**
 * A CA's revocation list as a file (`revoked.json`, docs/pki.md): what its
 * next CRL must list, and the cRLNumber of the last CRL signed from it.
 *
 *   { "v": 1, "crlNumber": 3,
 *     "revoked": [{ "serial": "4bcd…", "date": "2030-01-15T12:00:00.000Z", "reason": "superseded" }] }
 *
 * Parsing is strict: anything else (unknown keys, a serial that is not
 * canonical hex, a duplicate serial, a date that is not ISO 8601 UTC, a
 * reason outside RFC 5280 §5.3.1's set we use) is refused with PkiError
 * STATE_INVALID, never dropped: a dropped entry would un-revoke a
 * certificate. Pure: the files are read and written by crl-state.ts.
 */
import { z } from 'zod';
import { PkiError } from './errors.js';
import type { RevocationReason } from './ca.js';

/** The reasons `pki revoke --reason` and revokeSerials accept (RFC 5280 §5.3.1). */
export const REVOCATION_REASONS = ['keyCompromise', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn', 'affiliationChanged'] as const satisfies readonly RevocationReason[];

export interface RevokedEntry {
  /** Canonical serial: lower-case hex, no leading zero byte, 1..20 bytes. */
  serial: string;
  /** ISO 8601 (UTC) revocation date. */
  date: string;
  reason: RevocationReason;
  /**
   * ISO 8601 (UTC) notAfter of the revoked certificate, when the revoker knew
   * it. An entry with it leaves the CRL once a CRL issued after that date has
   * listed it (RFC 5280 §3.3, §5.1.2.6), and the list one re-signing later;
   * an entry without it stays.
   */
  notAfter?: string;
}

export interface RevocationList {
  v: 1;
  /** The cRLNumber of the last CRL signed from this list (RFC 5280 §5.2.3); the next is one more. */
  crlNumber: number;
  revoked: RevokedEntry[];
}

/** Most entries a list may hold (revoked.json is read with a 1 MiB bound; an entry is ~100 bytes). */
export const MAX_REVOKED = 8000;

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const entrySchema = z.strictObject({
  serial: z.string().regex(/^[0-9a-f]{2,40}$/),
  date: z.string().regex(ISO_UTC),
  reason: z.enum(REVOCATION_REASONS),
  notAfter: z.string().regex(ISO_UTC).optional(),
});

const listSchema = z.strictObject({
  v: z.literal(1),
  crlNumber: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  revoked: z.array(entrySchema).max(MAX_REVOKED),
});

/** A new list: nothing revoked, the first CRL (number 1) about to be signed. */
export function emptyRevocationList(): RevocationList {
  return { v: 1, crlNumber: 1, revoked: [] };
}

/**
 * A certificate serial as the CRL lists it: colons (OpenSSL's display) and
 * case ignored, leading zero bytes dropped (the DER INTEGER is the same
 * number), 1..20 bytes (RFC 5280 §4.1.2.2), not zero. PkiError
 * INVALID_ARGUMENT otherwise.
 */
export function canonicalSerial(input: string): string {
  if (typeof input !== 'string' || input.length > 80) throw new PkiError('INVALID_ARGUMENT', 'serial must be 1..20 bytes of hex');
  let hex = input.replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex)) throw new PkiError('INVALID_ARGUMENT', 'serial must be hex (0-9, a-f; colons allowed)');
  if (hex.length % 2 === 1) hex = `0${hex}`;
  while (hex.length > 2 && hex.startsWith('00')) hex = hex.slice(2);
  if (hex === '00') throw new PkiError('INVALID_ARGUMENT', 'serial 0 is not a certificate serial');
  if (hex.length > 40) throw new PkiError('INVALID_ARGUMENT', 'serial is longer than 20 bytes');
  return hex;
}

/** Checks a revocation reason (RFC 5280 §5.3.1, the subset in REVOCATION_REASONS). */
export function checkReason(reason: string): RevocationReason {
  if (!(REVOCATION_REASONS as readonly string[]).includes(reason)) throw new PkiError('INVALID_ARGUMENT', `reason must be one of ${REVOCATION_REASONS.join(', ')}`);
  return reason as RevocationReason;
}

/** Parses revoked.json. PkiError STATE_INVALID names the file and the first problem, never guesses. */
export function parseRevocationList(text: string, path: string): RevocationList {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PkiError('STATE_INVALID', `${path}: not JSON`);
  }
  const r = listSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new PkiError('STATE_INVALID', `${path}: ${issue ? `${issue.path.join('.') || '(top)'}: ${issue.message}` : 'invalid'}`);
  }
  const seen = new Set<string>();
  for (const e of r.data.revoked) {
    if (canonicalSerialOrNull(e.serial) !== e.serial) throw new PkiError('STATE_INVALID', `${path}: serial ${e.serial} is not canonical`);
    if (seen.has(e.serial)) throw new PkiError('STATE_INVALID', `${path}: serial ${e.serial} listed twice`);
    seen.add(e.serial);
    if (Number.isNaN(Date.parse(e.date))) throw new PkiError('STATE_INVALID', `${path}: date ${e.date} is not a date`);
    if (e.notAfter !== undefined && Number.isNaN(Date.parse(e.notAfter))) throw new PkiError('STATE_INVALID', `${path}: notAfter ${e.notAfter} is not a date`);
  }
  return r.data;
}

/** The file's text: stable key order, one entry per line, ending in a newline. */
export function serializeRevocationList(list: RevocationList): string {
  const entries = list.revoked.map((e) => `    ${JSON.stringify({ serial: e.serial, date: e.date, reason: e.reason, ...(e.notAfter === undefined ? {} : { notAfter: e.notAfter }) })}`);
  const body = entries.length === 0 ? '[]' : `[\n${entries.join(',\n')}\n  ]`;
  return `{\n  "v": 1,\n  "crlNumber": ${list.crlNumber},\n  "revoked": ${body}\n}\n`;
}

/** An entry to put on the list: a canonical serial, its reason, and its certificate's notAfter when known. */
export interface WantedEntry {
  serial: string;
  reason: RevocationReason;
  notAfter?: Date;
}

/**
 * `list` with the entries not yet in it (idempotent per serial: an entry
 * already there keeps its first date and reason), revoked at `now`. A
 * listed entry without notAfter gets the one given now (`filled`).
 */
export function withEntries(list: RevocationList, entries: readonly WantedEntry[], now: number): { list: RevocationList; added: RevokedEntry[]; filled: number } {
  const have = new Map(list.revoked.map((e) => [e.serial, e]));
  const added: RevokedEntry[] = [];
  const date = new Date(now).toISOString();
  let filled = 0;
  for (const e of entries) {
    const notAfter = notAfterText(e.notAfter);
    const old = have.get(e.serial);
    if (old) {
      if (old.notAfter === undefined && notAfter !== undefined) {
        have.set(e.serial, { ...old, notAfter });
        filled++;
      }
      continue;
    }
    const entry: RevokedEntry = { serial: e.serial, date, reason: e.reason, ...(notAfter === undefined ? {} : { notAfter }) };
    have.set(e.serial, entry);
    added.push(entry);
  }
  if (list.revoked.length + added.length > MAX_REVOKED) throw new PkiError('INVALID_ARGUMENT', `a list of more than ${MAX_REVOKED} revoked certificates`);
  return { list: { ...list, revoked: [...have.values()] }, added, filled };
}

/**
 * What the next CRL lists and what the list keeps, given the CRL now
 * published (RFC 5280 §3.3: an entry may go once the certificate has
 * expired; §5.1.2.6: not before it appeared on one CRL issued after that).
 * An entry whose notAfter is before the published CRL's thisUpdate is left
 * off the next CRL; it leaves the list once the published CRL no longer
 * lists it, so the list always covers the CRL published from it (a crash
 * between the two writes never leaves a CRL listing what the file lost).
 * Without a published CRL (a rebuild) nothing is pruned.
 */
export function pruneExpired(list: RevocationList, published: { thisUpdate: Date; serials: readonly string[] } | undefined): { list: RevocationList; onCrl: RevokedEntry[]; dropped: number } {
  if (!published) return { list, onCrl: list.revoked, dropped: 0 };
  const listed = new Set(published.serials);
  const expired = (e: RevokedEntry): boolean => e.notAfter !== undefined && Date.parse(e.notAfter) < published.thisUpdate.getTime();
  const kept = list.revoked.filter((e) => !(expired(e) && !listed.has(e.serial)));
  return { list: { ...list, revoked: kept }, onCrl: kept.filter((e) => !expired(e)), dropped: list.revoked.length - kept.length };
}

function notAfterText(d: Date | undefined): string | undefined {
  if (d === undefined) return undefined;
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new PkiError('INVALID_ARGUMENT', 'notAfter is not a date');
  return d.toISOString();
}

function canonicalSerialOrNull(s: string): string | null {
  try {
    return canonicalSerial(s);
  } catch {
    return null;
  }
}
