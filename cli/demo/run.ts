/**
 * `cardline demo`, the main job on embedded defaults (DESIGN §7.1), in one
 * process: a dev PKI, the center (Aedes with mutual TLS on loopback, PGlite),
 * K kiosks each with a simulated station (hopper, IC station, gate, reject
 * bin), N sample applications. Each kiosk serves its customers one after
 * another; every step is printed as it happens. Then the independent check:
 * every issued card is read back through the simulator and compared with
 * the application, and the audit log is verified.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex, zeroize } from '../../card/bytes.js';
import type { Clock } from '../../common/clock.js';
import { readKeyFile } from '../../common/key-files.js';
import type { Logger } from '../../common/log.js';
import { addApplications } from '../../center/applications.js';
import { verifyAuditLog } from '../../center/audit/verify.js';
import { startCenter, type RunningCenter } from '../../center/center.js';
import { addKiosk, addReader } from '../../center/registry.js';
import { registerBatch } from '../../center/stock.js';
import { createStockedStation } from '../commands/stock-sim.js';
import type { SimStation } from '../../hardware/sim/sim-station.js';
import { startKiosk, type KioskAgent } from '../../kiosk/agent.js';
import { decodeKioskConfig } from '../../kiosk/config.js';
import { sealDevKiosk } from '../../kiosk/keystore/index.js';
import { devPkiLayout, initDevPki } from '../../provisioning/pki/dev-pki.js';
import { readBackCard } from './read-back.js';
import { demoApplications, type DemoApplication } from './sample-apps.js';
import { describeEvent } from './screen.js';
import { pkiFleetCa } from '../commands/fleet-ca.js';

export interface DemoOptions {
  dir: string;
  cards: number;
  kiosks: number;
  clock: Clock;
  logger: Logger;
  random: (n: number) => Uint8Array;
  out: (line: string) => void;
  /** Print every APDU step (default: only when few cards). */
  verbose?: boolean;
  /** The kiosks' issuance mode at the center (default relay; docs/sealed-mode.md). */
  mode?: 'relay' | 'sealed';
}

export interface DemoResult {
  ok: boolean;
  issued: number;
  problems: string[];
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const kioskIds = Array.from({ length: o.kiosks }, (_, i) => `kiosk-${i + 1}`);
  const pki = join(o.dir, 'pki');
  await initDevPki(pki, { kiosks: kioskIds, random: o.random, clock: o.clock, logger: o.logger, sealKiosk: sealDevKiosk });
  const layout = devPkiLayout(pki, kioskIds);
  o.out(`[setup] dev PKI in ${pki}: fleet CA, broker, center and ${o.kiosks} kiosk certificate(s)\n`);
  // The demo's customers come back to back; a real kiosk's come ≥ 30 s apart: the per-kiosk request limit is lifted here only.
  const center = await startCenter({
    pkiDir: pki,
    store: { dataDir: join(o.dir, 'center-data') },
    port: 0,
    clock: o.clock,
    logger: o.logger,
    random: o.random,
    limits: { requestsPerMinute: 100_000 },
    // The fleet CA: renewal certificates, and the CRL on revocation (docs/provisioning.md §1).
    fleetCa: pkiFleetCa,
  });
  const problems: string[] = [];
  const agents: KioskAgent[] = [];
  const stations: SimStation[] = [];
  try {
    o.out(`[center] broker and bridge on ${center.url}; PGlite store in ${join(o.dir, 'center-data')}\n`);
    const kmc = await readKeyFile(join(pki, 'center', 'issuer-master.key'), 16, { secret: true });
    const perKiosk = Math.ceil(o.cards / o.kiosks);
    for (const [i, id] of kioskIds.entries()) {
      // Card serials are unique fleet-wide, as a card maker's are: one serial prefix per station.
      const serialPrefix = `CA4D${(i + 1).toString(16).toUpperCase().padStart(4, '0')}`;
      // The card maker's factory cards, prepared (stock prepare: ISD keys from the stock master key, SECURED) and registered.
      const { station, manifest } = await createStockedStation(join(o.dir, 'stations', id), { count: perKiosk + 2, stockMasterKey: kmc, batch: `demo-${id}`, serialPrefix, clock: o.clock, random: o.random, logger: o.logger });
      stations.push(station);
      await registerBatch({ db: center.deps.db, audit: center.deps.audit, clock: o.clock }, manifest, 'demo');
      await registerKiosk(center, layout.kiosks[id]!.dir, id, station, o.mode ?? 'relay');
      o.out(`[setup] ${id}: station with ${manifest.cards.length} prepared cards (batch ${manifest.batch}, registered), reader ${station.identity.id} registered, ${o.mode ?? 'relay'} mode\n`);
    }
    zeroize(kmc);
    const apps = demoApplications(o.cards, o.random, toHex(o.random(3)));
    const d = center.deps;
    await addApplications({ db: d.db, audit: d.audit, clock: d.clock, dataKey: d.keys.dataKey, random: o.random, scrypt: d.scrypt }, apps.map((a) => a.input));
    o.out(`[center] ${apps.length} application(s) added: codes stored as scrypt hashes, DGIs encrypted at rest\n`);
    const verbose = o.verbose ?? o.cards <= 3;
    for (const [i, id] of kioskIds.entries()) {
      const station = stations[i]!;
      const agent = await startKiosk({
        config: decodeKioskConfig({ identityDir: layout.kiosks[id]!.dir, keyStore: { kind: 'sealed-file', machineSecretFile: layout.kiosks[id]!.machineSecret }, brokerUrl: center.url, station: station.dir }),
        station,
        clock: o.clock,
        logger: o.logger,
        random: o.random,
        events: (e) => {
          if (!verbose && (e.type === 'writing' || e.type === 'card-read')) return;
          const line = describeEvent(e);
          if (line) o.out(`[${id}] ${line}\n`);
        },
      });
      agents.push(agent);
      await agent.ready;
    }
    const issuedCards = await Promise.all(kioskIds.map((id, i) => serveCustomers(id, agents[i]!, stations[i]!, apps.filter((_, n) => n % o.kiosks === i), o.out)));
    const issued = issuedCards.flat();
    for (const c of issued) {
      o.out(`[check] ${c.kiosk}: reading card ${c.serial} (gate) back through the simulator for ${c.app.input.id}\n`);
      const p = await readBackCard(c.path, c.app, (line) => o.out(`[check]   ${line}\n`));
      problems.push(...p.map((x) => `${c.app.input.id}: ${x}`));
    }
    if (issued.length !== apps.length) problems.push(`${apps.length - issued.length} application(s) not issued`);
    await center.idle();
    const report = await verifyAuditLog(d.db, d.keys.signingPublic);
    o.out(`[check] audit log: ${report.entries} entries, signed tree head at size ${report.headSize}, ${report.checkpoints} checkpoint(s): ${report.ok ? 'verified (every leaf and root recomputed, signatures checked)' : 'FAILED'}\n`);
    problems.push(...report.problems.map((p) => `audit: ${p}`));
    for (const a of apps) for (const dgi of a.input.dgis) zeroize(dgi.value);
    return { ok: problems.length === 0, issued: issued.length, problems };
  } finally {
    for (const a of agents) await a.stop();
    for (const s of stations) await s.close();
    await center.stop();
  }
}

