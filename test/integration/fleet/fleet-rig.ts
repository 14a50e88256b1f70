/**
 * A real center for the fleet tests (docs/provisioning.md §3–4): a
 * development PKI (root + issuing CA), PGlite, the embedded broker on a free
 * loopback port, and — unlike test/fixtures/rig.ts, which does not pass one
 * yet — the issuing CA the CLI gives the center (cli/commands/fleet-ca.ts),
 * so renewals are certified and revocations reach the CRL. Kiosks are
 * registered with their certificates (kiosk_certs) and one reader each, and
 * are played by hand (test/fixtures/raw-kiosk.ts). Not a test file.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditRecord } from '../../../center/audit/entry-text.js';
import { startCenter, type RunningCenter } from '../../../center/center.js';
import type { CenterLimits } from '../../../center/deps.js';
import type { FleetCa } from '../../../center/fleet/ca.js';
import { addKiosk, addReader } from '../../../center/registry.js';
import { pkiFleetCa } from '../../../cli/commands/fleet-ca.js';
import { systemClock, type Clock } from '../../../common/clock.js';
import { readKeyFile } from '../../../common/key-files.js';
import { sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { initDevPki } from '../../../provisioning/pki/dev-pki.js';
import type { DevPkiLayout } from '../../../provisioning/pki/layout.js';
import type { Teardown } from '../../fixtures/mqtt-clients.js';
import { RawKiosk } from '../../fixtures/raw-kiosk.js';
import { recordingLogger, type RecordingLog } from '../../fixtures/recording-log.js';
import { eventually, random, TEST_SCRYPT } from '../../fixtures/rig.js';

export interface FleetRig {
  readonly dir: string;
  readonly pkiDir: string;
  readonly dataDir: string;
  readonly pki: DevPkiLayout;
  /** The trust anchor (root) PEM. */
  readonly ca: string;
  readonly center: RunningCenter;
  readonly log: RecordingLog;
  /** The reader registered for each kiosk (what its hello names). */
  readerOf(kiosk: string): string;
  /** Kiosk `id` played by hand (test/fixtures/raw-kiosk.ts): connected, hello sent, welcome received. */
  helloed(this: void, t: Parameters<typeof RawKiosk.connect>[0], id: string): Promise<RawKiosk>;
  /** The serial (lower-case hex) of the kiosk's certificate from the PKI. */
  serialOf(kiosk: string): string;
  audit(from?: number): Promise<AuditRecord[]>;
  waitForAudit(match: (r: AuditRecord) => boolean, what: string, o?: { from?: number; ms?: number }): Promise<AuditRecord>;
  /** Where the log and the audit log stand now. */
  mark(): Promise<{ line: number; entry: number }>;
  stop(): Promise<void>;
}

export interface FleetRigOptions {
  kiosks: string[];
  limits?: Partial<CenterLimits>;
  /** The center's issuing CA (default pkiFleetCa: a test wraps it to count or to act in between). */
  fleetCa?: FleetCa;
  /** The center's clock (default the system clock; a skewed one lets a test pass the CSR rate limit). */
  clock?: Clock;
}

export async function startFleetRig(t: Teardown, o: FleetRigOptions): Promise<FleetRig> {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-fleet-'));
  const up: { center?: RunningCenter } = {};
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await up.center?.stop();
      await rm(dir, { recursive: true, force: true });
    })());
  t.teardown(stop);
  const pkiDir = join(dir, 'pki');
  const dataDir = join(dir, 'center-data');
  const pki = await initDevPki(pkiDir, { kiosks: o.kiosks, random, clock: systemClock, sealKiosk: sealDevKiosk });
  const log = recordingLogger('center');
  const clock = o.clock ?? systemClock;
  const center = (up.center = await startCenter({ pkiDir, store: { dataDir }, port: 0, clock, logger: log, random, scrypt: TEST_SCRYPT, fleetCa: o.fleetCa ?? pkiFleetCa, ...(o.limits ? { limits: o.limits } : {}) }));
  const d = center.deps;
  const reg = { db: d.db, audit: d.audit, clock: d.clock };
  const serials = new Map<string, string>();
  for (const id of o.kiosks) {
    const files = pki.kiosks[id]!;
    const cert = new X509Certificate(await readFile(files.cert));
    serials.set(id, cert.serialNumber.toLowerCase());
    await addKiosk(reg, { id, signingPublicKey: await readKeyFile(files.signingPub, 32), certFingerprint: cert.fingerprint256, certNotAfter: new Date(cert.validTo), certSerial: cert.serialNumber.toLowerCase() });
    await addReader(reg, { kiosk: id, id: `reader-${id}`, kind: 'sim', vendor: 'cardline', product: 'sim-reader', serial: `reader-${id}`, publicKey: null });
  }
  const audit = async (from = 0): Promise<AuditRecord[]> => {
    const r = await d.db.query<{ entry: string }>('SELECT entry FROM audit_entries WHERE idx >= $1 ORDER BY idx', [from]);
    return r.rows.map((row) => JSON.parse(row.entry) as AuditRecord);
  };
  return {
    dir,
    pkiDir,
    dataDir,
    pki,
    ca: await readFile(pki.ca.cert, 'utf8'),
    center,
    log,
    readerOf: (kiosk) => `reader-${kiosk}`,
    helloed: async (tt, id) => {
      const k = await RawKiosk.connect(tt, center.url, pki, id);
      await k.hello(`reader-${id}`);
      await k.waitDown('welcome');
      return k;
    },
    serialOf: (kiosk) => serials.get(kiosk)!,
    audit,
    async waitForAudit(match, what, w = {}) {
      let hit: AuditRecord | undefined;
      await eventually(async () => (hit = (await audit(w.from ?? 0)).find(match)) !== undefined, `the audit entry: ${what}`, w.ms);
      return hit!;
    },
    mark: async () => ({ line: log.lines.length, entry: (await audit()).length }),
    stop,
  };
}
