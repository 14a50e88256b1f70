/**
 * The center's side of the wire for the kiosk tests: a development PKI in a
 * temp dir, and an in-memory MQTT client whose "broker" is a scripted center
 * that opens, checks and answers the kiosk's signed envelopes with its own.
 * Not a test file itself.
 */
import type t from 'tap';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FakeClock } from '../../../common/clock.js';
import { readKeyFile } from '../../../common/key-files.js';
import type { MqttClientLike } from '../../../kiosk/mqtt-client.js';
import { sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { initDevPki } from '../../../provisioning/pki/dev-pki.js';
import { decodeUp } from '../../../wire/codec.js';
import { openEnvelope, sealEnvelope, type Envelope } from '../../../wire/envelope.js';
import type { DownBody, DownType, UpMessage } from '../../../wire/messages.js';

export const ID = 'kiosk-7';

export type SubTest = Parameters<Parameters<typeof t.test>[0]>[0];

export interface TestPki {
  dir: string;
  kioskDir: string;
  /** The kiosk's dev machine secret (beside its sealed store). */
  machineSecret: string;
  /** The `keyStore` config key for this kiosk's dev store. */
  keyStore: { kind: 'sealed-file'; machineSecretFile: string };
  centerSecret: Uint8Array;
  kioskPublic: Uint8Array;
}

export async function pki(t: SubTest): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-kiosk-agent-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const layout = await initDevPki(dir, { kiosks: [ID], days: 1, caDays: 2, sealKiosk: sealDevKiosk });
  const k = layout.kiosks[ID]!;
  return {
    dir,
    kioskDir: k.dir,
    machineSecret: k.machineSecret,
    keyStore: { kind: 'sealed-file', machineSecretFile: k.machineSecret },
    centerSecret: await readKeyFile(layout.center.signingKey, 32, { secret: true }),
    kioskPublic: await readKeyFile(k.signingPub, 32),
  };
}

/** An MQTT client whose broker is a scripted center: it answers each up message with down messages. */
export class CenterOnTheWire extends EventEmitter implements MqttClientLike {
  connected = false;
  readonly ups: UpMessage[] = [];
  readonly states: string[] = [];
  #seq = 0;
  constructor(
    private readonly clock: FakeClock,
    private readonly centerSecret: Uint8Array,
    private readonly kioskPublic: Uint8Array,
    private readonly answer: (m: UpMessage, reply: <T extends DownType>(type: T, body: DownBody<T>) => void) => void,
  ) {
    super();
  }
  subscribeAsync(topic: string): Promise<{ topic: string; qos: number }[]> {
    return Promise.resolve([{ topic, qos: 1 }]);
  }
  publishAsync(topic: string, payload: Buffer): Promise<unknown> {
    if (topic.endsWith('/state')) {
      this.states.push(payload.toString());
      return Promise.resolve(undefined);
    }
    const env = openEnvelope(new Uint8Array(payload), { topic, now: this.clock.now(), publicKeyFor: (from) => (from === 'kiosk' ? this.kioskPublic : undefined) });
    const m = decodeUp(env);
    this.ups.push(m);
    // Answer after the kiosk's publish resolved, as a broker round trip would.
    setImmediate(() =>
      this.answer(m, (type, body) => {
        const down: Envelope = { v: 1, kiosk: ID, from: 'center', session: env.session, seq: ++this.#seq, deadline: this.clock.now() + 10_000, type, body };
        this.emit('message', `kiosk/${ID}/down`, Buffer.from(sealEnvelope(down, this.centerSecret)));
      }),
    );
    return Promise.resolve(undefined);
  }
  endAsync(): Promise<void> {
    this.connected = false;
    return Promise.resolve();
  }
}

