/**
 * A kiosk's `csr` (docs/provisioning.md §3), dispatched from
 * handlers/index.ts in the kiosk's bridge queue, only from an active kiosk.
 * Every certificate the CA signs for a kiosk is one more serial that may
 * end on the CRL, so a request is certified only when it answers something:
 *
 * 1. a renewal was asked of this session (`renew` sent) or is due
 *    (renewal.ts: the certificate ends soon, or an operator asked) —
 *    otherwise `not-asked`;
 * 2. the same key again (the kiosk resends its request at each `renew`
 *    while its pending key waits, e.g. when the certificate failed its own
 *    checks): the pending certificate issued for that key is sent again —
 *    no new serial, nothing on the CRL; audited `kiosk.cert-resent`;
 * 3. one new certificate per kiosk per minute (`rate-limited`) and at most
 *    MAX_RENEWAL_CERTS_PER_DAY a day (`daily-limit`, counted in kiosk_certs
 *    so a restart does not reset it);
 * 4. certified (CN = the kiosk ID, the kiosk profile, `certDays`), then in
 *    one transaction, the kiosk's row locked: refused `kiosk-revoked` when
 *    it is no longer active (the certificate is recorded revoked and goes
 *    on the CRL, never sent), else recorded pending (an older pending one
 *    superseded, on the CRL) and audited `kiosk.cert-issued`; answered
 *    `certificate`.
 *
 * A refusal is audited `kiosk.csr-refused { reason, message }` and logged;
 * the kiosk gets no answer and tries again at the next `renew`.
 */
import type { UpBody } from '../../wire/messages.js';
import type { InboundContext } from '../bridge.js';
import { recordKioskCert } from '../certs.js';
import type { CenterDeps } from '../deps.js';
import type { Sql } from '../store/db.js';
import { isRequestRefused, type CertifiedCert } from './ca.js';
import { requestKeyHex } from './csr-key.js';
import { DAY_MS, renewalFactsOf, renewalReason } from './renewal.js';
import { crlReasonOf, putOnCrl, type CrlEntry } from './revoke.js';

/** New renewal certificates per kiosk in 24 hours (a kiosk renews every few months; a few retries fit). */
export const MAX_RENEWAL_CERTS_PER_DAY = 4;

export async function onCsr(deps: CenterDeps, ctx: InboundContext, body: UpBody<'csr'>): Promise<void> {
  const kiosk = ctx.kiosk.id;
  const ca = deps.fleet.ca;
  if (!ca) return refuseCsr(deps, kiosk, 'no-ca', 'this center was started without its issuing CA');
  if (!(await renewalAsked(deps, kiosk, ctx.session))) return refuseCsr(deps, kiosk, 'not-asked', 'no renewal was asked of this kiosk');
  const key = requestKeyHex(body.csr);
  if (key !== undefined && (await resendPending(deps, ctx, key))) return;
  const now = new Date(deps.clock.now());
  if ((await renewalsSince(deps.db, kiosk, new Date(now.getTime() - DAY_MS))) >= MAX_RENEWAL_CERTS_PER_DAY) {
    return refuseCsr(deps, kiosk, 'daily-limit', `at most ${MAX_RENEWAL_CERTS_PER_DAY} new certificates a day`);
  }
  if (!deps.fleet.csrLimiter.take(kiosk)) return refuseCsr(deps, kiosk, 'rate-limited', 'one certificate request per minute');
  let cert: CertifiedCert;
  try {
    cert = await ca.certify(deps.fleet.pkiDir, body.csr, { kioskId: kiosk, days: deps.limits.certDays, random: deps.random, clock: deps.clock });
  } catch (e) {
    if (isRequestRefused(e)) return refuseCsr(deps, kiosk, 'csr-invalid', e.message);
    deps.logger.child('fleet').error('certifying a renewal request failed', { kiosk, error: e });
    return refuseCsr(deps, kiosk, 'ca-error', 'the issuing CA failed');
  }
  const r = await deps.db.transaction((tx) => recordRenewal(deps, tx, kiosk, cert, new Date(deps.clock.now())));
  if (r.kind === 'inactive') {
    deps.logger.child('fleet').warn('certificate request refused', { kiosk, reason: 'kiosk-revoked', status: r.status, serial: cert.serial });
    await putOnCrl(deps, [{ serial: cert.serial, reason: crlReasonOf(r.status), notAfter: cert.notAfter }]);
    return;
  }
  if (key !== undefined) deps.fleet.issued.set(kiosk, { serial: cert.serial, pem: cert.pem, notAfter: cert.notAfter, key });
  deps.logger.child('fleet').info('renewal certificate issued', { kiosk, serial: cert.serial, notAfter: cert.notAfter.toISOString() });
  await putOnCrl(deps, r.superseded);
  await ctx.send('certificate', { pem: cert.pem, notAfter: cert.notAfter.getTime() });
}

