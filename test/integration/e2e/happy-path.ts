/**
 * The happy path (issue 3 point 6), as one scenario that runs against
 * either store (happy.test.ts on PGlite, postgres.test.ts on PostgreSQL):
 * a customer at a real kiosk agent gets one card, end to end, and every
 * side agrees — the kiosk's outcome and events, the station's gate, the
 * card itself read back through the simulator, the job and application
 * rows, and the verified audit log. Then the same application asked for
 * again is refused and no second card appears.
 */
import type { Test } from 'tap';
import { verifyAuditLog } from '../../../center/audit/verify.js';
import { readBackCard } from '../../../cli/demo/read-back.js';
import type { CardStation } from '../../../hardware/station.js';
import type { Rig } from '../../fixtures/rig.js';

const JOB_PATH = ['PENDING>RESERVED', 'RESERVED>CARD_AUTHENTICATED', 'CARD_AUTHENTICATED>WRITING', 'WRITING>VERIFYING', 'VERIFYING>ISSUED'];

/**
 * `kioskStation`: what the kiosk drives instead of the rig's simulated
 * station in process — a driver in front of that same station (the serial
 * dispenser on a PTY, a PC/SC reader), so the checks on the station's
 * gate and cards hold whichever way the kiosk reached it.
 */
export async function happyPath(t: Test, rig: Rig, kioskId = 'kiosk-1', kioskStation?: CardStation): Promise<void> {
  const station = rig.stations[kioskId]!;
  const kiosk = await rig.startKiosk(kioskId, kioskStation ? { station: kioskStation } : {});
  const [app] = await rig.addApps(1);
  const hopperBefore = (await station.cards('hopper')).length;
  const from = (await rig.audit()).length;

  const r = await kiosk.request(app!.id, app!.code);
  t.match(r, { outcome: 'issued' }, 'the customer is told the card is issued');
  t.ok(r.job, 'the outcome names the job');

  // The station: exactly one card left the hopper, and it is at the gate.
  const gate = await station.cards('gate');
  t.equal(gate.length, 1, 'exactly one card at the gate');
  t.same(await station.cards('reject'), [], 'nothing in the reject bin');
  t.equal((await station.cards('hopper')).length, hopperBefore - 1, 'one card taken from the hopper');

  // The card itself, read back through the simulator as the customer's own reader would.
  const lines: string[] = [];
  const problems = await readBackCard(station.imagePath('gate', gate[0]!), app!, (l) => lines.push(l));
  t.same(problems, [], 'the card holds exactly the application data; secret DGIs are refused, their KCVs match');
  t.equal(lines.length, app!.dgis.length + 1, 'every DGI was checked (plus the KCV of the key DGI)');

  // The center's records.
  const job = await rig.jobOf(app!.id);
  t.equal(job?.id, r.job);
  t.equal(job?.state, 'ISSUED');
  t.equal(job?.kiosk_id, kioskId);
  t.equal((await rig.application(app!.id))?.status, 'issued');

  // The audit log: every exchange and every move of this job, and it verifies.
  await rig.waitForAudit((e) => e.kind === 'card.ejected' && e.job === r.job, 'the kiosk reporting the card ejected', { from });
  await rig.center.idle();
  const entries = await rig.audit(from);
  const inTypes = entries.filter((e) => e.kind === 'wire.in').map((e) => e.detail.type);
  const outTypes = entries.filter((e) => e.kind === 'wire.out').map((e) => e.detail.type);
  t.same(inTypes, ['request', 'card', 'result', 'card-done'], 'wire.in: every kiosk message of the exchange');
  // Relay mode sends the secured script; sealed mode a package sealed to the kiosk (docs/sealed-mode.md).
  t.same(outTypes, ['insert-card', rig.mode === 'sealed' ? 'package' : 'script', 'issued'], `wire.out: every center message of the exchange (${rig.mode} mode)`);
  const moves = entries.filter((e) => e.kind === 'job.move' && e.job === r.job).map((e) => `${String(e.detail.from)}>${String(e.detail.to)}`);
  t.same(moves, JOB_PATH, 'job.move: the job went through the state machine once');
  const d = rig.center.deps;
  const report = await verifyAuditLog(d.db, d.keys.signingPublic);
  t.same(report.problems, []);
  t.equal(report.ok, true, 'the audit log verifies (Merkle roots and signatures)');

  // The kiosk's screen saw the steps in order.
  const types = kiosk.events.map((e) => e.type).filter((x) => x !== 'writing');
  t.same(types.slice(types.indexOf('request-sent')), ['request-sent', 'insert-card', 'card-read', 'card-authenticated', 'verifying', 'issued']);
  t.match(kiosk.events.at(-1), { type: 'issued', ok: true });

  // One application never yields two cards.
  const again = await kiosk.request(app!.id, app!.code);
  t.same(again, { outcome: 'refused', reason: 'not-pending' }, 'a second request for the same application is refused');
  t.same(await station.cards('gate'), gate, 'no second card at the gate');
  t.equal((await station.cards('hopper')).length, hopperBefore - 1, 'no card taken from the hopper');
  t.equal((await rig.jobsOf(app!.id)).length, 1, 'still one job');
  t.equal((await rig.jobOf(app!.id))?.state, 'ISSUED');
  await rig.logs.center.waitFor(/"msg":"request refused".*"reason":"not-pending"/, 'the refusal in the center log');

  // Nothing personal in any log line: not the code, not the cardholder data.
  const all = rig.logs.all().join('');
  t.notOk(all.includes(app!.code), 'the one-time code is in no log line');
  for (const dgi of app!.dgis) t.notOk(all.toUpperCase().includes(Buffer.from(dgi.value).toString('hex').toUpperCase()), `DGI ${dgi.tag.toString(16)} is in no log line`);
  t.notOk(all.includes('SATO/HANAKO'), 'the cardholder name is in no log line');
}
