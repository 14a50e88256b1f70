/**
 * Issue 6 point 1, revocation on the site broker: a revoked kiosk that is
 * connected to the external Mosquitto 2 is kicked through the
 * dynamic-security plugin within 1 s (measured and printed), and its
 * reconnect is refused — by dynsec at once (its role is gone: every
 * SUBSCRIBE and PUBLISH is denied, since with use_identity_as_username the
 * plugin cannot refuse the CONNECT itself), and at TLS once mosquitto has
 * reloaded the CRL on the center's SIGHUP. Each refusal is in the center's
 * log or audit and in mosquitto's log.
 *
 * One rig (PostgreSQL, the mosquitto fixture, the center in external mode)
 * and two kiosks played by raw clients with their own certificates (so the
 * test sees the connection close itself):
 * - kiosk-1 revoked by RunningCenter.revokeKiosk while the broker's pid
 *   file does not exist yet: the CRL reload fails (logged) and dynsec alone
 *   keeps the kiosk out; then the pid file appears and the center's fleet
 *   watcher reloads the CRL (SIGHUP): TLS refuses;
 * - kiosk-2 revoked by `cardline center kiosks revoke` in another process
 *   on the same PostgreSQL: the center's watcher kicks it and reloads the
 *   CRL it re-signed;
 * - kiosk-3, a real kiosk agent, decommissioned by the CLI in another
 *   process: the center's dynsec reconciler does not kick it before the
 *   watcher has told it to wipe and heard `wiped`.
 */
import t, { type Test } from 'tap';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { attemptConnect, connectClient, credsOf, type Creds } from '../../fixtures/mqtt-clients.js';
import { startMosquitto, TLS_REFUSED_LOG, type RunningMosquitto } from '../../fixtures/mosquitto.js';
import { startPostgres } from '../../fixtures/postgres-server.js';
import { runCardline } from '../../fixtures/process-rig.js';
import { eventually, startRig, type Rig } from '../../fixtures/rig.js';

const pg = await startPostgres(t);
let mosq!: RunningMosquitto;
let centerPidFile = '';
const rig: Rig = await startRig(t, {
  kiosks: ['kiosk-1', 'kiosk-2', 'kiosk-3'],
  store: { url: pg.url },
  broker: async (pkiDir) => {
    mosq = await startMosquitto({ pkiDir, store: { url: pg.url }, t });
    // The center is told of a pid file that does not exist yet (kiosk-1's case); it appears later.
    centerPidFile = join(mosq.dir, 'center-sees.pid');
    return { kind: 'external', url: mosq.centerUrl, kioskUrl: mosq.url, pidFile: centerPidFile, worker: 'rev' };
  },
});
await rig.center.syncBroker();

const WILL = (id: string): { topic: string; payload: Buffer; qos: 1; retain: true } => ({ topic: `kiosk/${id}/state`, payload: Buffer.from('{"online":false}'), qos: 1, retain: true });

/** A kiosk as the agent connects: its ID as client ID, its will, subscribed to its down topic, online (retained). */
async function kioskOnline(t: Test, id: string, creds: Creds): Promise<{ client: MqttClient; closed: Promise<number> }> {
  const client = await connectClient(t, mosq.url, rig.ca, creds, id, { will: WILL(id) });
  const closed = new Promise<number>((resolve) => client.once('close', () => resolve(performance.now())));
  const granted = await client.subscribeAsync(`kiosk/${id}/down`, { qos: 1 });
  t.equal(granted[0]?.qos, 1, `${id} may subscribe to its down topic before the revocation`);
  await client.publishAsync(`kiosk/${id}/state`, '{"online":true}', { qos: 1, retain: true });
  await eventually(() => rig.center.deps.fleet.link?.isConnected(id) === true, `the center seeing ${id} online`);
  return { client, closed };
}

/** The retained kiosk/<id>/state a new subscriber receives (a center connection on the center listener). */
async function retainedState(id: string): Promise<string | undefined> {
  const client = await connectClient(t, mosq.centerUrl, rig.ca, await credsOf(rig.pki, 'center'), `cardline-center-probe-${process.pid}`);
  const got = new Map<string, string>();
  client.on('message', (topic, payload, packet) => packet.retain && got.set(topic, payload.toString()));
  await client.subscribeAsync('kiosk/+/state', { qos: 1 });
  await new Promise((r) => setTimeout(r, 300));
  await client.endAsync(true);
  return got.get(`kiosk/${id}/state`);
}

