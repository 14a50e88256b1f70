/**
 * The fleet's up messages (wire/fleet-messages.ts; docs/provisioning.md
 * §3–4) and the `renew` the center sends after a welcome. Dispatched from
 * handlers/index.ts like every other message: in the kiosk's bridge queue,
 * after the envelope and session checks, only from an active kiosk.
 *
 * - `csr`: one per kiosk per minute; certified by the issuing CA (CN = the
 *   kiosk ID, the kiosk profile, `certDays`); recorded pending (an older
 *   pending one is superseded and goes on the CRL); audited
 *   `kiosk.cert-issued`; answered `certificate`. A refused request is
 *   audited `kiosk.csr-refused` with its reason and logged; the kiosk gets
 *   no answer and tries again at the next `renew`.
 * - `renew-failed`: audited and logged; the kiosk is asked again later.
 * - `wiped`: audited `kiosk.wiped`; a decommission waiting for it goes on.
 */
import type { UpBody } from '../../wire/messages.js';
import type { InboundContext } from '../bridge.js';
import { recordKioskCert } from '../certs.js';
import type { CenterDeps } from '../deps.js';
import { isRequestRefused } from './ca.js';
import { renewalFactsOf, renewalReason } from './renewal.js';
import { putOnCrl } from './revoke.js';

export async function onCsr(deps: CenterDeps, ctx: InboundContext, body: UpBody<'csr'>): Promise<void> {
  const kiosk = ctx.kiosk.id;
  const log = deps.logger.child('fleet');
  const ca = deps.fleet.ca;
  if (!deps.fleet.csrLimiter.take(kiosk)) return refuseCsr(deps, kiosk, 'rate-limited', 'one certificate request per minute');
  if (!ca) return refuseCsr(deps, kiosk, 'no-ca', 'this center was started without its issuing CA');
  let cert;
  try {
    cert = await ca.certify(deps.fleet.pkiDir, body.csr, { kioskId: kiosk, days: deps.limits.certDays, random: deps.random, clock: deps.clock });
  } catch (e) {
    if (isRequestRefused(e)) return refuseCsr(deps, kiosk, 'csr-invalid', e.message);
    log.error('certifying a renewal request failed', { kiosk, error: e });
    return refuseCsr(deps, kiosk, 'ca-error', 'the issuing CA failed');
  }
  const now = new Date(deps.clock.now());
  const superseded = await deps.db.transaction(async (tx) => {
    const older = await tx.query<{ serial: string }>(
      `UPDATE kiosk_certs SET state = 'superseded', revoked_at = $2, revocation_reason = 'superseded' WHERE kiosk_id = $1 AND state = 'pending' RETURNING serial`,
      [kiosk, now],
    );
    await recordKioskCert(tx, { kiosk, serial: cert.serial, fingerprint: cert.fingerprint, notAfter: cert.notAfter, state: 'pending', source: 'renewal' }, now);
    const serials = older.rows.map((r) => r.serial);
    await deps.audit.append(tx, { kind: 'kiosk.cert-issued', kiosk, detail: { serial: cert.serial, notAfter: cert.notAfter.toISOString(), superseded: serials.join(' ') } });
    return serials;
  });
  log.info('renewal certificate issued', { kiosk, serial: cert.serial, notAfter: cert.notAfter.toISOString() });
  await putOnCrl(deps, superseded, 'superseded');
  await ctx.send('certificate', { pem: cert.pem, notAfter: cert.notAfter.getTime() });
}

async function refuseCsr(deps: CenterDeps, kiosk: string, reason: string, message: string): Promise<void> {
  deps.logger.child('fleet').warn('certificate request refused', { kiosk, reason, message });
  await deps.db.transaction((tx) => deps.audit.append(tx, { kind: 'kiosk.csr-refused', kiosk, detail: { reason, message: message.slice(0, 200) } }));
}

export async function onRenewFailed(deps: CenterDeps, ctx: InboundContext, body: UpBody<'renew-failed'>): Promise<void> {
  deps.logger.child('fleet').warn('kiosk could not renew its certificate', { kiosk: ctx.kiosk.id, code: body.code });
  await deps.db.transaction((tx) => deps.audit.append(tx, { kind: 'kiosk.renew-failed', kiosk: ctx.kiosk.id, detail: { code: body.code } }));
}

export async function onWiped(deps: CenterDeps, ctx: InboundContext, body: UpBody<'wiped'>): Promise<void> {
  const expected = deps.fleet.wipes.expects(ctx.kiosk.id);
  const log = deps.logger.child('fleet');
  const fields = { kiosk: ctx.kiosk.id, ok: body.ok, failed: body.failed.length, expected };
  if (body.ok) log.info('kiosk reports its store wiped', fields);
  else log.warn('kiosk reports its store not wholly wiped', fields);
  await deps.db.transaction((tx) =>
    deps.audit.append(tx, { kind: 'kiosk.wiped', kiosk: ctx.kiosk.id, detail: { ok: body.ok, failed: body.failed.join(' '), expected } }),
  );
  deps.fleet.wipes.notify(ctx.kiosk.id, { kind: 'wiped', ok: body.ok });
}

/**
 * Sends `renew` on the kiosk's session when it is due (renewal.ts) and this
 * session was not asked within the hour. `send` is the session's (a
 * handler's ctx.send, or the watcher's send on the current session).
 */
export async function askRenewalIfDue(deps: CenterDeps, kiosk: string, session: string, send: (body: { notAfter: number; reason: 'expiring' | 'requested' }) => Promise<unknown>): Promise<boolean> {
  const facts = await renewalFactsOf(deps.db, kiosk);
  if (!facts) return false;
  const now = deps.clock.now();
  const reason = renewalReason({ now, ...facts, renewBeforeDays: deps.limits.renewBeforeDays });
  if (!reason || !deps.fleet.renewals.take(session, now)) return false;
  await send({ notAfter: facts.notAfter?.getTime() ?? 0, reason });
  deps.logger.child('fleet').info('kiosk asked to renew its certificate', { kiosk, reason });
  return true;
}
