/**
 * The bench's fleet, composed like cli/demo/run.ts: a dev PKI, the embedded
 * center (Aedes with mutual TLS on loopback, PGlite), K kiosk agents each
 * with its own SimStation, and the sample applications split between them.
 * Each kiosk's events and MQTT messages go to its KioskTimeline.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex, zeroize } from '../../card/bytes.js';
import { addApplications } from '../../center/applications.js';
import type { ScryptParams } from '../../center/code-hash.js';
import { startCenter, type RunningCenter } from '../../center/center.js';
import { addKiosk, addReader } from '../../center/registry.js';
import { demoApplications } from '../../cli/demo/sample-apps.js';
import type { Clock } from '../../common/clock.js';
import { readKeyFile } from '../../common/key-files.js';
import type { Logger } from '../../common/log.js';
import type { LatencyModel } from '../../hardware/sim/card/index.js';
import type { SimStation } from '../../hardware/sim/sim-station.js';
import { startKiosk, type KioskAgent } from '../../kiosk/agent.js';
import { decodeKioskConfig } from '../../kiosk/config.js';
import { sealDevKiosk } from '../../kiosk/keystore/index.js';
import { devPkiLayout, initDevPki } from '../../provisioning/pki/dev-pki.js';
import { KioskTimeline } from './timeline.js';
import { tapConnect } from './wire-tap.js';
import { registerBatch } from '../../center/stock.js';
import { createStockedStation } from '../../cli/commands/stock-sim.js';

export interface FleetOptions {
  /** An empty work directory. */
  dir: string;
  kiosks: number;
  /** Applications (and hopper cards, plus spares) per kiosk. */
  cardsPerKiosk: number;
  latency?: LatencyModel;
  scrypt: ScryptParams;
  /** The center's per-kiosk request limit (CenterLimits.requestsPerMinute); the bench lifts it. */
  requestsPerMinute: number;
  clock: Clock;
  logger: Logger;
  random: (n: number) => Uint8Array;
}

/** What a customer types at the kiosk. */
export interface Customer {
  application: string;
  code: string;
}

export interface BenchKiosk {
  id: string;
  agent: KioskAgent;
  station: SimStation;
  timeline: KioskTimeline;
  customers: Customer[];
}

export interface Fleet {
  center: RunningCenter;
  kiosks: BenchKiosk[];
  stop(): Promise<void>;
}

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  const ids = Array.from({ length: o.kiosks }, (_, i) => `kiosk-${i + 1}`);
  const pki = join(o.dir, 'pki');
  await initDevPki(pki, { kiosks: ids, random: o.random, clock: o.clock, logger: o.logger, sealKiosk: sealDevKiosk });
  const layout = devPkiLayout(pki, ids);
  const center = await startCenter({ pkiDir: pki, store: { dataDir: join(o.dir, 'center-data') }, port: 0, clock: o.clock, logger: o.logger, random: o.random, scrypt: o.scrypt, limits: { requestsPerMinute: o.requestsPerMinute } });
  const kiosks: BenchKiosk[] = [];
  const stations: SimStation[] = [];
  const stop = async (): Promise<void> => {
    for (const k of kiosks) await k.agent.stop();
    for (const s of stations) await s.close();
    await center.stop();
  };
  try {
    const kmc = await readKeyFile(join(pki, 'center', 'issuer-master.key'), 16, { secret: true });
    try {
      for (const [i, id] of ids.entries()) {
        const { station, manifest } = await createStockedStation(join(o.dir, 'stations', id), {
          count: o.cardsPerKiosk + 2,
          // Every station's hopper numbers its cards from 1: without a prefix of its own, two
          // kiosks would feed cards with the same serial and the center refuses the second ('wrong-card').
          serialPrefix: `CA4D${(i + 1).toString(16).toUpperCase().padStart(2, '0')}`,
          // Prepared stock of a batch registered at the center (docs/provisioning.md §6).
          stockMasterKey: kmc,
          batch: `bench-${id}`,
          clock: o.clock,
          random: o.random,
          logger: o.logger,
          ...(o.latency ? { latency: o.latency } : {}),
        });
        stations.push(station);
        await registerBatch({ db: center.deps.db, audit: center.deps.audit, clock: o.clock }, manifest, 'bench');
        await registerKiosk(center, layout.kiosks[id]!.dir, id, station);
      }
    } finally {
      zeroize(kmc);
    }
    const apps = demoApplications(o.kiosks * o.cardsPerKiosk, o.random, toHex(o.random(3)));
    const d = center.deps;
    await addApplications({ db: d.db, audit: d.audit, clock: d.clock, dataKey: d.keys.dataKey, random: o.random, scrypt: d.scrypt }, apps.map((a) => a.input));
    for (const a of apps) for (const dgi of a.input.dgis) zeroize(dgi.value);
    for (const [i, id] of ids.entries()) {
      const timeline = new KioskTimeline();
      const agent = await startKiosk({
        config: decodeKioskConfig({ identityDir: layout.kiosks[id]!.dir, keyStore: { kind: 'sealed-file', machineSecretFile: layout.kiosks[id]!.machineSecret }, brokerUrl: center.url, station: stations[i]!.dir }),
        station: stations[i]!,
        clock: o.clock,
        logger: o.logger,
        random: o.random,
        events: (e) => timeline.event(e),
        mqttConnect: tapConnect((dir, type) => timeline.wire(dir, type)),
      });
      const customers = apps.filter((_, n) => n % o.kiosks === i).map((a) => ({ application: a.input.id, code: a.input.code }));
      kiosks.push({ id, agent, station: stations[i]!, timeline, customers });
    }
    await Promise.all(kiosks.map((k) => k.agent.ready));
    return { center, kiosks, stop };
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}

/** As cli/demo/run.ts does: the kiosk and its station's reader go into the center's registry. */
async function registerKiosk(center: RunningCenter, kioskDir: string, id: string, station: SimStation): Promise<void> {
  const d = center.deps;
  const cert = new X509Certificate(await readFile(join(kioskDir, 'tls.crt')));
  const deps = { db: d.db, audit: d.audit, clock: d.clock };
  await addKiosk(deps, { id, signingPublicKey: await readKeyFile(join(kioskDir, 'signing.pub'), 32), certFingerprint: cert.fingerprint256 });
  await addReader(deps, { kiosk: id, id: station.identity.id, kind: 'sim', ...station.identity.descriptor, publicKey: await readKeyFile(join(station.dir, 'reader.pub'), 32) });
}
