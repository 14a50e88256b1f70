/**
 * A worker stopping cleanly loses nothing it took (issue 6, workers): two
 * in-process centers share `$share/center/kiosk/+/up` on a real Mosquitto
 * over one PostgreSQL; a kiosk sends steadily while worker B stops. B first
 * stops taking messages (unsubscribes, so the broker routes the rest to
 * A), then handles what it took, then checkpoints and closes: every
 * message sent is handled (audited wire.in) and B logs no 'handler failed'.
 */
import t from 'tap';
import { startCenter, type RunningCenter } from '../../../center/center.js';
import { pkiFleetCa } from '../../../cli/commands/fleet-ca.js';
import { systemClock } from '../../../common/clock.js';
import { startMosquitto, type RunningMosquitto } from '../../fixtures/mosquitto.js';
import { startPostgres } from '../../fixtures/postgres-server.js';
import { RawKiosk } from '../../fixtures/raw-kiosk.js';
import { recordingLogger } from '../../fixtures/recording-log.js';
import { eventually, random, startRig, TEST_SCRYPT, type Rig } from '../../fixtures/rig.js';

const pg = await startPostgres(t);
let mosq!: RunningMosquitto;
const rig: Rig = await startRig(t, {
  kiosks: ['kiosk-1'],
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

async function wireIn(kiosk: string): Promise<number> {
  const r = await rig.center.deps.db.query<{ entry: string }>('SELECT entry FROM audit_entries');
  return r.rows.map((row) => JSON.parse(row.entry) as { kind: string; kiosk?: string }).filter((e) => e.kind === 'wire.in' && e.kiosk === kiosk).length;
}

void t.test('a worker stopped under steady traffic: every message handled, none failed', async (t) => {
  const kiosk = await RawKiosk.connect(t, mosq.url, rig.pki, 'kiosk-1');
  await kiosk.send('hello', { agent: 'test/1', readers: [], card: { present: false } });
  let sent = 1;
  let stopping: Promise<void> | undefined;
  for (let i = 0; i < 120; i++) {
    await kiosk.send('reader-report', { reader: 'r1', status: 'authenticated' });
    sent++;
    if (i === 40) stopping = b.stop();
    await new Promise((r) => setTimeout(r, 10));
  }
  await stopping;
  await eventually(async () => (await wireIn('kiosk-1')) >= sent, `all ${sent} messages handled`, 60_000).catch(() => undefined);
  t.equal(await wireIn('kiosk-1'), sent, 'every message sent was handled (wire.in)');
  t.same(logB.lines.filter((l) => l.includes('handler failed')), [], "no 'handler failed' at the stopped worker");
  t.ok(logB.lines.some((l) => l.includes('"msg":"message in"')), 'the stopped worker had been taking messages');
});
