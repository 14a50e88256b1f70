/**
 * A kiosk agent over the wire for the renewal and decommission tests: the
 * dev PKI of wire-center.ts (real sealed-file store, real certificates),
 * and a scripted center that hands out one in-memory MQTT client per
 * connect — so a reconnect after a swap is a second client, with the TLS
 * context the link gave it. The center welcomes each session and the test
 * sends down messages on the newest one. Not a test file itself.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SecureContext } from 'node:tls';
import { toHex } from '../../../card/bytes.js';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';
import { startKiosk, type KioskAgent, type StartKioskOptions } from '../../../kiosk/agent.js';
import { decodeKioskConfig } from '../../../kiosk/config.js';
import { SealedFileStore, type KioskSecrets } from '../../../kiosk/keystore/index.js';
import { certifyKioskRequest, loadIssuingCa } from '../../../provisioning/pki/issuing.js';
import type { DownBody, DownType, UpMessage } from '../../../wire/messages.js';
import { signRegistry } from '../../../wire/registry.js';
import { cardAnswers, FakeStation, FakeTransport, readerEntry, readerPublic } from '../kiosk/fakes.js';
import { CenterOnTheWire, ID, pki, type SubTest, type TestPki } from '../kiosk/wire-center.js';
import { random } from './certs.js';

export { ID };

type Reply = <T extends DownType>(type: T, body: DownBody<T>) => void;

export interface FleetWire {
  p: TestPki;
  agent: KioskAgent;
  clock: FakeClock;
  logger: ReturnType<typeof memoryLogger>;
  station: FakeStation;
  /** One client per connect, in order; and the secure context each was given. */
  clients: CenterOnTheWire[];
  contexts: SecureContext[];
  /** Every up message, across sessions. */
  ups: () => UpMessage[];
  /** Sends a down message on the newest session. */
  down: Reply;
  /** Holds the center's answers to these up types until `release` (a session in progress). */
  hold: Set<string>;
  release(type: string): void;
  /** The PKI's issuing CA certifies a request, as the center would. */
  certify(csr: string): Promise<string>;
  cert(): Promise<string>;
  /** What the agent's store unsealed (at start). */
  unsealed: KioskSecrets[];
}

export interface FleetWireOptions extends Partial<Pick<StartKioskOptions, 'onZeroed'>> {
  /** The center's answers beyond the welcome (request → insert-card, …). */
  answer?: (m: UpMessage, reply: Reply) => void;
  /** Runs on the kiosk's files before the agent starts (a crash's leftovers, say). */
  prepare?: (p: TestPki) => Promise<void>;
}

/** Polls (real time, bounded) until `cond` holds. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function fleetWire(t: SubTest, o: FleetWireOptions = {}): Promise<FleetWire> {
  const p = await pki(t);
  await o.prepare?.(p);
  // Real time, moved by hand: the certificates are checked against it.
  const clock = new FakeClock(Date.now());
  const logger = memoryLogger('renewal-test');
  const station = new FakeStation(new FakeTransport(cardAnswers()));
  const registry = signRegistry({ v: 2, kiosk: ID, version: 1, issuedAt: clock.now(), readers: [readerEntry({ publicKey: toHex(readerPublic) })] }, p.centerSecret);
  const clients: CenterOnTheWire[] = [];
  const contexts: SecureContext[] = [];
  const hold = new Set<string>();
  const unsealed: KioskSecrets[] = [];
  const held = new Map<string, () => void>();
  let latest: Reply | undefined;
  const answer = (m: UpMessage, reply: Reply): void => {
    latest = reply;
    const go = (): void => (m.type === 'hello' ? reply('welcome', { registry }) : o.answer?.(m, reply));
    if (hold.has(m.type)) held.set(m.type, go);
    else go();
  };
  const agent = await startKiosk({
    config: decodeKioskConfig({ identityDir: p.kioskDir, keyStore: p.keyStore, brokerUrl: 'mqtts://127.0.0.1:18883', station: '/unused' }),
    station,
    clock,
    logger,
    random,
    events: () => undefined,
    idlePollMs: 100,
    keyStore: {
      kind: 'sealed-file',
      describe: () => 'the dev store, watched',
      unseal: async () => {
        const secrets = await new SealedFileStore({ file: join(p.kioskDir, 'keys.sealed'), machineSecretFile: p.machineSecret }).unseal();
        unsealed.push(secrets);
        return secrets;
      },
    },
    ...(o.onZeroed ? { onZeroed: o.onZeroed } : {}),
    mqttConnect: (_url, opts) => {
      const client = new CenterOnTheWire(clock, p.centerSecret, p.kioskPublic, answer);
      clients.push(client);
      contexts.push(opts.secureContext);
      setImmediate(() => {
        client.connected = true;
        client.emit('connect');
      });
      return client;
    },
  });
  t.teardown(() => agent.stop());
  await agent.ready;
  // The registry is saved after the welcome: let that write finish before a test (and the temp dir's removal) goes on.
  await until(() => readFile(join(p.kioskDir, 'registry.json')).then(() => true, () => false), 'the saved registry');
  const issuing = await loadIssuingCa(p.dir);
  return {
    p,
    agent,
    clock,
    logger,
    station,
    clients,
    contexts,
    ups: () => clients.flatMap((c) => c.ups),
    down: (type, body) => {
      if (!latest) throw new Error('no session yet');
      latest(type, body);
    },
    hold,
    release: (type) => {
      hold.delete(type);
      held.get(type)?.();
      held.delete(type);
    },
    certify: async (csr) => (await certifyKioskRequest(issuing, csr, { kioskId: ID, days: 30, random })).pem,
    cert: () => readFile(join(p.kioskDir, 'tls.crt'), 'utf8'),
    unsealed,
  };
}

export function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}
