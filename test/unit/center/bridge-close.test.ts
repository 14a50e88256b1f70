/**
 * A PUBACK held for backpressure (center/bridge-intake.ts) belongs to the
 * connection it was held on: when the bridge's client closes (a keepalive
 * lost while mqtt.js read nothing, say) mqtt.js reconnects, and a held
 * callback run afterwards would send a PUBACK for an old packet ID on the
 * new connection — acknowledging an unrelated message. The bridge drops
 * held callbacks on 'close', and says so.
 */
import t from 'tap';
import { EventEmitter } from 'node:events';
import { Bridge, type BridgeClient } from '../../../center/bridge.js';
import type { Db } from '../../../center/store/db.js';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';

/** Emits 'message' then calls handleMessage, as mqtt.js does for a QoS 1 PUBLISH. */
class ClosingClient extends EventEmitter implements BridgeClient {
  handleMessage?: (packet: never, callback: (err?: Error) => void) => void;
  subscribe(_topic: string, _opts: { qos: 0 | 1 }, cb: (err: Error | null, granted?: { qos: number }[]) => void): void {
    cb(null, [{ qos: 1 }]);
  }
  publish(_t: string, _p: Buffer, _o: { qos: 0 | 1 }, cb: (err?: Error) => void): void {
    cb();
  }
  deliver(topic: string, puback: () => void): void {
    this.emit('message', topic, Buffer.from('{}'));
    this.handleMessage?.({} as never, () => puback());
  }
}

void t.test("a PUBACK held when the client closes is never sent afterwards", async (t) => {
  let release!: () => void;
  const stuck = new Promise<void>((r) => (release = r));
  // The message's handling waits on the kiosk's lock until the test releases it.
  const db = { withLock: async () => stuck.then(() => 'handled') } as unknown as Db;
  const client = new ClosingClient();
  const log = memoryLogger();
  const bridge = new Bridge(client, { db, audit: {} as never, clock: new FakeClock(0), logger: log, signingKey: new Uint8Array(32), auditKey: new Uint8Array(32), deadlineMs: 1_000, publisher: client, maxInFlight: 1 }, () => Promise.resolve());
  await bridge.start();
  const acks: string[] = [];
  client.deliver('kiosk/k1/up', () => acks.push('first'));
  t.same(acks, [], 'the message fills the only slot: its PUBACK is held');
  client.emit('close');
  release();
  await bridge.idle();
  await new Promise((r) => setImmediate(r));
  t.same(acks, [], 'handled after the close: the held PUBACK is dropped, not sent on the next connection');
  t.ok(log.lines.some((l) => l.includes('held PUBACKs dropped')), 'and the bridge says so');
  client.deliver('kiosk/k1/up', () => acks.push('second'));
  await bridge.idle();
  t.same(acks, ['second'], "on the new connection, the next one's held PUBACK goes once it is handled");
});
