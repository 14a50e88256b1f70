/**
 * The fleet watcher of a running center (docs/provisioning.md §3–4): every
 * `fleetPollMs` it
 * - kicks kiosks connected to this broker whose status is no longer active
 *   (revoked by the CLI, another worker, or a center that was not this one);
 *   a decommissioned one is first told to wipe its store (`decommission`,
 *   then its `wiped` or 10 s);
 * - reloads the broker's CRLs when `ca/crl.pem` changed (content hash);
 * - asks connected kiosks with a fresh `renew_requested_at` to renew;
 * and once an hour (and at its first pass) it re-signs the CRL when due
 * (`publishCrl`), puts every revoked certificate of the registry on the
 * CRL again with the reason recorded for it (idempotent: heals a
 * revocation whose CRL step failed, or was made offline without the CA),
 * and asks connected kiosks whose
 * certificate is due to renew. Each step's failure is logged; the watcher
 * never stops before the center does.
 *
 * Only the fleet's leader (leader.ts: one worker of those sharing an
 * external broker) makes these passes; a follower's pass only asks for the
 * lead, and takes over when the leader's session ends. The `wiped` report
 * may reach another worker: the wait watches the audit too (wipe-wait.ts).
 */
import type { CenterDeps } from '../deps.js';
import { currentSession } from '../sessions.js';
import { WIPE_WAIT_MS } from './decommission.js';
import { askRenewalIfDue } from './handlers.js';
import { RENEW_EVERY_MS } from './renewal.js';
import { putOnCrl, revokedEntriesOf } from './revoke.js';
import type { FleetLink } from './state.js';
import { startWipeWait } from './wipe-wait.js';

export class FleetWatcher {
  private lastHourly: number | undefined;
  /** Decommissioned kiosks being told to wipe, then kicked. */
  private readonly wiping = new Map<string, Promise<void>>();

  constructor(
    private readonly deps: CenterDeps,
    private readonly link: FleetLink,
  ) {}

