/**
 * The fleet's up messages (wire/fleet-messages.ts; docs/provisioning.md
 * §3–4) and the `renew` the center sends after a welcome. Dispatched from
 * handlers/index.ts like every other message: in the kiosk's bridge queue,
 * after the envelope and session checks, only from an active kiosk.
 *
 * - `csr`: in csr.ts (certified only when asked, once per key, within
 *   limits).
 * - `renew-failed`: audited and logged; the kiosk is asked again later.
 * - `wiped`: audited `kiosk.wiped`; a decommission waiting for it goes on.
 */
import type { UpBody } from '../../wire/messages.js';
import type { InboundContext } from '../bridge.js';
import type { CenterDeps } from '../deps.js';
import { renewalFactsOf, renewalReason } from './renewal.js';

export async function onRenewFailed(deps: CenterDeps, ctx: InboundContext, body: UpBody<'renew-failed'>): Promise<void> {
  deps.logger.child('fleet').warn('kiosk could not renew its certificate', { kiosk: ctx.kiosk.id, code: body.code });
  await deps.audit.record(deps.db, { kind: 'kiosk.renew-failed', kiosk: ctx.kiosk.id, detail: { code: body.code } });
}

export async function onWiped(deps: CenterDeps, ctx: InboundContext, body: UpBody<'wiped'>): Promise<void> {
  const expected = deps.fleet.wipes.expects(ctx.kiosk.id);
  const log = deps.logger.child('fleet');
  const fields = { kiosk: ctx.kiosk.id, ok: body.ok, failed: body.failed.length, expected };
  if (body.ok) log.info('kiosk reports its store wiped', fields);
  else log.warn('kiosk reports its store not wholly wiped', fields);
  await deps.audit.record(deps.db, { kind: 'kiosk.wiped', kiosk: ctx.kiosk.id, detail: { ok: body.ok, failed: body.failed.join(' '), expected } });
  deps.fleet.wipes.notify(ctx.kiosk.id, { kind: 'wiped', ok: body.ok });
}

/**
 * Sends `renew` on the kiosk's session when it is due (renewal.ts) and this
 * session was not asked within the hour. `send` is the session's (a
 * handler's ctx.send, or the watcher's send on the current session). An
 * operator's request so answered is recorded (`requestsAnswered`): the
 * watcher does not send it again.
 */
export async function askRenewalIfDue(deps: CenterDeps, kiosk: string, session: string, send: (body: { notAfter: number; reason: 'expiring' | 'requested' }) => Promise<unknown>): Promise<boolean> {
  const facts = await renewalFactsOf(deps.db, kiosk);
  if (!facts) return false;
  const now = deps.clock.now();
  const reason = renewalReason({ now, ...facts, renewBeforeDays: deps.limits.renewBeforeDays });
  if (!reason || !deps.fleet.renewals.take(session, now)) return false;
  if (reason === 'requested' && facts.renewRequestedAt) deps.fleet.requestsAnswered.set(kiosk, facts.renewRequestedAt.getTime());
  await send({ notAfter: facts.notAfter?.getTime() ?? 0, reason });
  deps.logger.child('fleet').info('kiosk asked to renew its certificate', { kiosk, reason });
  return true;
}
