/**
 * The certificates the fleet CA issued to each kiosk (migration 006
 * `kiosk_certs`; docs/provisioning.md §3–4): which one is current, which a
 * renewal issued and the kiosk has not used yet, and which are revoked.
 * Each write is part of the caller's transaction (with its audit entry).
 */
import type { Sql } from './store/db.js';

export type CertState = 'pending' | 'current' | 'superseded' | 'revoked';
export type CertSource = 'registered' | 'enrolment' | 'renewal';

export interface KioskCertRow {
  serial: string;
  kiosk_id: string;
  fingerprint: string;
  not_after: Date;
  state: CertState;
  source: CertSource;
  issued_at: Date;
  revoked_at: Date | null;
}

export interface NewKioskCert {
  kiosk: string;
  serial: string;
  fingerprint: string;
  notAfter: Date;
  state: 'pending' | 'current';
  source: CertSource;
}

const SERIAL = /^[0-9a-f]{2,40}$/;

/** Records a certificate. A 'current' one first demotes the kiosk's previous current certificate to 'superseded'. */
export async function recordKioskCert(tx: Sql, c: NewKioskCert, now: Date): Promise<void> {
  const serial = c.serial.toLowerCase();
  if (!SERIAL.test(serial)) throw new Error(`certificate serial is not 1..20 bytes of hex`);
  if (c.state === 'current') await tx.query(`UPDATE kiosk_certs SET state = 'superseded' WHERE kiosk_id = $1 AND state = 'current'`, [c.kiosk]);
  await tx.query(
    'INSERT INTO kiosk_certs (serial, kiosk_id, fingerprint, not_after, state, source, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [serial, c.kiosk, c.fingerprint, c.notAfter, c.state, c.source, now],
  );
}

export async function kioskCerts(db: Sql, kiosk: string): Promise<KioskCertRow[]> {
  const r = await db.query<KioskCertRow>('SELECT serial, kiosk_id, fingerprint, not_after, state, source, issued_at, revoked_at FROM kiosk_certs WHERE kiosk_id = $1 ORDER BY issued_at, serial', [kiosk]);
  return r.rows;
}

/** The kiosk's certificate with this fingerprint, if the CA issued it one. */
export async function kioskCertByFingerprint(db: Sql, kiosk: string, fingerprint: string): Promise<KioskCertRow | undefined> {
  const r = await db.query<KioskCertRow>('SELECT serial, kiosk_id, fingerprint, not_after, state, source, issued_at, revoked_at FROM kiosk_certs WHERE kiosk_id = $1 AND fingerprint = $2', [kiosk, fingerprint]);
  return r.rows[0];
}

/**
 * Marks every unexpired, unrevoked certificate of the kiosk revoked and
 * returns their serials (for the CRL). Expired ones need no CRL entry.
 */
export async function revokeKioskCerts(tx: Sql, kiosk: string, reason: string, now: Date): Promise<string[]> {
  const r = await tx.query<{ serial: string }>(
    `UPDATE kiosk_certs SET state = 'revoked', revoked_at = $2, revocation_reason = $3 WHERE kiosk_id = $1 AND state <> 'revoked' AND not_after > $2 RETURNING serial`,
    [kiosk, now, reason],
  );
  return r.rows.map((row) => row.serial);
}
