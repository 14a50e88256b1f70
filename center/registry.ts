/**
 * The kiosk registry (DESIGN §1 (12, 13): control-terminal authentication
 * database) and each kiosk's reader registry (DESIGN §3 step 2), which the
 * center signs and sends to the kiosk.
 */
import type { Clock } from '../common/clock.js';
import { DESCRIPTOR_PATTERN, signRegistry, type ReaderRegistry, type RegistryReader, type SignedRegistry } from '../wire/registry.js';
import { ID_PATTERN } from '../wire/messages.js';
import type { AuditLog } from './audit/types.js';
import { CenterError } from './errors.js';
import { recordKioskCert, type CertSource } from './certs.js';
import { endJobsOfKiosk } from './jobs.js';
import type { Db, Sql } from './store/db.js';

/** 'decommissioned': revoked, and its key store wiped (docs/provisioning.md §4). */
export type KioskStatus = 'active' | 'revoked' | 'decommissioned';

export interface KioskRow {
  id: string;
  status: KioskStatus;
  mode: 'relay' | 'sealed';
  signing_public_key: Uint8Array;
  /** X25519 (migration 004): sealed-mode packages are sealed to it. Null: relay mode only. */
  sealing_public_key: Uint8Array | null;
  cert_fingerprint: string;
}

export interface ReaderRow {
  id: string;
  kind: 'sim' | 'pcsc' | 'dispenser' | 'keypad';
  public_key: Uint8Array | null;
  /** NULL only for rows from before migration 003 that are not simulators: left out of the signed registry. */
  vendor: string | null;
  product: string | null;
  serial: string | null;
}

export interface RegistryDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
}

export interface NewKiosk {
  id: string;
  signingPublicKey: Uint8Array;
  /** X25519 public key of the kiosk's sealing key (its key store): needed for sealed mode. */
  sealingPublicKey?: Uint8Array;
  certFingerprint: string;
  site?: string;
  /** Default 'relay' (DESIGN §3: sealed mode is opt-in per kiosk). */
  mode?: 'relay' | 'sealed';
  /** The end of the kiosk's TLS certificate's validity (shown by the console's fleet view). */
  certNotAfter?: Date;
  /** The certificate's serial (hex): recorded in kiosk_certs as current, so that revocation can put it on the CRL. */
  certSerial?: string;
  /** How the certificate came (default 'registered': from a PKI directory). */
  certSource?: CertSource;
}

export async function addKiosk(deps: RegistryDeps, k: NewKiosk, also?: (tx: Sql) => Promise<void>): Promise<void> {
  if (!ID_PATTERN.test(k.id)) throw new CenterError('KIOSK_INVALID', 'kiosk id: 1..64 of [A-Za-z0-9._-]');
  if (k.signingPublicKey.length !== 32) throw new CenterError('KIOSK_INVALID', 'signing public key must be 32 bytes (Ed25519)');
  if (k.sealingPublicKey !== undefined && k.sealingPublicKey.length !== 32) throw new CenterError('KIOSK_INVALID', 'sealing public key must be 32 bytes (X25519)');
  const mode = k.mode ?? 'relay';
  if (mode === 'sealed' && k.sealingPublicKey === undefined) throw new CenterError('KIOSK_INVALID', 'sealed mode needs the kiosk\'s sealing public key');
  if (k.certNotAfter !== undefined && Number.isNaN(k.certNotAfter.getTime())) throw new CenterError('KIOSK_INVALID', 'certificate end of validity is not a date');
  const now = new Date(deps.clock.now());
  await deps.db.transaction(async (tx) => {
    const exists = await tx.query('SELECT 1 FROM kiosks WHERE id = $1', [k.id]);
    if (exists.rows.length > 0) throw new CenterError('KIOSK_EXISTS', `kiosk ${k.id} is already registered`);
    await tx.query(
      `INSERT INTO kiosks (id, status, mode, site, signing_public_key, sealing_public_key, cert_fingerprint, cert_not_after, created_at, updated_at) VALUES ($1, 'active', $2, $3, $4, $5, $6, $7, $8, $8)`,
      [k.id, mode, k.site ?? '', k.signingPublicKey, k.sealingPublicKey ?? null, k.certFingerprint, k.certNotAfter ?? null, now],
    );
    await tx.query('INSERT INTO registry_versions (kiosk_id, version) VALUES ($1, 1)', [k.id]);
    if (k.certSerial !== undefined) {
      if (k.certNotAfter === undefined) throw new CenterError('KIOSK_INVALID', 'a recorded certificate needs its end of validity');
      await recordKioskCert(tx, { kiosk: k.id, serial: k.certSerial, fingerprint: k.certFingerprint, notAfter: k.certNotAfter, state: 'current', source: k.certSource ?? 'registered' }, now);
    }
    await deps.audit.append(tx, { kind: 'kiosk.added', kiosk: k.id, detail: { fingerprint: k.certFingerprint, mode, site: k.site ?? '' } });
    await also?.(tx);
  });
}