/** The SUBACK's return code (0x80: refused); mqtt.js rejects on 0x80 with the SUBACK packet in the error. */
async function grantedQos(client: MqttClient, filter: string): Promise<number | undefined> {
  try {
    return (await client.subscribeAsync(filter, { qos: 1 }))[0]?.qos;
  } catch (e) {
    const granted = (e as { packet?: { granted?: unknown[] } }).packet?.granted?.[0];
    if (typeof granted === 'number') return granted;
    throw e;
  }
}

/** A reconnect in the dynsec window: CONNACK comes (the plugin cannot refuse it), but the kiosk's own subscription is refused. */
async function refusedByDynsec(t: Test, id: string, creds: Creds): Promise<void> {
  const from = (await mosq.log()).length;
  const again = await connectClient(t, mosq.url, rig.ca, creds, id, { will: WILL(id) });
  const granted = await grantedQos(again, `kiosk/${id}/down`);
  t.equal(granted, 0x80, `${id}'s subscription to its own down topic is refused (SUBACK 0x80): no role`);
  await again.publishAsync(`kiosk/${id}/up`, Buffer.from('x'), { qos: 1 });
  await mosq.waitForLog(new RegExp(`Denied PUBLISH from ${id}`), 5_000, from);
  t.pass(`mosquitto's log: Denied PUBLISH from ${id}`);
  await again.endAsync(true);
}

/** Reconnects until the TLS handshake refuses the revoked certificate (the CRL reload may take a watcher pass). */
async function refusedAtTls(t: Test, id: string, creds: Creds): Promise<void> {
  const from = (await mosq.log()).length;
  let last: Awaited<ReturnType<typeof attemptConnect>> = { connected: true };
  await eventually(async () => !(last = await attemptConnect(mosq.url, rig.ca, creds, id)).connected, `${id} refused at TLS`, 10_000);
  t.notOk(last.connected, `${id} is refused (${last.error?.message ?? 'the socket closed'})`);
  await mosq.waitForLog(TLS_REFUSED_LOG, 5_000, from);
  t.pass('mosquitto\'s log: the handshake refused the certificate (certificate verify failed)');
  t.match(last.error?.message ?? '', /certificate revoked/, 'the client is told: certificate revoked (TLS alert)');
}

void t.test('RunningCenter.revokeKiosk: kicked within 1 s; dynsec refuses the reconnect, then TLS after the CRL reload', async (t) => {
  const creds = await credsOf(rig.pki, 'kiosk-1');
  const { closed } = await kioskOnline(t, 'kiosk-1', creds);
  const t0 = performance.now();
  const outcome = await rig.center.revokeKiosk('kiosk-1', 'stolen');
  const ms = (await closed) - t0;
  t.comment(`kiosk-1 connection closed ${ms.toFixed(1)} ms after revokeKiosk was called`);
  t.ok(ms < 1000, `closed within 1 s (${ms.toFixed(1)} ms)`);
  t.equal(outcome.kicked, true, 'the revocation says it kicked the kiosk');
  t.equal(outcome.crl, 'failed', 'the CRL reload failed: the pid file is not there yet');
  t.ok(rig.logs.center.lines.some((l) => l.includes('kiosk disabled at the broker (dynsec)') && l.includes('kiosk-1')), 'center log: the kick through dynsec');
  t.ok(rig.logs.center.lines.some((l) => l.includes('PID_FILE') || l.includes('pid file')), 'center log: the CRL reload failed (no pid file)');
  t.match(await mosq.log(), /dynsec: cardline-center-rev-\d+-ctl\/cardline-center \| disableClient \| username=kiosk-1/, 'mosquitto log: disableClient from the center');
  t.match(await mosq.log(), /Client kiosk-1 been disconnected by administrative action/, 'mosquitto log: the kick');
  const audit = await rig.audit();
  t.ok(audit.some((e) => e.kind === 'kiosk.status' && e.kiosk === 'kiosk-1'), 'audit: the revocation');
  // The plugin kicks without the will: the center publishes the retained offline state itself, so a new subscriber does not see a stale online.
  await eventually(async () => (await retainedState('kiosk-1')) === '{"online":false}', 'the retained state of kiosk-1 to say offline', 5_000);
  t.pass('a new subscriber to kiosk/+/state sees kiosk-1 offline after the kick');

  // Between the kick and the CRL reload: the handshake still passes, dynsec gives nothing.
  t.ok((await attemptConnect(mosq.url, rig.ca, creds, 'kiosk-1')).connected, 'before the CRL reload the TLS handshake still passes');
  await refusedByDynsec(t, 'kiosk-1', creds);
  t.equal(rig.center.deps.fleet.link?.isConnected('kiosk-1'), false, 'the center does not count the revoked kiosk as connected');

  // The pid file appears: the center's watcher (it retries a CRL it could not load) sends SIGHUP.
  const from = (await mosq.log()).length;
  await copyFile(mosq.pidFile, centerPidFile);
  await mosq.waitForLog(/Reloading config\./, 10_000, from);
  t.pass('mosquitto reloaded its configuration (SIGHUP from the center)');
  await refusedAtTls(t, 'kiosk-1', creds);
  t.ok(rig.logs.center.lines.some((l) => l.includes('broker told to reload its CRL (SIGHUP)')), 'center log: the SIGHUP');
});

