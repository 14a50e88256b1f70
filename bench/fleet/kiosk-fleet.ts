/**
 * The kiosk-fleet process of bench/fleet.ts (forked, so that its CPU and
 * memory are its own and `node --cpu-prof` can profile it alone): makes the
 * kiosks' identities and the issuing kiosks' stations, connects them, offers
 * the load and watches the reconnect after the broker's restart, as the
 * bench process asks (protocol.ts).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { toHex } from '../../card/bytes.js';
import { createStockedStation } from '../../cli/commands/stock-sim.js';
import { systemClock } from '../../common/clock.js';
import { readKeyFile } from '../../common/key-files.js';
import { jsonLogger, parseLogLevel, silentLogger, type Logger } from '../../common/log.js';
import type { SimStation } from '../../hardware/sim/sim-station.js';
import { loadIssuing } from '../../provisioning/pki/ca-files.js';
import { devPkiLayout } from '../../provisioning/pki/dev-pki.js';
import { ed25519PublicKey, newEd25519Secret } from '../../wire/keys.js';
import { IssuingKiosk, LightKiosk, type FleetKiosk, type KioskDeps } from './fleet-kiosk.js';
import { makeIdentities, zeroizeIdentity, type KioskIdentity } from './identities.js';
import { offerLoad } from './load.js';
import type { Customer, FromFleet, ProvisionedKiosk, ProvisionRequest, ToFleet } from './protocol.js';
import { ReconnectWatch } from './reconnect-watch.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const send = (m: FromFleet): void => void process.send?.(m);
const logger: Logger = process.env.FLEET_BENCH_LOG ? jsonLogger({ write: (l) => process.stderr.write(l), level: parseLogLevel(process.env.FLEET_BENCH_LOG) ?? 'warn', ns: 'fleet' }) : silentLogger;
/** Kiosks connecting at once while the fleet comes up (not measured): a herd only after the broker restart. */
const CONNECT_BATCH = 100;

interface State {
  pkiDir: string;
  issuingIds: KioskIdentity[];
  lightIds: KioskIdentity[];
  stations: SimStation[];
  issuing: IssuingKiosk[];
  light: LightKiosk[];
  watch: ReconnectWatch;
  /** Customers not served yet, per issuing kiosk. */
  queues: Customer[][];
}

const st: State = { pkiDir: '', issuingIds: [], lightIds: [], stations: [], issuing: [], light: [], watch: new ReconnectWatch(), queues: [] };

async function provision(m: ProvisionRequest): Promise<FromFleet> {
  st.pkiDir = m.pkiDir;
  const loaded = await loadIssuing(m.pkiDir);
  const o = { issuing: loaded.ca, rootPem: loaded.rootPem, days: 30, clock: systemClock, random };
  let t = performance.now();
  st.issuingIds = await makeIdentities('kiosk-', m.issuing, o);
  st.lightIds = await makeIdentities('light-', m.light, o, (n) => process.stderr.write(`  fleet: ${n} light identities\n`));
  const identityMs = performance.now() - t;
  t = performance.now();
  const out: ProvisionedKiosk[] = [];
  const kmc = await readKeyFile(devPkiLayout(m.pkiDir, []).center.issuerMasterKey, 16, { secret: true });
  try {
    for (const [i, k] of st.issuingIds.entries()) {
      const { station, manifest } = await createStockedStation(join(m.dir, 'stations', k.id), {
        count: m.cardsPerKiosk,
        // Card serials are unique fleet-wide (the center refuses a card bound to another job).
        serialPrefix: `CA4D${(i + 1).toString(16).toUpperCase().padStart(4, '0')}`,
        stockMasterKey: kmc,
        batch: `fleet-${k.id}`,
        clock: systemClock,
        random,
      });
      st.stations.push(station);
      out.push({ ...k.public, reader: { id: station.identity.id, ...station.identity.descriptor, publicKey: toHex(await readKeyFile(join(station.dir, 'reader.pub'), 32)) }, manifest });
      if ((i + 1) % 100 === 0) process.stderr.write(`  fleet: ${i + 1} stations stocked\n`);
    }
  } finally {
    kmc.fill(0);
  }
  for (const [i, k] of st.lightIds.entries()) {
    // A light kiosk's reader is registered (the center welcomes only a kiosk with a reader) but never authenticates.
    const secret = newEd25519Secret(random);
    const id = `rd-${i + 1}`;
    out.push({ ...k.public, reader: { id, vendor: 'cardline', product: 'sim-reader', serial: id, publicKey: toHex(ed25519PublicKey(secret)) } });
    secret.fill(0);
  }
  return { type: 'provisioned', kiosks: out, identityMs, stationMs: performance.now() - t };
}

