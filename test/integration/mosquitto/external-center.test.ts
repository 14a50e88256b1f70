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
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../common/clock.js';
import { sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { initDevPki } from '../../../provisioning/pki/dev-pki.js';
import { freePort, spawnCardline } from '../../fixtures/process-rig.js';
import { startMosquitto, type RunningMosquitto } from '../../fixtures/mosquitto.js';
import { startPostgres } from '../../fixtures/postgres-server.js';
import { eventually, random, startRig } from '../../fixtures/rig.js';
import { happyPath } from '../e2e/happy-path.js';

void t.test('one card issued end to end through an external mosquitto, on PostgreSQL', async (t) => {
  const pg = await startPostgres(t);
  let broker: RunningMosquitto | undefined;
  const rig = await startRig(t, {
    store: { url: pg.url },
    broker: async (pkiDir) => {
      broker = await startMosquitto({ pkiDir, store: { url: pg.url }, t });
      return { kind: 'external', url: broker.centerUrl, kioskUrl: broker.url, pidFile: broker.pidFile, worker: 'w1' };
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

void t.test('`cardline center --broker … --broker-pid-file … --worker …` as a process', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-ext-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const pki = join(dir, 'pki');
  await initDevPki(pki, { kiosks: ['kiosk-1'], random, clock: systemClock, sealKiosk: sealDevKiosk });
  const pg = await startPostgres(t);
  const mosq = await startMosquitto({ pkiDir: pki, store: { url: pg.url }, t });
  const center = spawnCardline('center', ['center', '--pki', pki, '--database', pg.url, '--broker', mosq.centerUrl, '--broker-pid-file', mosq.pidFile, '--worker', 'w7']);
  t.teardown(() => center.stop());
  const line = await center.waitFor(/^center listening on /, 60_000, 'the center listening');
  t.equal(line, `center listening on ${mosq.centerUrl}`, "the stdout line names the external broker's center listener");
  await mosq.waitForLog(new RegExp(`as cardline-center-w7-${center.pid} .*u'cardline-center'`), 10_000);
  t.pass('mosquitto: the bridge connected as cardline-center-w7-<pid>, username the certificate CN');
  t.equal((await center.stop()).code, 0, 'SIGTERM: a clean exit');

  // Nothing listens there: the center does not start (exit 1, the reason on stderr).
  const nowhere = spawnCardline('center', ['center', '--pki', pki, '--database', pg.url, '--broker', `mqtts://127.0.0.1:${await freePort()}`]);
  const exit = await nowhere.waitExit(60_000, 'the center giving up');
  t.equal(exit.code, 1);
  t.match(nowhere.err.join('\n'), /the bridge could not connect to mqtts:\/\/127\.0\.0\.1:\d+/);
});
