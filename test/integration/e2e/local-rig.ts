/**
 * An in-process rig for the end-to-end tests of this folder, composed from
 * the same pieces as `cardline demo` (cli/demo/run.ts): a dev PKI, the
 * center (Aedes with mutual TLS on loopback, PGlite), one simulated station
 * registered as the kiosk's reader, and (optionally) the kiosk agent. All
 * real components; only scrypt is cheaper (logN 10) so that applications
 * are added fast.
 */
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concat, toHex, zeroize } from '../../../card/bytes.js';
import { encodeTlv } from '../../../card/tlv.js';
import { systemClock } from '../../../common/clock.js';
import { readKeyFile } from '../../../common/key-files.js';
import { silentLogger, type Logger } from '../../../common/log.js';
import { addApplications } from '../../../center/applications.js';
import type { ScryptParams } from '../../../center/code-hash.js';
import { startCenter, type RunningCenter } from '../../../center/center.js';
import { addKiosk, addReader } from '../../../center/registry.js';
import { registerBatch } from '../../../center/stock.js';
import { createStockedStation } from '../../../cli/commands/stock-sim.js';
import { demoApplications, type DemoApplication } from '../../../cli/demo/sample-apps.js';
import type { SimStation } from '../../../hardware/sim/sim-station.js';
import { startKiosk, type KioskAgent } from '../../../kiosk/agent.js';
import { decodeKioskConfig } from '../../../kiosk/config.js';
import type { KioskEvent } from '../../../kiosk/events.js';
import { sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { devPkiLayout, initDevPki } from '../../../provisioning/pki/dev-pki.js';

/** A sample application and the cardholder name inside its DGI 0101. */
export type TestApplication = DemoApplication & { cardholder: string };

export const FAST_SCRYPT: ScryptParams = { logN: 10, r: 8, p: 1 };
export const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

export interface LocalRigOptions {
  /** Blank cards in the station's hopper. */
  cards: number;
  /** The center's logger (default silent). */
  centerLogger?: Logger;
  /** Start the kiosk agent in this process too (default true). */
  kiosk?: boolean;
  /** The kiosk's request timeout (ms): the longest silence of the center before a customer gives up. */
  requestTimeoutMs?: number;
}

export interface LocalRig {
  root: string;
  pki: string;
  kioskId: string;
  kioskDir: string;
  center: RunningCenter;
  station: SimStation;
  /** Undefined when started with `kiosk: false`. */
  agent: KioskAgent | undefined;
  /** Every kiosk event since the start, in order. */
  events: KioskEvent[];
  /** Adds `n` sample applications (IDs `<prefix>-1` …); the caller keeps them to compare cards with. */
  addApps(n: number, prefix: string): Promise<TestApplication[]>;
  close(): Promise<void>;
}

export async function startLocalRig(o: LocalRigOptions): Promise<LocalRig> {
  const root = await mkdtemp(join(tmpdir(), 'cardline-e2e-'));
  const kioskId = 'kiosk-1';
  const pki = join(root, 'pki');
  const clock = systemClock;
  const cleanups: (() => Promise<void>)[] = [() => rm(root, { recursive: true, force: true })];
  const close = async (): Promise<void> => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    await initDevPki(pki, { kiosks: [kioskId], random, clock, logger: silentLogger, sealKiosk: sealDevKiosk });
    const kioskDir = devPkiLayout(pki, [kioskId]).kiosks[kioskId]!.dir;
    const center = await startCenter({
      pkiDir: pki,
      store: { dataDir: join(root, 'center-data') },
      port: 0,
      clock,
      logger: o.centerLogger ?? silentLogger,
      random,
      scrypt: FAST_SCRYPT,
    });
    cleanups.push(() => center.stop());
    const kmc = await readKeyFile(join(pki, 'center', 'issuer-master.key'), 16, { secret: true });
    // Prepared stock (docs/provisioning.md §6), registered at the center: it issues onto nothing else.
    const { station, manifest } = await createStockedStation(join(root, 'station'), { count: o.cards, stockMasterKey: kmc, batch: 'local-rig', clock, random, logger: silentLogger }).finally(() => zeroize(kmc));
    cleanups.push(() => station.close());
    await registerBatch({ db: center.deps.db, audit: center.deps.audit, clock }, manifest, 'rig');
    await register(center, kioskDir, kioskId, station);
    const events: KioskEvent[] = [];
    let agent: KioskAgent | undefined;
    if (o.kiosk !== false) {
      const started = await startKiosk({
        config: decodeKioskConfig({ identityDir: kioskDir, keyStore: { kind: 'sealed-file', machineSecretFile: join(kioskDir, 'machine-secret') }, brokerUrl: center.url, station: station.dir, requestTimeoutMs: o.requestTimeoutMs ?? 15_000 }),
        station,
        clock,
        logger: silentLogger,
        random,
        events: (e) => events.push(e),
      });
      // Stopped before the station closes (cleanups run in reverse).
      cleanups.push(() => started.stop());
      agent = started;
      await started.ready;
    }
    const d = center.deps;
    const addApps = async (n: number, prefix: string): Promise<TestApplication[]> => {
      const apps = makeApps(n, prefix);
      await addApplications({ db: d.db, audit: d.audit, clock: d.clock, dataKey: d.keys.dataKey, random, scrypt: FAST_SCRYPT }, apps.map((a) => a.input));
      return apps;
    };
    return { root, pki, kioskId, kioskDir, center, station, agent, events, addApps, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * `n` applications in the demo's shape (cli/card-demo/sample.ts: DGIs 0101,
 * 0201, 9102 plain; 8000 keys and 8010 PIN block secret), each with its own
 * cardholder name and card number in DGI 0101 — so that a value found
 * anywhere can only have come from this application — and a 12-character
 * one-time code.
 */
export function makeApps(n: number, prefix: string): TestApplication[] {
  return demoApplications(n, random, toHex(random(3))).map((a, i) => {
    const name = `TESTER/${Array.from(random(8), (b) => String.fromCharCode(65 + (b % 26))).join('')}`;
    const pan = Uint8Array.from([0x62, ...random(7)]);
    const record = encodeTlv(
      0x70,
      concat(encodeTlv(0x5f20, new TextEncoder().encode(name)), encodeTlv(0x5a, pan), encodeTlv(0x5f24, Uint8Array.of(0x30, 0x12, 0x31))),
    );
    const dgis = a.input.dgis.map((d) => (d.tag === 0x0101 ? { tag: d.tag, value: record } : d));
    const code = Array.from(random(12), (b) => CODE_CHARS[b % CODE_CHARS.length]).join('');
    return { ...a, input: { ...a.input, id: `${prefix}-${i + 1}`, code, dgis }, cardholder: name };
  });
}

const CODE_CHARS = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';

/** The kiosk and its station's reader, as `cardline center kiosks add` and `readers add` would register them. */
async function register(center: RunningCenter, kioskDir: string, id: string, station: SimStation): Promise<void> {
  const d = center.deps;
  const cert = new X509Certificate(await readFile(join(kioskDir, 'tls.crt')));
  const deps = { db: d.db, audit: d.audit, clock: d.clock };
  await addKiosk(deps, { id, signingPublicKey: await readKeyFile(join(kioskDir, 'signing.pub'), 32), certFingerprint: cert.fingerprint256 });
  await addReader(deps, { kiosk: id, id: station.identity.id, kind: 'sim', ...station.identity.descriptor, publicKey: await readKeyFile(join(station.dir, 'reader.pub'), 32) });
}

/** Resolves with `p`, or rejects naming `what` after `ms`. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