/**
 * Switches a kiosk between relay and sealed mode (DESIGN §3: opt-in per
 * kiosk, at the center). Takes effect at the kiosk's next script: a job
 * already WRITING finishes in the mode it started in. Throws CenterError
 * KIOSK_UNKNOWN, or KIOSK_INVALID when sealed mode lacks a sealing key.
 */
export async function setKioskMode(deps: RegistryDeps, id: string, mode: 'relay' | 'sealed'): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const r = await tx.query<{ sealing_public_key: Uint8Array | null }>('SELECT sealing_public_key FROM kiosks WHERE id = $1 FOR UPDATE', [id]);
    const row = r.rows[0];
    if (row === undefined) throw new CenterError('KIOSK_UNKNOWN', `no kiosk ${id}`);
    if (mode === 'sealed' && row.sealing_public_key === null) throw new CenterError('KIOSK_INVALID', `kiosk ${id} has no sealing public key: sealed mode is not possible`);
    await tx.query('UPDATE kiosks SET mode = $2, updated_at = $3 WHERE id = $1', [id, mode, new Date(deps.clock.now())]);
    await deps.audit.append(tx, { kind: 'kiosk.mode', kiosk: id, detail: { mode } });
  });
}

/** Records (or replaces) a kiosk's sealing public key. Throws CenterError KIOSK_UNKNOWN / KIOSK_INVALID. */
export async function setSealingKey(deps: RegistryDeps, id: string, sealingPublicKey: Uint8Array): Promise<void> {
  if (sealingPublicKey.length !== 32) throw new CenterError('KIOSK_INVALID', 'sealing public key must be 32 bytes (X25519)');
  await deps.db.transaction(async (tx) => {
    const r = await tx.query('UPDATE kiosks SET sealing_public_key = $2, updated_at = $3 WHERE id = $1', [id, sealingPublicKey, new Date(deps.clock.now())]);
    if (r.rowCount === 0) throw new CenterError('KIOSK_UNKNOWN', `no kiosk ${id}`);
    await deps.audit.append(tx, { kind: 'kiosk.sealing-key', kiosk: id, detail: {} });
  });
}

/**
 * Sets a kiosk's status, audited `kiosk.status`. The change is one
 * conditional UPDATE, so of two concurrent calls only one changes anything
 * (and is audited); the other, like any call for a kiosk that already has
 * that status, throws CenterError KIOSK_UNCHANGED. A decommissioned kiosk
 * keeps its status (docs/provisioning.md §4): any other is refused
 * KIOSK_UNCHANGED, saying so. KIOSK_UNKNOWN when there is no such kiosk. `also` runs in the same transaction (the console's
 * `console.action` entry: the change and who made it, or neither).
 */
