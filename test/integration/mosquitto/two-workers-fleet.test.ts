/**
 * Two center workers on one external mosquitto and one PostgreSQL (issue 6
 * review point 1): the fleet watcher's per-kiosk actions are one worker's
 * (the leader's, center/fleet/leader.ts), whichever worker hears the
 * kiosk's answer.
 *
 * - `cardline center kiosks decommission` in another process, a real kiosk
 *   agent connected: exactly one `decommission` down message across the
 *   two workers; the kiosk's `wiped` (heard by either worker through the
 *   shared subscription) ends the leader's wait: nothing audited
 *   `wiped: false`.
 * - `cardline center kiosks renew`: exactly one `renew` down message.
 *
 * The down messages are counted where both centers send them (each
 * center's FleetLink.send, which the watcher and RunningCenter use).
 */
import t from 'tap';
import { startCenter, type RunningCenter } from '../../../center/center.js';
import type { FleetLink } from '../../../center/fleet/state.js';
import { pkiFleetCa } from '../../../cli/commands/fleet-ca.js';
import { systemClock } from '../../../common/clock.js';
import type { DownType } from '../../../wire/messages.js';
import { startMosquitto, type RunningMosquitto } from '../../fixtures/mosquitto.js';
import { startPostgres } from '../../fixtures/postgres-server.js';
import { runCardline } from '../../fixtures/process-rig.js';
import { recordingLogger } from '../../fixtures/recording-log.js';
import { eventually, random, startRig, TEST_SCRYPT, type Rig } from '../../fixtures/rig.js';

const pg = await startPostgres(t);
let mosq!: RunningMosquitto;
const rig: Rig = await startRig(t, {
  kiosks: ['kiosk-1', 'kiosk-2'],
  store: { url: pg.url },
  broker: async (pkiDir) => {
    mosq = await startMosquitto({ pkiDir, store: { url: pg.url }, t });
    return { kind: 'external', url: mosq.centerUrl, kioskUrl: mosq.url, pidFile: mosq.pidFile, worker: 'a' };
  },
});
const logB = recordingLogger('center-b');
const b: RunningCenter = await startCenter({
  pkiDir: rig.pki.dir,
  store: { url: pg.url },
  broker: { kind: 'external', url: mosq.centerUrl, kioskUrl: mosq.url, pidFile: mosq.pidFile, worker: 'b' },
  clock: systemClock,
  logger: logB,
  random,
  scrypt: TEST_SCRYPT,
  fleetCa: pkiFleetCa,
});
t.teardown(() => b.stop());
const centers = [rig.center, b];

/** Every fleet down message either center sends, by kiosk and type. */
const sent: { center: number; kiosk: string; type: DownType }[] = [];
for (const [i, c] of centers.entries()) {
  const link: FleetLink = c.deps.fleet.link!;
  const send = link.send.bind(link);
  link.send = (kiosk, session, type, body) => {
    sent.push({ center: i, kiosk, type });
    return send(kiosk, session, type, body);
  };
}
const count = (kiosk: string, type: DownType): number => sent.filter((s) => s.kiosk === kiosk && s.type === type).length;
const online = (id: string): Promise<void> => eventually(() => centers.every((c) => c.deps.fleet.link?.isConnected(id) === true), `both workers seeing ${id} online`);
/** A few watcher passes of both workers (fleetPollMs 250 ms): time for a duplicate to show. */
const passes = (): Promise<void> => new Promise((r) => setTimeout(r, 1_500));

void t.test('`cardline center kiosks renew`: one renew across the two workers', async (t) => {
  await rig.startKiosk('kiosk-2');
  await online('kiosk-2');
  await passes();
  const before = count('kiosk-2', 'renew');
  await runCardline(['center', 'kiosks', 'renew', '--kiosk', 'kiosk-2', '--pki', rig.pki.dir, '--database', pg.url]);
  await eventually(() => count('kiosk-2', 'renew') > before, 'a renew sent to kiosk-2');
  await passes();
  t.equal(count('kiosk-2', 'renew') - before, 1, 'exactly one renew sent');
});

void t.test('`cardline center kiosks decommission`: one decommission message, the wiped report ends the wait', async (t) => {
  const kiosk = await rig.startKiosk('kiosk-1');
  await online('kiosk-1');
  await runCardline(['center', 'kiosks', 'decommission', '--kiosk', 'kiosk-1', '--reason', 'site closed', '--pki', rig.pki.dir, '--database', pg.url]);
  const end = await kiosk.ended;
  t.equal(end.reason, 'decommissioned', 'the agent was told to wipe and stopped');
  const wiped = await rig.waitForAudit((e) => e.kind === 'kiosk.wiped' && e.kiosk === 'kiosk-1', 'kiosk-1 reporting wiped');
  t.match(wiped.detail, { ok: true }, 'audit: the wiped report');
  await eventually(() => centers.every((c) => c.deps.fleet.link?.isConnected('kiosk-1') === false), 'both workers seeing kiosk-1 gone');
  // Past the 10 s wipe wait of a worker that did not hear the report.
  await new Promise((r) => setTimeout(r, 11_000));
  t.equal(count('kiosk-1', 'decommission'), 1, 'exactly one decommission message sent');
  const kicks = (await rig.audit()).filter((e) => e.kind === 'kiosk.kicked' && e.kiosk === 'kiosk-1');
  t.ok(kicks.length <= 1, `at most one kick audited (${kicks.length})`);
  for (const k of kicks) t.match(k.detail, { wiped: true }, 'the kick is audited wiped: true');
  const waits = [...rig.logs.center.lines, ...logB.lines].filter((l) => l.includes('decommission wait over') && l.includes('kiosk-1'));
  t.equal(waits.length, 1, 'one worker waited for the wipe');
  t.match(waits[0] ?? '', /"wiped":true/, 'and heard it wiped');
});
