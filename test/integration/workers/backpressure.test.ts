/**
 * Issue 6 point 4, "when the database is slow, the center applies
 * backpressure instead of dropping or piling up work": a Bridge on a
 * deliberately slow store, behind a real MQTT broker (Aedes on loopback)
 * and real mqtt.js clients, takes at most `maxInFlight` messages at a time.
 * The PUBACK of the message that fills the last slot is held, so mqtt.js
 * reads nothing more; every message is still handled, in each kiosk's
 * order, and the bridge says when backpressure starts and ends. The same
 * run without the gate (no separate publisher) shows the bound is the
 * gate's doing.
 */
import t from 'tap';
import { createServer, type AddressInfo } from 'node:net';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import type { Db, QueryResult, Sql } from '../../../center/store/db.js';
import { openStore } from '../../../center/store/open.js';
import { memoryLogger } from '../../../common/log.js';
import { startPostgres } from '../../fixtures/postgres-server.js';
import { auditedSeqs, makeBridge, recordingDispatch, register, TestKiosk, type Handled } from './bridge-rig.js';

/** Every query and transaction starts `delayMs` late: a database under load. */
class SlowDb implements Db {
  constructor(
    private readonly db: Db,
    private readonly delayMs: number,
  ) {}
  get kind(): Db['kind'] {
    return this.db.kind;
  }
  private late(): Promise<void> {
    return new Promise((r) => setTimeout(r, this.delayMs));
  }
  async query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    await this.late();
    return this.db.query<T>(text, params);
  }
  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    await this.late();
    return this.db.transaction(fn);
  }
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.db.withLock(key, fn);
  }
  close(): Promise<void> {
    return this.db.close();
  }
}

const pg = await startPostgres(t);
const db = await openStore({ url: pg.url }, memoryLogger());
t.teardown(() => db.close());
const aedes = await Aedes.createBroker();
const server = createServer((socket) => void aedes.handle(socket));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`;
const clients: MqttClient[] = [];
t.teardown(async () => {
  for (const c of clients) await c.endAsync(true);
  await new Promise<void>((resolve) => aedes.close(() => resolve()));
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
async function client(id: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { clientId: id, clean: true, protocolVersion: 4, reconnectPeriod: 0 });
  clients.push(c);
  return c;
}

const KIOSKS = 8;
const PER_KIOSK = 5;
const MAX = 3;

async function run(name: string, gated: boolean): Promise<{ handled: Handled[]; most: number; lines: string[]; kiosks: TestKiosk[]; peak?: number; deferrals?: number }> {
  const kiosks = Array.from({ length: KIOSKS }, (_, i) => new TestKiosk(`${name}-${i}`));
  for (const k of kiosks) await register(db, k);
  const log = memoryLogger(name);
  const handled: Handled[] = [];
  // Taken off the broker and not yet answered, seen at each handler's start: what the gate bounds.
  let received = 0;
  let answered = 0;
  let most = 0;
  const hold = async (): Promise<void> => {
    most = Math.max(most, received - answered);
    await new Promise((r) => setTimeout(r, 10));
    answered++;
  };
  const input = await client(`${name}-in`);
  input.on('message', () => received++);
  const bridge = makeBridge(new SlowDb(db, 15), input, recordingDispatch(name, handled, { hold }), log, {
    upFilter: `kiosk/+/up`,
    ...(gated ? { publisher: await client(`${name}-out`), maxInFlight: MAX } : {}),
  });
  await bridge.start();
  const sender = await client(`${name}-kiosks`);
  const sends: Promise<unknown>[] = [];
  for (let n = 0; n < PER_KIOSK; n++) for (const k of kiosks) {
    const m = n === 0 ? k.hello() : k.report();
    sends.push(sender.publishAsync(m.topic, m.payload, { qos: 1 }));
  }
  await Promise.all(sends);
  while (handled.length < KIOSKS * PER_KIOSK) {
    await new Promise((r) => setTimeout(r, 50));
    await bridge.idle();
  }
  await bridge.idle();
  await input.endAsync();
  return { handled, most, lines: log.lines, kiosks, ...(bridge.intake ? { peak: bridge.intake.peak, deferrals: bridge.intake.deferrals } : {}) };
}

void t.test(`a slow database: at most ${MAX} messages in flight, none dropped, each kiosk in order`, async (t) => {
  const r = await run('gated', true);
  t.equal(r.handled.length, KIOSKS * PER_KIOSK, `all ${KIOSKS * PER_KIOSK} messages handled: none dropped`);
  t.ok(r.peak !== undefined && r.peak <= MAX, `in flight never above ${MAX} (peak ${r.peak})`);
  t.ok(r.most <= MAX, `received and not answered never above ${MAX} (most ${r.most})`);
  t.ok((r.deferrals ?? 0) > 0, `PUBACKs were held (${r.deferrals} times)`);
  t.ok(r.lines.some((l) => l.includes('"backpressure on: no more messages taken until one is handled"')), 'backpressure start logged');
  t.ok(r.lines.some((l) => l.includes('"backpressure off"')), 'backpressure end logged');
  for (const k of r.kiosks) t.same(await auditedSeqs(db, 'wire.in', k.id), [1, 2, 3, 4, 5], `${k.id}: handled in its order`);
  t.notOk(r.lines.some((l) => l.includes('"wire refused"')), 'nothing refused');
});

void t.test('the same load without the gate takes everything at once (what the bound prevents)', async (t) => {
  const r = await run('ungated', false);
  t.equal(r.handled.length, KIOSKS * PER_KIOSK, 'all handled');
  t.ok(r.most > MAX, `received and not answered went above ${MAX} (most ${r.most})`);
});
