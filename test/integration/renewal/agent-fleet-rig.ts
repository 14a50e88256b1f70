/**
 * One real kiosk agent against a real center that can certify renewals:
 * the dev PKI (root + issuing CA), the center with its fleet CA
 * (cli/commands/fleet-ca.ts, as the CLI composes it: test/fixtures/rig.ts
 * starts its center without one, so renewals there are refused), the
 * embedded broker under mutual TLS, PGlite, and a simulated station whose
 * hopper holds prepared stock of a registered batch. The station's
 * transport can be held before an APDU: a customer session then stays in
 * progress as long as the test wants. Not a test file.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addApplications } from '../../../center/applications.js';
import { startCenter, type RunningCenter } from '../../../center/center.js';
import { getJob, type JobRow } from '../../../center/jobs.js';
import { addKiosk, addReader, getKiosk } from '../../../center/registry.js';
import { registerBatch } from '../../../center/stock.js';
import { pkiFleetCa } from '../../../cli/commands/fleet-ca.js';
import { createStockedStation } from '../../../cli/commands/stock-sim.js';
import { demoApplications } from '../../../cli/demo/sample-apps.js';
import { systemClock } from '../../../common/clock.js';
import { readKeyFile } from '../../../common/key-files.js';
import type { CardTransport } from '../../../hardware/card-transport.js';
import { startKiosk, type KioskAgent } from '../../../kiosk/agent.js';
import { decodeKioskConfig } from '../../../kiosk/config.js';
import { sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { initDevPki, type DevPkiLayout } from '../../../provisioning/pki/dev-pki.js';
import { ForwardingTransport, withTransport } from '../../fixtures/forwarding-station.js';
import { recordingLogger, type RecordingLog } from '../../fixtures/recording-log.js';
import { eventually, random, TEST_SCRYPT } from '../../fixtures/rig.js';

export const KIOSK = 'kiosk-1';

/** Forwards every APDU, except that while `held` the next one waits for `release()`. */
export class HoldingTransport extends ForwardingTransport {
  #hold: Promise<void> | undefined;
  #release: (() => void) | undefined;
  /** Resolves when an APDU is being held. */
  holding: Promise<void> = new Promise(() => undefined);
  #holdingResolve: (() => void) | undefined;

  constructor(inner: CardTransport) {
    super(inner);
  }

  hold(): void {
    this.#hold = new Promise((r) => (this.#release = r));
    this.holding = new Promise((r) => (this.#holdingResolve = r));
  }

  release(): void {
    this.#release?.();
    this.#hold = undefined;
  }

  override async transmit(apdu: Uint8Array, opts?: { timeoutMs?: number }): Promise<Uint8Array> {
    if (this.#hold) {
      this.#holdingResolve?.();
      await this.#hold;
    }
    return super.transmit(apdu, opts);
  }
}

export interface AgentFleetRig {
  dir: string;
  pki: DevPkiLayout;
  center: RunningCenter;
  agent: KioskAgent;
  transport: HoldingTransport;
  kioskLog: RecordingLog;
  centerLog: RecordingLog;
  /** A fresh application; its one-time code. */
  addApp(): Promise<{ id: string; code: string }>;
  jobsOf(appId: string): Promise<JobRow[]>;
  /** The registry's certificate fingerprint for the kiosk. */
  registeredFingerprint(): Promise<string | null>;
  /** tls.crt's fingerprint now. */
  fileFingerprint(): Promise<string>;
}

export async function startAgentFleetRig(t: { teardown(f: () => unknown): void }): Promise<AgentFleetRig> {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-renewal-'));
  const up: { center?: RunningCenter; agent?: KioskAgent; close?: () => Promise<void> } = {};
  t.teardown(async () => {
    await up.agent?.stop();
    await up.close?.();
    await up.center?.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const pkiDir = join(dir, 'pki');
  const pki = await initDevPki(pkiDir, { kiosks: [KIOSK], random, clock: systemClock, sealKiosk: sealDevKiosk });
  const centerLog = recordingLogger('center');
  const kioskLog = recordingLogger(KIOSK);
  const center = (up.center = await startCenter({ pkiDir, store: { dataDir: join(dir, 'center-data') }, port: 0, clock: systemClock, logger: centerLog, random, scrypt: TEST_SCRYPT, fleetCa: pkiFleetCa }));
  const d = center.deps;
  const reg = { db: d.db, audit: d.audit, clock: d.clock };
  const kmc = await readKeyFile(pki.center.issuerMasterKey, 16, { secret: true });
  const stationDir = join(dir, 'station');
  let made;
  try {
    made = await createStockedStation(stationDir, { stockMasterKey: kmc, clock: systemClock, random, logger: kioskLog, count: 3, batch: 'renewal-test', serialPrefix: 'CA4E0001' });
  } finally {
    kmc.fill(0);
  }
  const station = made.station;
  up.close = () => station.close();
  await registerBatch(reg, made.manifest, 'test');
  const files = pki.kiosks[KIOSK]!;
  const cert = new X509Certificate(await readFile(files.cert));
  await addKiosk(reg, {
    id: KIOSK,
    signingPublicKey: await readKeyFile(files.signingPub, 32),
    sealingPublicKey: await readKeyFile(join(files.dir, 'sealing.pub'), 32),
    certFingerprint: cert.fingerprint256,
    certNotAfter: new Date(cert.validTo),
    certSerial: cert.serialNumber.toLowerCase(),
    mode: 'relay',
  });
  await addReader(reg, { kiosk: KIOSK, id: station.identity.id, kind: 'sim', ...station.identity.descriptor, publicKey: await readKeyFile(join(stationDir, 'reader.pub'), 32) });
  const transport = new HoldingTransport(station.transport);
  const agent = (up.agent = await startKiosk({
    config: decodeKioskConfig({ identityDir: files.dir, keyStore: { kind: 'sealed-file', machineSecretFile: files.machineSecret }, brokerUrl: center.url, station: stationDir }),
    station: withTransport(station, transport, 'holding'),
    clock: systemClock,
    logger: kioskLog,
    random,
    events: () => undefined,
    idlePollMs: 100,
  }));
  await agent.ready;
  // The registry is saved after the welcome, asynchronously: wait for it (the decommission test checks it goes).
  await eventually(() => readFile(join(files.dir, 'registry.json')).then(() => true, () => false), 'the kiosk saving its registry');
  let runs = 0;
  return {
    dir,
    pki,
    center,
    agent,
    transport,
    kioskLog,
    centerLog,
    async addApp() {
      const [app] = demoApplications(1, random, `renewal${String(++runs)}`);
      await addApplications({ db: d.db, audit: d.audit, clock: d.clock, dataKey: d.keys.dataKey, random, scrypt: d.scrypt }, [app!.input]);
      return { id: app!.input.id, code: app!.input.code };
    },
    async jobsOf(appId) {
      const r = await d.db.query<{ id: string }>('SELECT id FROM jobs WHERE application_id = $1 ORDER BY created_at, id', [appId]);
      return (await Promise.all(r.rows.map((row) => getJob(d.db, row.id)))).filter((j): j is JobRow => j !== undefined);
    },
    registeredFingerprint: async () => (await getKiosk(d.db, KIOSK))?.cert_fingerprint ?? null,
    fileFingerprint: async () => new X509Certificate(await readFile(files.cert)).fingerprint256,
  };
}
