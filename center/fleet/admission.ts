/**
 * The registry's word at CONNECT (DESIGN §3 step 1; docs/provisioning.md
 * §3–4), after the broker's TLS stage verified the certificate:
 *
 * - an unknown kiosk → `kiosk-unknown`; revoked or decommissioned →
 *   `kiosk-revoked` (even before its certificate is on a CRL the broker has
 *   loaded);
 * - a kiosk with recorded certificates (kiosk_certs, migration 006) must
 *   present one of them: its current one (admitted); a pending one, issued
 *   at a renewal (promoted to current: the old current is superseded and
 *   goes on the CRL, audited `kiosk.cert-renewed`); a revoked or superseded
 *   one → `cert-revoked`; any other → `cert-unknown`;
 * - a kiosk registered before migration 006 (no rows) is admitted as before.
 */
import type { Admission } from '../broker/broker.js';
import { kioskCerts, type KioskCertRow } from '../certs.js';
import type { CenterDeps } from '../deps.js';
import { getKiosk } from '../registry.js';
import { putOnCrl, type CrlEntry } from './revoke.js';

/** The client certificate the broker verified. */
export interface PeerCert {
  /** X509Certificate.fingerprint256 (colon-separated hex). */
  fingerprint: string;
  /** Hex, any case. */
  serial: string;
}

export type CertDecision = { kind: 'admit' } | { kind: 'promote'; cert: KioskCertRow } | { kind: 'refuse'; reason: 'cert-revoked' | 'cert-unknown' };

/** What the kiosk's recorded certificates say about the one it presents (pure). */
export function decideCert(rows: readonly KioskCertRow[], peer: PeerCert): CertDecision {
  if (rows.length === 0) return { kind: 'admit' };
  const fp = peer.fingerprint.toUpperCase();
  const row = rows.find((r) => r.fingerprint.toUpperCase() === fp);
  if (!row) return { kind: 'refuse', reason: 'cert-unknown' };
  switch (row.state) {
    case 'current':
      return { kind: 'admit' };
    case 'pending':
      return { kind: 'promote', cert: row };
    case 'revoked':
    case 'superseded':
      return { kind: 'refuse', reason: 'cert-revoked' };
  }
}

export async function admitKiosk(deps: CenterDeps, id: string, peer: PeerCert): Promise<Admission> {
  const k = await getKiosk(deps.db, id);
  if (!k) return { ok: false, reason: 'kiosk-unknown' };
  if (k.status !== 'active') return { ok: false, reason: 'kiosk-revoked' };
  const d = decideCert(await kioskCerts(deps.db, id), peer);
  if (d.kind === 'refuse') return { ok: false, reason: d.reason };
  if (d.kind === 'promote') {
    const old = await promote(deps, id, d.cert);
    // Not in the transaction: the CRL file is not the database. putOnCrl never throws.
    if (old === undefined) return { ok: false, reason: 'cert-revoked' };
    await putOnCrl(deps, old);
  }
  return { ok: true };
}

/**
 * The pending certificate becomes current, in one transaction with its
 * audit entry. Resolves with the superseded serials, or undefined when the
 * certificate was no longer pending (a concurrent revocation).
 */
async function promote(deps: CenterDeps, id: string, cert: KioskCertRow): Promise<CrlEntry[] | undefined> {
  const now = new Date(deps.clock.now());
  const old = await deps.db.transaction(async (tx) => {
    const demoted = await tx.query<{ serial: string; not_after: Date }>(
      `UPDATE kiosk_certs SET state = 'superseded', revoked_at = $2, revocation_reason = 'superseded' WHERE kiosk_id = $1 AND state = 'current' RETURNING serial, not_after`,
      [id, now],
    );
    const up = await tx.query(`UPDATE kiosk_certs SET state = 'current' WHERE serial = $1 AND kiosk_id = $2 AND state = 'pending'`, [cert.serial, id]);
    if (up.rowCount === 0) throw new NotPending();
    await tx.query(`UPDATE kiosks SET cert_fingerprint = $2, cert_not_after = $3, renew_requested_at = NULL, updated_at = $4 WHERE id = $1 AND status = 'active'`, [id, cert.fingerprint, cert.not_after, now]);
    const superseded = demoted.rows.map((r): CrlEntry => ({ serial: r.serial, reason: 'superseded', notAfter: r.not_after }));
    await deps.audit.append(tx, { kind: 'kiosk.cert-renewed', kiosk: id, detail: { serial: cert.serial, notAfter: cert.not_after.toISOString(), superseded: superseded.map((e) => e.serial).join(' ') } });
    return superseded;
  }).catch((e: unknown) => {
    if (e instanceof NotPending) return undefined;
    throw e;
  });
  if (old) deps.logger.child('fleet').info('renewed certificate in use', { kiosk: id, serial: cert.serial, superseded: old.length });
  return old;
}

class NotPending extends Error {
  override readonly name = 'NotPending';
}
