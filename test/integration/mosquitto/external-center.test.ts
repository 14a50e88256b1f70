/**
 * Issue 6 point 1, the site deployment: a center in external mode (no
 * Aedes; `broker: { kind: 'external' }`) on a private PostgreSQL, bridged
 * to a private Mosquitto 2 (test/fixtures/mosquitto.ts: the files of
 * `cardline broker config`, mutual TLS, the CRL, the dynamic-security
 * plugin), and a real kiosk agent that connects to that mosquitto: one card
 * issued end to end (the same scenario and checks as happy.test.ts).
 *
 * The kiosk is registered after the broker started: the center's dynsec
 * reconciler gives it its client and role (the generated file knew no
 * kiosk). The presence comes from the kiosk's retained state message, and
 * the center's own sessions are not voided at start (other workers may
 * serve them).
 */
import t from 'tap';
import { startMosquitto, type RunningMosquitto } from '../../fixtures/mosquitto.js';
import { startPostgres } from '../../fixtures/postgres-server.js';
import { eventually, startRig } from '../../fixtures/rig.js';
import { happyPath } from '../e2e/happy-path.js';

void t.test('one card issued end to end through an external mosquitto, on PostgreSQL', async (t) => {
  const pg = await startPostgres(t);
  let broker: RunningMosquitto | undefined;
  const rig = await startRig(t, {
    store: { url: pg.url },
    broker: async (pkiDir) => {
      broker = await startMosquitto({ pkiDir, store: { url: pg.url }, t });
      return { kind: 'external', url: broker.url, pidFile: broker.pidFile, worker: 'w1' };
    },
  });
  const mosq = broker!;
  t.equal(rig.center.brokerKind, 'external');
  t.equal(rig.center.url, mosq.url, 'RunningCenter.url is the broker the kiosks connect to');
  t.equal(rig.center.port, mosq.port);
  t.notOk(mosq.files.dynsec.clients.some((c) => c.username === 'kiosk-1'), 'the generated dynsec file knew no kiosk: the reconciler adds it');
  await happyPath(t, rig);

  // Presence from the retained state message; the dynsec client made by the center; the bridge's shared subscription.
  await eventually(() => rig.center.deps.fleet.link?.isConnected('kiosk-1') === true, 'the center seeing kiosk-1 online');
  const log = await mosq.log();
  t.match(log, /New client connected from \S+ as kiosk-1 .*u'kiosk-1'/, 'mosquitto: the kiosk connected with its CN as username');
  t.match(log, /cardline-center-w1-\d+ 1 \$share\/center\/kiosk\/\+\/up/, 'mosquitto: the bridge subscribed to the shared up filter');
  t.match(log, /dynsec: cardline-center-w1-\d+-ctl\/cardline-center \| createClient \| username=kiosk-1/, 'mosquitto: the center created the kiosk\'s dynsec client');
  const started = (await rig.audit()).find((e) => e.kind === 'center.started');
  t.match(started?.detail, { broker: 'external', store: 'postgres' });
  t.notOk(rig.logs.center.lines.some((l) => l.includes('unexpected topic')), 'no state or control message reached the bridge');
  await rig.stop();
});
