/**
 * The site's registry in PostgreSQL, filled before any worker starts, the
 * way an operator's `cardline center kiosks add`, `readers add`, `stock
 * register` and `applications add` would, through the same functions
 * (center/registry.ts, center/stock.ts, center/applications.ts), each a
 * transaction with its audit entry: the kiosks (public keys, certificate
 * fingerprint, serial and notAfter), one reader each, the issuing kiosks'
 * card batches, and one application per customer, its one-time code hashed
 * at the lowered scrypt cost bench/issue.ts uses (the hash carries its cost,
 * so the workers check it at that cost too).
 */
import { hex } from '../../card/bytes.js';
import { addApplications } from '../../center/applications.js';
import { MerkleAuditLog } from '../../center/audit/audit-log.js';
import type { ScryptParams } from '../../center/code-hash.js';
import { loadCenterKeys } from '../../center/keys.js';
import { addKiosk, addReader } from '../../center/registry.js';
import { registerBatch } from '../../center/stock.js';
import { openStore } from '../../center/store/open.js';
import { demoApplications } from '../../cli/demo/sample-apps.js';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { Customer, ProvisionedKiosk } from './protocol.js';

export const LOW_SCRYPT: ScryptParams = { logN: 10, r: 8, p: 1 };
/** Transactions in flight at once (each audit append queues on the log head anyway). */
const PARALLEL = 8;
const APPS_PER_TRANSACTION = 200;

export interface ProvisionDeps {
  pkiDir: string;
  databaseUrl: string;
  clock: Clock;
  logger: Logger;
  random: (n: number) => Uint8Array;
  progress(line: string): void;
}

async function inParallel<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: PARALLEL }, lane));
}

/** Registers the kiosks and adds `customersPerKiosk[i]` applications for issuing kiosk i; resolves with each one's customers. */
export async function provisionSite(d: ProvisionDeps, kiosks: readonly ProvisionedKiosk[], customersPerKiosk: number): Promise<Customer[][]> {
  const keys = await loadCenterKeys(d.pkiDir);
  const db = await openStore({ url: d.databaseUrl }, d.logger);
  try {
    const audit = new MerkleAuditLog({ signingKey: keys.signingKey, clock: d.clock, logger: d.logger });
    const reg = { db, audit, clock: d.clock };
    let done = 0;
    await inParallel(kiosks, async (k) => {
      await addKiosk(reg, { id: k.id, signingPublicKey: hex(k.signingPub), sealingPublicKey: hex(k.sealingPub), certFingerprint: k.fingerprint, certNotAfter: new Date(k.notAfter), certSerial: k.serial, mode: 'relay' });
      await addReader(reg, { kiosk: k.id, id: k.reader.id, kind: 'sim', vendor: k.reader.vendor, product: k.reader.product, serial: k.reader.serial, publicKey: hex(k.reader.publicKey) });
      if (k.manifest) await registerBatch(reg, k.manifest, 'bench');
      if (++done % 1000 === 0) d.progress(`${done} kiosks registered`);
    });
    const issuing = kiosks.filter((k) => k.manifest);
    const apps = demoApplications(issuing.length * customersPerKiosk, d.random, Buffer.from(d.random(3)).toString('hex'));
    const chunks: (typeof apps)[] = [];
    for (let i = 0; i < apps.length; i += APPS_PER_TRANSACTION) chunks.push(apps.slice(i, i + APPS_PER_TRANSACTION));
    const appDeps = { db, audit, clock: d.clock, dataKey: keys.dataKey, random: d.random, scrypt: LOW_SCRYPT };
    await inParallel(chunks, (c) => addApplications(appDeps, c.map((a) => a.input)));
    for (const a of apps) for (const dgi of a.input.dgis) dgi.value.fill(0);
    return issuing.map((_, i) => apps.slice(i * customersPerKiosk, (i + 1) * customersPerKiosk).map((a) => ({ application: a.input.id, code: a.input.code })));
  } finally {
    await db.close();
    keys.dispose();
  }
}
