/**
 * KioskLink.restart (kiosk/link.ts) after a renewal: the runner hears the
 * link go down at once, the old client ends without the offline state (a
 * clean DISCONNECT: no will), the new client gets the new TLS context and
 * opens a new session; events of the old client that come late (a close,
 * a message) change nothing; a restart after stop connects nothing.
 */
import type { SecureContext } from 'node:tls';
import t from 'tap';
import { EventEmitter } from 'node:events';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';
import { KioskLink } from '../../../kiosk/link.js';
import type { MqttClientLike, MqttConnectOptions } from '../../../kiosk/mqtt-client.js';
import { KIOSK, NOW, centerPublic } from '../kiosk/fakes.js';

class FakeMqtt extends EventEmitter implements MqttClientLike {
  connected = false;
  ended: boolean[] = [];
  readonly published: string[] = [];
  subscribeAsync(topic: string): Promise<{ topic: string; qos: number }[]> {
    return Promise.resolve([{ topic, qos: 1 }]);
  }
  publishAsync(topic: string, payload: Buffer): Promise<unknown> {
    this.published.push(`${topic} ${payload.toString()}`);
    return Promise.resolve(undefined);
  }
  endAsync(force?: boolean): Promise<void> {
    this.ended.push(force === true);
    this.connected = false;
    return Promise.resolve();
  }
  up(): void {
    this.connected = true;
    this.emit('connect');
  }
}

const OLD: SecureContext = { context: { old: true } };
const NEW: SecureContext = { context: { renewed: true } };
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

void t.test('restart: down at once, old client ended cleanly, new client with the new context and a new session; stale events ignored', async (t) => {
  const clients: FakeMqtt[] = [];
  const options: MqttConnectOptions[] = [];
  let n = 0;
  const link = new KioskLink({
    kioskId: KIOSK,
    brokerUrl: 'mqtts://127.0.0.1:8883',
    secureContext: OLD,
    signingKey: new Uint8Array(32).fill(1),
    centerPublicKey: centerPublic,
    connect: (_url, o) => {
      options.push(o);
      const c = new FakeMqtt();
      clients.push(c);
      return c;
    },
    clock: new FakeClock(NOW),
    logger: memoryLogger(),
    random: (len) => new Uint8Array(len).fill(++n),
  });
  const sessions: (string | undefined)[] = [];
  let downs = 0;
  let deliveries = 0;
  link.start({ onSession: () => Promise.resolve(void sessions.push(link.session)), onDown: () => deliveries++, onDisconnect: () => downs++ });
  clients[0]!.up();
  await tick();
  t.equal(sessions.length, 1);
  const first = link.session;

  await link.restart(NEW);
  t.equal(downs, 1, 'the runner hears the link go down');
  t.equal(link.session, undefined);
  t.same(clients[0]!.ended, [false], 'the old client ended with a clean DISCONNECT (not forced)');
  t.same(clients[0]!.published, [`kiosk/${KIOSK}/state {"online":true}`], 'no offline state published');
  t.equal(clients.length, 2);
  t.equal(options[1]!.secureContext, NEW, 'the new client has the new context');
  t.equal(options[0]!.secureContext, OLD);

  // The old client's late events: nothing happens.
  clients[0]!.emit('close');
  clients[0]!.emit('connect');
  clients[0]!.emit('message', `kiosk/${KIOSK}/down`, Buffer.from('{}'));
  await tick();
  t.equal(downs, 1, 'a late close of the old client is not a disconnect');
  t.equal(sessions.length, 1, 'a late connect of the old client opens no session');
  t.equal(deliveries, 0);

  clients[1]!.up();
  await tick();
  t.equal(sessions.length, 2, 'a new session on the new client');
  t.not(link.session, first);

  await link.stop();
  await link.restart(OLD);
  t.equal(clients.length, 2, 'a restart after stop connects nothing');
});