async function connectAll(brokerUrl: string, light: boolean): Promise<FromFleet> {
  const centerPublicKey = await readKeyFile(devPkiLayout(st.pkiDir, []).center.signingPub, 32);
  const deps: KioskDeps = { brokerUrl, centerPublicKey, clock: systemClock, logger, random, onBack: (id, at) => st.watch.back(id, at), onDown: (id, at) => st.watch.down(id, at) };
  const t = performance.now();
  const notReady: string[] = [];
  for (let i = st.issuing.length; i < st.issuingIds.length; i += CONNECT_BATCH) {
    const batch = st.issuingIds.slice(i, i + CONNECT_BATCH).map((k, j) => new IssuingKiosk(k, st.stations[i + j]!, deps));
    st.issuing.push(...batch);
    await Promise.all(batch.map((k) => withTimeout(k.ready, 60_000).catch(() => notReady.push(k.id))));
  }
  if (light) {
    for (let i = st.light.length; i < st.lightIds.length; i += CONNECT_BATCH) {
      const ids = st.lightIds.slice(i, i + CONNECT_BATCH);
      const backs = ids.map((k) => st.watch.waitBack(k.id, 60_000).catch(() => notReady.push(k.id)));
      st.light.push(...ids.map((k, j) => new LightKiosk(k, `rd-${i + j + 1}`, deps)));
      await Promise.all(backs);
      if ((i + CONNECT_BATCH) % 1000 === 0) process.stderr.write(`  fleet: ${i + CONNECT_BATCH} light kiosks connected\n`);
    }
  }
  return { type: 'connected', kiosks: st.issuing.length + st.light.length, ms: performance.now() - t, notReady };
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), ms)))]).finally(() => clearTimeout(timer));
}

async function stopAll(): Promise<void> {
  const all: FleetKiosk[] = [...st.issuing, ...st.light];
  for (let i = 0; i < all.length; i += 500) await Promise.all(all.slice(i, i + 500).map((k) => k.stop().catch(() => undefined)));
  for (const s of st.stations) await s.close().catch(() => undefined);
  for (const k of [...st.issuingIds, ...st.lightIds]) zeroizeIdentity(k);
}

async function handle(m: ToFleet): Promise<FromFleet | undefined> {
  switch (m.type) {
    case 'provision':
      return provision(m);
    case 'connect':
      return connectAll(m.brokerUrl, m.light);
    case 'load':
      if (m.customers) st.queues = m.customers.map((c) => [...c]);
      return { type: 'loaded', result: await offerLoad(st.issuing, st.queues, m.rate, m.durationS) };
    case 'watch-reconnect':
      st.watch.arm([...st.issuing, ...st.light].map((k) => k.id), m.timeoutS * 1000, (result) => send({ type: 'reconnected', result }));
      return { type: 'watching' };
    case 'stop':
      await stopAll();
      send({ type: 'stopped' });
      process.disconnect?.();
      return undefined;
  }
}

process.on('message', (m: ToFleet) => {
  handle(m)
    .then((r) => r && send(r))
    .catch((e: unknown) => send({ type: 'error', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }));
});
