/**
 * The kiosk registry (DESIGN §1 (12, 13): control-terminal authentication
 * database) and each kiosk's reader registry (DESIGN §3 step 2), which the
 * center signs and sends to the kiosk.
 */
import type { Clock } from '../common/clock.js';
import { signRegistry, type ReaderRegistry, type SignedRegistry } from '../wire/registry.js';
import { ID_PATTERN } from '../wire/messages.js';
import type { AuditLog } from './audit/types.js';
import { CenterError } from './errors.js';
import { endJobsOfKiosk } from './jobs.js';
import type { Db, Sql } from './store/db.js';

export interface KioskRow {
  id: string;
  status: 'active' | 'revoked';
  mode: 'relay' | 'sealed';
  signing_public_key: Uint8Array;
  cert_fingerprint: string;
}

export interface ReaderRow {
  id: string;
  kind: 'sim' | 'pcsc' | 'dispenser' | 'keypad';
  public_key: Uint8Array | null;
}

export interface RegistryDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
}

export async function addKiosk(deps: RegistryDeps, k: { id: string; signingPublicKey: Uint8Array; certFingerprint: string; site?: string }): Promise<void> {
  if (!ID_PATTERN.test(k.id)) throw new CenterError('KIOSK_INVALID', 'kiosk id: 1..64 of [A-Za-z0-9._-]');
  if (k.signingPublicKey.length !== 32) throw new CenterError('KIOSK_INVALID', 'signing public key must be 32 bytes (Ed25519)');
  const now = new Date(deps.clock.now());
  await deps.db.transaction(async (tx) => {
    const exists = await tx.query('SELECT 1 FROM kiosks WHERE id = $1', [k.id]);
    if (exists.rows.length > 0) throw new CenterError('KIOSK_EXISTS', `kiosk ${k.id} is already registered`);
    await tx.query(
      `INSERT INTO kiosks (id, status, site, signing_public_key, cert_fingerprint, created_at, updated_at) VALUES ($1, 'active', $2, $3, $4, $5, $5)`,
      [k.id, k.site ?? '', k.signingPublicKey, k.certFingerprint, now],
    );
    await tx.query('INSERT INTO registry_versions (kiosk_id, version) VALUES ($1, 1)', [k.id]);
    await deps.audit.append(tx, { kind: 'kiosk.added', kiosk: k.id, detail: { fingerprint: k.certFingerprint } });
  });
}

export async function setKioskStatus(deps: RegistryDeps, id: string, status: 'active' | 'revoked', reason: string): Promise<void> {
  await deps.db.transaction(async (tx) => {
    const r = await tx.query('UPDATE kiosks SET status = $2, updated_at = $3 WHERE id = $1', [id, status, new Date(deps.clock.now())]);
    if (r.rowCount === 0) throw new CenterError('KIOSK_UNKNOWN', `no kiosk ${id}`);
    await deps.audit.append(tx, { kind: 'kiosk.status', kiosk: id, detail: { status, reason } });
    if (status === 'revoked') await endJobsOfKiosk(deps, tx, id, 'kiosk-revoked');
  });
}

export async function addReader(deps: RegistryDeps, r: { kiosk: string; id: string; kind: ReaderRow['kind']; publicKey: Uint8Array | null }): Promise<void> {
  if (!ID_PATTERN.test(r.id)) throw new CenterError('READER_INVALID', 'reader id: 1..64 of [A-Za-z0-9._-]');
  if (r.publicKey && r.publicKey.length !== 32) throw new CenterError('READER_INVALID', 'reader public key must be 32 bytes (Ed25519)');
  await deps.db.transaction(async (tx) => {
    const k = await tx.query('SELECT 1 FROM kiosks WHERE id = $1 FOR UPDATE', [r.kiosk]);
    if (k.rows.length === 0) throw new CenterError('KIOSK_UNKNOWN', `no kiosk ${r.kiosk}`);
    await tx.query(
      `INSERT INTO readers (kiosk_id, id, kind, public_key, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (kiosk_id, id) DO UPDATE SET kind = EXCLUDED.kind, public_key = EXCLUDED.public_key`,
      [r.kiosk, r.id, r.kind, r.publicKey, new Date(deps.clock.now())],
    );
    await tx.query('UPDATE registry_versions SET version = version + 1 WHERE kiosk_id = $1', [r.kiosk]);
    await deps.audit.append(tx, { kind: 'reader.added', kiosk: r.kiosk, detail: { reader: r.id, kind: r.kind, withKey: r.publicKey !== null } });
  });
}

export async function getKiosk(db: Sql, id: string): Promise<KioskRow | undefined> {
  const r = await db.query<KioskRow>('SELECT id, status, mode, signing_public_key, cert_fingerprint FROM kiosks WHERE id = $1', [id]);
  return r.rows[0];
}

export async function listReaders(db: Sql, kiosk: string): Promise<ReaderRow[]> {
  const r = await db.query<ReaderRow>('SELECT id, kind, public_key FROM readers WHERE kiosk_id = $1 ORDER BY id', [kiosk]);
  return r.rows;
}

/** The kiosk's reader registry, signed with the center's key. */
export async function signedReaderRegistry(db: Sql, kiosk: string, centerKey: Uint8Array, now: number): Promise<SignedRegistry> {
  const readers = await listReaders(db, kiosk);
  const v = await db.query<{ version: number }>('SELECT version FROM registry_versions WHERE kiosk_id = $1', [kiosk]);
  const reg: ReaderRegistry = {
    v: 1,
    kiosk,
    version: v.rows[0]?.version ?? 1,
    issuedAt: now,
    readers: readers.map((r) => ({ id: r.id, kind: r.kind, publicKey: r.public_key ? Buffer.from(r.public_key).toString('hex') : null })),
  };
  return signRegistry(reg, centerKey);
}