export async function setKioskStatus(deps: RegistryDeps, id: string, status: KioskStatus, reason: string, also?: (tx: Sql) => Promise<void>): Promise<void> {
  await deps.db.transaction(async (tx) => {
    // Decommissioned is final: the wipe was asked for (or done), and a later revoke must not turn it back into revoked.
    const r = await tx.query(`UPDATE kiosks SET status = $2, updated_at = $3 WHERE id = $1 AND status <> $2 AND status <> 'decommissioned'`, [id, status, new Date(deps.clock.now())]);
    if (r.rowCount === 0) {
      const k = await tx.query<{ status: KioskStatus }>('SELECT status FROM kiosks WHERE id = $1', [id]);
      const now = k.rows[0]?.status;
      if (now === undefined) throw new CenterError('KIOSK_UNKNOWN', `no kiosk ${id}`);
      if (now === 'decommissioned' && status !== 'decommissioned') throw new CenterError('KIOSK_UNCHANGED', `kiosk ${id} is decommissioned, which is final: it cannot become ${status}`);
      throw new CenterError('KIOSK_UNCHANGED', `kiosk ${id} is already ${status}`);
    }
    await deps.audit.append(tx, { kind: 'kiosk.status', kiosk: id, detail: { status, reason } });
    if (status !== 'active') await endJobsOfKiosk(deps, tx, id, 'kiosk-revoked');
    await also?.(tx);
  });
}

/** What a reader reports about itself (hardware/station.ts `DeviceDescriptor`); the kiosk compares it for identity match. */
export interface ReaderDescriptor {
  vendor: string;
  product: string;
  /** null: the device reports no serial (and only such a device matches). */
  serial: string | null;
}

export interface NewReader extends ReaderDescriptor {
  kiosk: string;
  id: string;
  kind: ReaderRow['kind'];
  /** The reader's Ed25519 identity key (32 bytes), or null for a device that cannot sign (identity match only). */
  publicKey: Uint8Array | null;
}

const READER_KINDS: readonly string[] = ['sim', 'pcsc', 'dispenser', 'keypad'];

/** Validates a new reader at the boundary (CenterError READER_INVALID names the field, never its value). */
export function checkNewReader(r: NewReader): void {
  if (!ID_PATTERN.test(r.id)) throw new CenterError('READER_INVALID', 'reader id: 1..64 of [A-Za-z0-9._-]');
  if (!READER_KINDS.includes(r.kind)) throw new CenterError('READER_INVALID', 'reader kind: sim, pcsc, dispenser or keypad');
  if (!DESCRIPTOR_PATTERN.test(r.vendor)) throw new CenterError('READER_INVALID', 'reader vendor: 1..64 printable ASCII characters');
  if (!DESCRIPTOR_PATTERN.test(r.product)) throw new CenterError('READER_INVALID', 'reader product: 1..64 printable ASCII characters');
  if (r.serial !== null && !DESCRIPTOR_PATTERN.test(r.serial)) throw new CenterError('READER_INVALID', 'reader serial: 1..64 printable ASCII characters, or none');
  if (r.publicKey && r.publicKey.length !== 32) throw new CenterError('READER_INVALID', 'reader public key must be 32 bytes (Ed25519)');
}

/**
 * Adds a reader to the kiosk's registry, or replaces the entry with the
 * same ID; the registry version goes up. Resolves with the new version.
 * A running center pushes it to the kiosk (center.ts `readers`, or its
 * periodic check for changes made by other processes).
 */
export async function addReader(deps: RegistryDeps, r: NewReader): Promise<number> {
  checkNewReader(r);
  return deps.db.transaction(async (tx) => {
    const k = await tx.query('SELECT 1 FROM kiosks WHERE id = $1 FOR UPDATE', [r.kiosk]);
    if (k.rows.length === 0) throw new CenterError('KIOSK_UNKNOWN', `no kiosk ${r.kiosk}`);
    await tx.query(
      `INSERT INTO readers (kiosk_id, id, kind, public_key, vendor, product, serial, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (kiosk_id, id) DO UPDATE SET kind = EXCLUDED.kind, public_key = EXCLUDED.public_key,
         vendor = EXCLUDED.vendor, product = EXCLUDED.product, serial = EXCLUDED.serial`,
      [r.kiosk, r.id, r.kind, r.publicKey, r.vendor, r.product, r.serial, new Date(deps.clock.now())],
    );
    const version = await bumpVersion(tx, r.kiosk);
    await deps.audit.append(tx, {
      kind: 'reader.added',
      kiosk: r.kiosk,
      detail: { reader: r.id, kind: r.kind, withKey: r.publicKey !== null, vendor: r.vendor, product: r.product, serial: r.serial, registryVersion: version },
    });
    return version;
  });
}

