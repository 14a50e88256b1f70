/**
 * Shared by the broker suites: a development PKI in a temp dir, the broker
 * on a free loopback port with an in-memory logger and a list of refusals,
 * and mqtt.js 5 clients speaking MQTT 3.1.1 with a certificate.
 */
import type { Test } from 'tap';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { startBroker, type Admission, type BrokerRefusal, type RunningBroker } from '../../../center/broker/broker.js';
import { memoryLogger } from '../../../common/log.js';
import { pemBlocks } from '../../../common/pem-blocks.js';
import { openDevKioskSecrets, sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { initDevPki, type DevPkiLayout } from '../../../provisioning/pki/dev-pki.js';
import { selfSignedCreds } from '../../fixtures/mqtt-clients.js';

export interface Creds {
  cert: string;
  key: string;
}

export interface Pki {
  layout: DevPkiLayout;
  ca: string;
  /** ca/crl.pem block by block (root CRL, issuing CA CRL): Node reads one CRL per string. */
  crl: string[];
  broker: Creds;
  center: Creds;
  kiosk(id: string): Promise<Creds>;
}

/** A development PKI in a fresh temp dir (removed at teardown). */
export async function makePki(t: Test, kiosks = ['kiosk-1', 'kiosk-2']): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-broker-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const layout = await initDevPki(dir, { kiosks, sealKiosk: sealDevKiosk });
  const read = (p: string): Promise<string> => readFile(p, 'utf8');
  return {
    layout,
    ca: await read(layout.ca.cert),
    crl: pemBlocks(await read(layout.ca.crl), 'X509 CRL'),
    broker: { cert: await read(layout.broker.cert), key: await read(layout.broker.key) },
    center: { cert: await read(layout.center.cert), key: await read(layout.center.key) },
    kiosk: async (id) => {
      const k = layout.kiosks[id];
      if (!k) throw new Error(`no kiosk ${id} in this PKI`);
      // A test client may hold the key as a string; the kiosk agent never does (kiosk/keystore/tls-context.ts).
      const secrets = await openDevKioskSecrets(k);
      try {
        return { cert: await read(k.cert), key: Buffer.from(secrets.tls.pem).toString('ascii') };
      } finally {
        secrets.dispose();
      }
    },
  };
}

export interface Running {
  broker: RunningBroker;
  url: string;
  refusals: BrokerRefusal[];
  logs: string[];
}

/** The broker with the PKI's TLS material; kiosks in `revoked` are refused by admitKiosk. */
export async function start(t: Test, pki: Pki, opts: { crl?: string | string[]; revoked?: string[]; admit?: (id: string) => Promise<Admission> } = {}): Promise<Running> {
  const logger = memoryLogger();
  const refusals: BrokerRefusal[] = [];
  const revoked = new Set(opts.revoked ?? []);
  const broker = await startBroker({
    port: 0,
    tls: { ca: pki.ca, cert: pki.broker.cert, key: pki.broker.key, crl: opts.crl ?? pki.crl },
    logger,
    admitKiosk: opts.admit ?? ((id) => Promise.resolve(revoked.has(id) ? { ok: false, reason: 'kiosk-revoked' } : { ok: true })),
    onRefusal: (r) => refusals.push(r),
  });
  t.teardown(() => broker.close());
  return { broker, url: `mqtts://127.0.0.1:${broker.port}`, refusals, logs: logger.lines };
}

function options(pki: Pki, creds: Creds | undefined, clientId: string, extra: IClientOptions): IClientOptions {
  return {
    protocolVersion: 4,
    clientId,
    ca: pki.ca,
    ...(creds ? { cert: creds.cert, key: creds.key } : {}),
    rejectUnauthorized: true,
    reconnectPeriod: 0,
    connectTimeout: 5000,
    ...extra,
  };
}

/** A connected client (fails the test if it does not connect); ended at teardown. */
export function client(t: Test, run: Running, pki: Pki, creds: Creds, clientId: string, extra: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = connect(run.url, options(pki, creds, clientId, extra));
    t.teardown(() => c.endAsync(true));
    // Errors after CONNACK (a disconnect the test provokes) are asserted through 'close', not thrown.
    c.on('error', () => undefined);
    c.once('connect', () => resolve(c));
    c.once('error', reject);
    c.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

export interface Attempt {
  connected: boolean;
  /** The client-side error (CONNACK refusal: code 5; TLS alerts: ERR_SSL_*), if any. */
  error?: Error & { code?: string | number };
}

/** One connection attempt: resolves once the client connected, errored or was closed. */
export function attempt(run: Running, pki: Pki, creds: Creds | undefined, clientId: string, extra: IClientOptions = {}): Promise<Attempt> {
  return new Promise((resolve) => {
    const c = connect(run.url, options(pki, creds, clientId, extra));
    const done = (a: Attempt): void => {
      c.end(true);
      resolve(a);
    };
    c.once('connect', () => done({ connected: true }));
    c.once('error', (error) => done({ connected: false, error }));
    c.once('close', () => setTimeout(() => done({ connected: false }), 20));
  });
}

/** Polls until `cond` holds (real time: these suites run real sockets). */
export async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A self-signed client certificate that claims to be kiosk-1 (no CA vouches for it): the e2e fixture's. */
export function selfSigned(cn = 'kiosk-1'): Promise<Creds> {
  return selfSignedCreds(cn);
}