  /** Runs until `signal` aborts; resolves then. */
  async run(pollMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.pass();
      try {
        await this.deps.clock.sleep(pollMs, signal);
      } catch {
        return;
      }
    }
  }

  /** The running center acted on this request itself (RunningCenter.requestRenewal): not again. */
  noteRequest(kiosk: string, at: Date): void {
    this.deps.fleet.requestsAnswered.set(kiosk, at.getTime());
  }

  /** One pass (what `run` does every `fleetPollMs`). */
  async pass(): Promise<void> {
    // One worker acts for the fleet (leader.ts): the others would send each kiosk the same messages again.
    if (!(await this.deps.fleet.leader.acquire())) {
      this.lastHourly = undefined;
      return;
    }
    const log = this.deps.logger.child('fleet');
    const step = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
      await fn().catch((e: unknown) => log.error(`fleet watcher: ${what} failed`, { error: e }));
    };
    await step('kicking revoked kiosks', () => this.kickInactive());
    await step('reloading the CRL', () => this.link.crl.refresh());
    await step('renewals requested', () => this.requestedRenewals());
    const now = this.deps.clock.now();
    if (this.lastHourly === undefined || now - this.lastHourly >= RENEW_EVERY_MS) {
      this.lastHourly = now;
      await step('publishing the CRL', () => this.publishCrl());
      await step('checking the CRL against the registry', () => this.healCrl());
      await step('renewals due', () => this.dueRenewals());
    }
  }

  private async kickInactive(): Promise<void> {
    const connected = this.link.connectedKiosks();
    if (connected.length === 0) return;
    const r = await this.deps.db.query<{ id: string; status: string }>(`SELECT id, status FROM kiosks WHERE id = ANY($1::text[]) AND status <> 'active'`, [connected]);
    for (const k of r.rows) {
      if (this.wiping.has(k.id) || this.deps.fleet.inHand.has(k.id)) continue;
      if (k.status === 'decommissioned') {
        // Decommissioned by another process (the CLI on PostgreSQL): the kiosk is told to wipe before it is kicked.
        const task = this.wipeThenKick(k.id)
          .catch((e: unknown) => this.deps.logger.child('fleet').error('fleet watcher: decommission of a connected kiosk failed', { kiosk: k.id, error: e }))
          .finally(() => this.wiping.delete(k.id));
        this.wiping.set(k.id, task);
        continue;
      }
      await this.kick(k.id, k.status, {});
    }
  }

  private async wipeThenKick(id: string): Promise<void> {
    const session = await currentSession(this.deps.db, id);
    let wiped = false;
    if (session !== undefined) {
      const waiting = (await startWipeWait(this.deps, id, WIPE_WAIT_MS)).outcome;
      await this.link.send(id, session, 'decommission', { reason: 'decommissioned by the operator' }).catch((e: unknown) => {
        this.deps.logger.child('fleet').warn('the decommission message could not be sent', { kiosk: id, error: e });
        this.deps.fleet.wipes.notify(id, { kind: 'gone' });
      });
      const o = await waiting;
      wiped = o.kind === 'wiped' && o.ok;
      this.deps.logger.child('fleet').info('decommission wait over', { kiosk: id, outcome: o.kind, wiped });
    }
    await this.kick(id, 'decommissioned', { wiped });
  }

  private async kick(id: string, status: string, detail: { wiped?: boolean }): Promise<void> {
    if (!(await this.link.disconnect(id))) return;
    this.deps.logger.child('fleet').warn('connected kiosk is no longer active: disconnected', { kiosk: id, status, ...detail });
    await this.deps.audit.record(this.deps.db, { kind: 'kiosk.kicked', kiosk: id, detail: { status, ...detail } });
  }

  /** Ends the decommissions in progress (their kiosks count as gone) and waits for them. */
  async drain(): Promise<void> {
    for (const id of this.wiping.keys()) this.deps.fleet.wipes.notify(id, { kind: 'gone' });
    await Promise.all(this.wiping.values());
  }

  private async requestedRenewals(): Promise<void> {
    const r = await this.deps.db.query<{ id: string; renew_requested_at: Date }>(`SELECT id, renew_requested_at FROM kiosks WHERE renew_requested_at IS NOT NULL AND status = 'active'`);
    const live = new Set(r.rows.map((k) => k.id));
    // Answered requests (here, at a hello, or by RunningCenter.requestRenewal) are sent once.
    const answered = this.deps.fleet.requestsAnswered;
    for (const id of answered.keys()) if (!live.has(id)) answered.delete(id);
    for (const k of r.rows) {
      const at = k.renew_requested_at.getTime();
      if (answered.get(k.id) === at || !this.link.isConnected(k.id)) continue;
      const session = await currentSession(this.deps.db, k.id);
      if (session === undefined) continue;
      answered.set(k.id, at);
      // An operator's request is answered now, whatever was asked this hour.
      this.deps.fleet.renewals.forget(session);
      await this.ask(k.id, session);
    }
  }

  private async dueRenewals(): Promise<void> {
    for (const id of this.link.connectedKiosks()) {
      const session = await currentSession(this.deps.db, id);
      if (session !== undefined) await this.ask(id, session);
    }
  }

  private ask(kiosk: string, session: string): Promise<boolean> {
    return askRenewalIfDue(this.deps, kiosk, session, (body) => this.link.send(kiosk, session, 'renew', body));
  }

  private async publishCrl(): Promise<void> {
    const ca = this.deps.fleet.ca;
    if (!ca) return;
    const p = await ca.publishCrl(this.deps.fleet.pkiDir, { random: this.deps.random, clock: this.deps.clock });
    if (p.republished) this.deps.logger.child('fleet').info('CRL re-signed', { nextUpdate: p.nextUpdate.toISOString() });
    await this.link.crl.refresh();
  }

  /** Every revoked, unexpired certificate of the registry on the CRL again, each with the reason recorded for it. */
  private async healCrl(): Promise<void> {
    await putOnCrl(this.deps, await revokedEntriesOf(this.deps.db, new Date(this.deps.clock.now())));
  }
}