/**
 * Removes a reader from the kiosk's registry; the registry version goes up
 * and resolves with it. CenterError READER_UNKNOWN when there is no such
 * reader (nothing changes then).
 */
export async function removeReader(deps: RegistryDeps, r: { kiosk: string; id: string; reason?: string }): Promise<number> {
  return deps.db.transaction(async (tx) => {
    const k = await tx.query('SELECT 1 FROM kiosks WHERE id = $1 FOR UPDATE', [r.kiosk]);
    if (k.rows.length === 0) throw new CenterError('KIOSK_UNKNOWN', `no kiosk ${r.kiosk}`);
    const del = await tx.query('DELETE FROM readers WHERE kiosk_id = $1 AND id = $2', [r.kiosk, r.id]);
    if (del.rowCount === 0) throw new CenterError('READER_UNKNOWN', `kiosk ${r.kiosk} has no reader ${r.id}`);
    const version = await bumpVersion(tx, r.kiosk);
    await deps.audit.append(tx, { kind: 'reader.removed', kiosk: r.kiosk, detail: { reader: r.id, reason: (r.reason ?? 'operator').slice(0, 200), registryVersion: version } });
    return version;
  });
}

async function bumpVersion(tx: Sql, kiosk: string): Promise<number> {
  const v = await tx.query<{ version: number }>('UPDATE registry_versions SET version = version + 1 WHERE kiosk_id = $1 RETURNING version', [kiosk]);
  const row = v.rows[0];
  if (!row) throw new CenterError('KIOSK_UNKNOWN', `kiosk ${kiosk} has no registry version`);
  return row.version;
}

export async function getKiosk(db: Sql, id: string): Promise<KioskRow | undefined> {
  const r = await db.query<KioskRow>('SELECT id, status, mode, signing_public_key, sealing_public_key, cert_fingerprint FROM kiosks WHERE id = $1', [id]);
  return r.rows[0];
}

export async function listReaders(db: Sql, kiosk: string): Promise<ReaderRow[]> {
  const r = await db.query<ReaderRow>('SELECT id, kind, public_key, vendor, product, serial FROM readers WHERE kiosk_id = $1 ORDER BY id', [kiosk]);
  return r.rows;
}

/** The kiosk's reader registry (format v2), and its version. Rows without a descriptor are left out: the kiosk could not match them. */
export async function readerRegistry(db: Sql, kiosk: string, now: number): Promise<ReaderRegistry> {
  const readers = await listReaders(db, kiosk);
  const v = await db.query<{ version: number }>('SELECT version FROM registry_versions WHERE kiosk_id = $1', [kiosk]);
  const entries: RegistryReader[] = [];
  for (const r of readers) {
    if (r.vendor === null || r.product === null) continue;
    entries.push({ id: r.id, kind: r.kind, vendor: r.vendor, product: r.product, serial: r.serial, publicKey: r.public_key ? Buffer.from(r.public_key).toString('hex') : null });
  }
  return { v: 2, kiosk, version: v.rows[0]?.version ?? 1, issuedAt: now, readers: entries };
}

/** The kiosk's reader registry, signed with the center's key. */
export async function signedReaderRegistry(db: Sql, kiosk: string, centerKey: Uint8Array, now: number): Promise<{ signed: SignedRegistry; version: number }> {
  const reg = await readerRegistry(db, kiosk, now);
  return { signed: signRegistry(reg, centerKey), version: reg.version };
}