/** A `renew` went to this session, or the kiosk's renewal is due now. */
async function renewalAsked(deps: CenterDeps, kiosk: string, session: string): Promise<boolean> {
  if (deps.fleet.renewals.wasAsked(session)) return true;
  const facts = await renewalFactsOf(deps.db, kiosk);
  return facts !== undefined && renewalReason({ now: deps.clock.now(), ...facts, renewBeforeDays: deps.limits.renewBeforeDays }) !== undefined;
}

/** The certificate issued pending for this very key, sent again while it is still pending. */
async function resendPending(deps: CenterDeps, ctx: InboundContext, key: string): Promise<boolean> {
  const kiosk = ctx.kiosk.id;
  const p = deps.fleet.issued.get(kiosk);
  if (!p || p.key !== key) return false;
  const still = await deps.db.query(`SELECT 1 FROM kiosk_certs WHERE serial = $1 AND kiosk_id = $2 AND state = 'pending'`, [p.serial, kiosk]);
  if (still.rows.length === 0) {
    deps.fleet.issued.delete(kiosk);
    return false;
  }
  await deps.audit.record(deps.db, { kind: 'kiosk.cert-resent', kiosk, detail: { serial: p.serial } });
  deps.logger.child('fleet').info('pending certificate sent again for the same key', { kiosk, serial: p.serial });
  await ctx.send('certificate', { pem: p.pem, notAfter: p.notAfter.getTime() });
  return true;
}

async function renewalsSince(db: Sql, kiosk: string, since: Date): Promise<number> {
  const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM kiosk_certs WHERE kiosk_id = $1 AND source = 'renewal' AND issued_at > $2`, [kiosk, since]);
  return r.rows[0]?.n ?? 0;
}

type Recorded = { kind: 'pending'; superseded: CrlEntry[] } | { kind: 'inactive'; status: 'revoked' | 'decommissioned' };

/**
 * The issued certificate into the registry, the kiosk's row locked so that
 * a revocation cannot slip between the check and the record: pending (an
 * older pending one superseded) for an active kiosk; for one revoked
 * meanwhile, recorded revoked with the refusal's audit entry — the fleet
 * watcher's CRL healing then knows it too.
 */
async function recordRenewal(deps: CenterDeps, tx: Sql, kiosk: string, cert: CertifiedCert, now: Date): Promise<Recorded> {
  const k = await tx.query<{ status: 'active' | 'revoked' | 'decommissioned' }>('SELECT status FROM kiosks WHERE id = $1 FOR UPDATE', [kiosk]);
  const status = k.rows[0]?.status ?? 'revoked';
  if (status !== 'active') {
    await tx.query(
      `INSERT INTO kiosk_certs (serial, kiosk_id, fingerprint, not_after, state, source, issued_at, revoked_at, revocation_reason) VALUES ($1, $2, $3, $4, 'revoked', 'renewal', $5, $5, $6)`,
      [cert.serial, kiosk, cert.fingerprint, cert.notAfter, now, crlReasonOf(status)],
    );
    await deps.audit.append(tx, { kind: 'kiosk.csr-refused', kiosk, detail: { reason: 'kiosk-revoked', message: `kiosk is ${status}`, serial: cert.serial } });
    return { kind: 'inactive', status };
  }
  const older = await tx.query<{ serial: string; not_after: Date }>(
    `UPDATE kiosk_certs SET state = 'superseded', revoked_at = $2, revocation_reason = 'superseded' WHERE kiosk_id = $1 AND state = 'pending' RETURNING serial, not_after`,
    [kiosk, now],
  );
  await recordKioskCert(tx, { kiosk, serial: cert.serial, fingerprint: cert.fingerprint, notAfter: cert.notAfter, state: 'pending', source: 'renewal' }, now);
  const superseded = older.rows.map((r): CrlEntry => ({ serial: r.serial, reason: 'superseded', notAfter: r.not_after }));
  await deps.audit.append(tx, { kind: 'kiosk.cert-issued', kiosk, detail: { serial: cert.serial, notAfter: cert.notAfter.toISOString(), superseded: superseded.map((e) => e.serial).join(' ') } });
  return { kind: 'pending', superseded };
}

async function refuseCsr(deps: CenterDeps, kiosk: string, reason: string, message: string): Promise<void> {
  deps.logger.child('fleet').warn('certificate request refused', { kiosk, reason, message });
  await deps.audit.record(deps.db, { kind: 'kiosk.csr-refused', kiosk, detail: { reason, message: message.slice(0, 200) } });
}