async function registerKiosk(center: RunningCenter, kioskDir: string, id: string, station: SimStation, mode: 'relay' | 'sealed'): Promise<void> {
  const d = center.deps;
  const cert = new X509Certificate(await readFile(join(kioskDir, 'tls.crt')));
  const signingPublicKey = await readKeyFile(join(kioskDir, 'signing.pub'), 32);
  const sealingPublicKey = await readKeyFile(join(kioskDir, 'sealing.pub'), 32);
  const deps = { db: d.db, audit: d.audit, clock: d.clock };
  await addKiosk(deps, { id, signingPublicKey, sealingPublicKey, certFingerprint: cert.fingerprint256, certNotAfter: new Date(cert.validTo), certSerial: cert.serialNumber.toLowerCase(), mode });
  await addReader(deps, { kiosk: id, id: station.identity.id, kind: 'sim', ...station.identity.descriptor, publicKey: await readKeyFile(join(station.dir, 'reader.pub'), 32) });
}

interface IssuedCard {
  kiosk: string;
  serial: string;
  path: string;
  app: DemoApplication;
}

/** One customer after another at one kiosk; the card that reaches the gate is the customer's. */
async function serveCustomers(id: string, agent: KioskAgent, station: SimStation, apps: DemoApplication[], out: (line: string) => void): Promise<IssuedCard[]> {
  const issued: IssuedCard[] = [];
  for (const app of apps) {
    const before = new Set(await station.cards('gate'));
    out(`[${id}] customer enters application ${app.input.id} and a one-time code\n`);
    const r = await agent.request(app.input.id, app.input.code);
    if (r.outcome !== 'issued') {
      out(`[${id}] ${app.input.id}: ${r.outcome} (${r.reason ?? 'no reason'})\n`);
      continue;
    }
    const fresh = (await station.cards('gate')).filter((s) => !before.has(s));
    if (fresh.length !== 1) {
      out(`[${id}] ${app.input.id}: expected one new card at the gate, found ${fresh.length}\n`);
      continue;
    }
    issued.push({ kiosk: id, serial: fresh[0]!, path: station.imagePath('gate', fresh[0]!), app });
  }
  return issued;
}