void t.test('`cardline center kiosks revoke` in another process: the watcher kicks within 1 s and reloads the CRL', async (t) => {
  const creds = await credsOf(rig.pki, 'kiosk-2');
  const { closed } = await kioskOnline(t, 'kiosk-2', creds);
  const fromLog = (await mosq.log()).length;
  await runCardline(['center', 'kiosks', 'revoke', '--kiosk', 'kiosk-2', '--reason', 'lost', '--pki', rig.pki.dir, '--database', pg.url]);
  const closedAt = await closed;
  const status = (await rig.audit()).find((e) => e.kind === 'kiosk.status' && e.kiosk === 'kiosk-2');
  t.ok(status, 'audit: the CLI\'s revocation');
  // The audit entry's time is the revocation's commit (wall clock); the close is measured on the same clock.
  const ms = performance.timeOrigin + closedAt - Date.parse(status!.t);
  t.comment(`kiosk-2 connection closed ${ms.toFixed(1)} ms after the CLI's revocation committed`);
  t.ok(ms < 1000, `closed within 1 s of the commit (${ms.toFixed(1)} ms)`);
  await rig.waitForAudit((e) => e.kind === 'kiosk.kicked' && e.kiosk === 'kiosk-2', 'the watcher auditing the kick');
  t.pass('audit: kiosk.kicked by the center\'s watcher');
  const log = (await mosq.log()).slice(fromLog);
  t.match(log, /disableClient \| username=kiosk-2/, 'mosquitto log: disableClient');
  await refusedAtTls(t, 'kiosk-2', creds);
});

void t.test('`cardline center kiosks decommission` of a real kiosk agent: told to wipe before dynsec turns it off', async (t) => {
  const kiosk = await rig.startKiosk('kiosk-3');
  await eventually(() => rig.center.deps.fleet.link?.isConnected('kiosk-3') === true, 'the center seeing kiosk-3 online');
  await runCardline(['center', 'kiosks', 'decommission', '--kiosk', 'kiosk-3', '--reason', 'site closed', '--pki', rig.pki.dir, '--database', pg.url]);
  const end = await kiosk.ended;
  t.equal(end.reason, 'decommissioned', 'the agent was told to wipe and stopped');
  const wiped = await rig.waitForAudit((e) => e.kind === 'kiosk.wiped' && e.kiosk === 'kiosk-3', 'kiosk-3 reporting wiped');
  // Had dynsec taken kiosk-3's role first, its wiped report would have been denied and never audited.
  t.match(wiped.detail, { ok: true }, 'audit: the wiped report reached the center');
  const kicked = (await rig.audit()).find((e) => e.kind === 'kiosk.kicked' && e.kiosk === 'kiosk-3');
  if (kicked) t.ok(kicked.idx > wiped.idx, 'any kick came after the wiped report');
  await eventually(async () => /removeClientRole \| username=kiosk-3/.test(await mosq.log()), 'kiosk-3 turned off at the broker');
  t.pass('mosquitto log: kiosk-3 turned off in dynsec once gone');
  t.notMatch(await mosq.log(), /Denied PUBLISH from kiosk-3/, 'mosquitto log: no publish of kiosk-3 was denied');
  t.equal(rig.center.deps.fleet.link?.isConnected('kiosk-3'), false);
});
