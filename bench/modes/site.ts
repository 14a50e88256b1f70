/**
 * The site of bench/modes.ts, composed as `cardline demo` composes it
 * (cli/demo/run.ts): a dev PKI (the kiosk's keys in its sealed store), the
 * embedded center (Aedes with mutual TLS on loopback, PGlite) in this
 * process, one simulated station (made here, driven by the kiosk process),
 * and the kiosk registered with its signing and sealing keys, so that its
 * mode can be switched between configurations (center/registry.ts
 * setKioskMode, what `cardline center kiosks mode` runs).
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex, zeroize } from '../../card/bytes.js';
import { addApplications } from '../../center/applications.js';
import type { ScryptParams } from '../../center/code-hash.js';
import { startCenter, type RunningCenter } from '../../center/center.js';
import { addKiosk, addReader, setKioskMode } from '../../center/registry.js';
import { demoApplications } from '../../cli/demo/sample-apps.js';
import type { Clock } from '../../common/clock.js';
import { readKeyFile } from '../../common/key-files.js';
import type { Logger } from '../../common/log.js';
import { sealDevKiosk } from '../../kiosk/keystore/index.js';
import { initDevPki, type KioskFiles } from '../../provisioning/pki/dev-pki.js';
import { registerBatch } from '../../center/stock.js';
import { createStockedStation } from '../../cli/commands/stock-sim.js';

export const KIOSK_ID = 'kiosk-1';

export interface SiteOptions {
  dir: string;
  /** Blank cards in the station's hopper. */
  cards: number;
  scrypt: ScryptParams;
  /** The center's per-kiosk request limit; the bench serves customers back to back and lifts it. */
  requestsPerMinute: number;
  clock: Clock;
  logger: Logger;
  random: (n: number) => Uint8Array;
}

export interface Site {
  center: RunningCenter;
  kiosk: KioskFiles;
  stationDir: string;
  /** The broker's loopback port (the delay proxy forwards to it). */
  brokerPort: number;
  setMode(mode: 'relay' | 'sealed'): Promise<void>;
  /** Adds `n` sample applications; resolves with what a customer types. */
  addCustomers(n: number): Promise<{ application: string; code: string }[]>;
  stop(): Promise<void>;
}

export async function startSite(o: SiteOptions): Promise<Site> {
  const pkiDir = join(o.dir, 'pki');
  const pki = await initDevPki(pkiDir, { kiosks: [KIOSK_ID], random: o.random, clock: o.clock, logger: o.logger, sealKiosk: sealDevKiosk });
  const center = await startCenter({ pkiDir, store: { dataDir: join(o.dir, 'center-data') }, port: 0, clock: o.clock, logger: o.logger, random: o.random, scrypt: o.scrypt, limits: { requestsPerMinute: o.requestsPerMinute } });
  try {
    const d = center.deps;
    const reg = { db: d.db, audit: d.audit, clock: d.clock };
    const kiosk = pki.kiosks[KIOSK_ID]!;
    const stationDir = join(o.dir, 'station');
    const kmc = await readKeyFile(pki.center.issuerMasterKey, 16, { secret: true });
    // Prepared stock, registered: the center issues onto nothing else (docs/provisioning.md §6).
    const { station, manifest } = await createStockedStation(stationDir, { count: o.cards, stockMasterKey: kmc, batch: 'bench-site', clock: o.clock, random: o.random, logger: o.logger }).finally(() => zeroize(kmc));
    await registerBatch(reg, manifest, 'bench');
    // The kiosk process drives the station (one process per station).
    await station.close();
    const cert = new X509Certificate(await readFile(kiosk.cert));
    await addKiosk(reg, { id: KIOSK_ID, signingPublicKey: await readKeyFile(kiosk.signingPub, 32), sealingPublicKey: await readKeyFile(kiosk.sealingPub, 32), certFingerprint: cert.fingerprint256 });
    await addReader(reg, { kiosk: KIOSK_ID, id: station.identity.id, kind: 'sim', ...station.identity.descriptor, publicKey: await readKeyFile(join(stationDir, 'reader.pub'), 32) });
    let batch = 0;
    return {
      center,
      kiosk,
      stationDir,
      brokerPort: Number(new URL(center.url).port),
      setMode: (mode) => setKioskMode(reg, KIOSK_ID, mode),
      addCustomers: async (n) => {
        const apps = demoApplications(n, o.random, `${toHex(o.random(2))}${++batch}`);
        await addApplications({ db: d.db, audit: d.audit, clock: d.clock, dataKey: d.keys.dataKey, random: o.random, scrypt: d.scrypt }, apps.map((a) => a.input));
        for (const a of apps) for (const dgi of a.input.dgis) zeroize(dgi.value);
        return apps.map((a) => ({ application: a.input.id, code: a.input.code }));
      },
      stop: () => center.stop(),
    };
  } catch (e) {
    await center.stop().catch(() => undefined);
    throw e;
  }
}
