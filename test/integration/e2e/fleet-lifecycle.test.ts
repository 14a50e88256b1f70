/**
 * Issue 7 point 8, end to end as a fleet script would run it, every step a
 * real `cardline` process, over a real PostgreSQL (so that the operator's
 * commands run while the center does, as on a site):
 *
 *   pki init → stock prepare → center (with --enrol) → center enrol-token →
 *   kiosk enrol (keys born in its sealed store) → stock register, readers
 *   add, applications add → kiosk serves a customer (card ISSUED) →
 *   center kiosks renew → the kiosk renews and reconnects with a new
 *   certificate → a second customer is served under it → center kiosks
 *   revoke → the running center kicks the kiosk, its reconnection is
 *   refused at the broker (CERT_REVOKED) → a third customer gets no card.
 *
 * Then the audit log verifies, and every step left its entry.
 */
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readKeyFile } from '../../../common/key-files.js';
import { silentLogger } from '../../../common/log.js';
import type { AuditRecord } from '../../../center/audit/entry-text.js';
import { verifyAuditLog } from '../../../center/audit/verify.js';
import { openStore } from '../../../center/store/open.js';
import type { Db } from '../../../center/store/db.js';
import { demoApplications } from '../../../cli/demo/sample-apps.js';
import { startPostgres } from '../../fixtures/postgres-server.js';
import { applicationsJson, freePort, runCardline, spawnCardline, type CardlineProcess } from '../../fixtures/process-rig.js';

const LONG = 90_000;
const KIOSK = 'kiosk-air-07';
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

const root = await mkdtemp(join(tmpdir(), 'cardline-fleet-e2e-'));
t.teardown(() => rm(root, { recursive: true, force: true }));
const pg = await startPostgres(t);
const pki = join(root, 'pki');
const station = join(root, 'station');
const identity = join(root, 'identity');
const store = ['--pki', pki, '--database', pg.url];
const processes: CardlineProcess[] = [];
t.teardown(async () => {
  for (const p of processes.reverse()) if (p.running) await p.stop().catch(() => undefined);
});

/** Polls the store until `check` finds what it waits for. */
async function waitForStore<T>(db: Db, what: string, check: (db: Db) => Promise<T | undefined>, ms = LONG): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const found = await check(db);
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function auditEntries(db: Db): Promise<AuditRecord[]> {
  const r = await db.query<{ entry: string }>('SELECT entry FROM audit_entries ORDER BY idx');
  return r.rows.map((row) => JSON.parse(row.entry) as AuditRecord);
}

function entryOf(kind: string, pred: (e: AuditRecord) => boolean = () => true): (db: Db) => Promise<AuditRecord | undefined> {
  return async (db) => (await auditEntries(db)).find((e) => e.kind === kind && pred(e));
}

const detail = (e: AuditRecord): Record<string, unknown> => (e as unknown as { detail?: Record<string, unknown> }).detail ?? {};

void t.test('enrol → issue → rotate → issue → revoke → refused', async (t) => {
  const apps = demoApplications(3, random, 'fleet');
  // The fleet CA (root + issuing CA) and the center's keys; no dev kiosks: this kiosk enrols.
  await runCardline(['pki', 'init', pki, '--kiosks', '']);
  const stock = JSON.parse((await runCardline(['stock', 'prepare', '--station', station, '--count', '4', '--batch', 'air-2026-12', '--pki', pki, '--json'])).out) as { reader: { id: string } };

  const port = await freePort();
  const center = spawnCardline('center', ['center', ...store, '--port', String(port), '--enrol', '0']);
  processes.push(center);
  await center.waitFor(/^center listening on mqtts:/, LONG, 'the center listening');
  const enrolUrl = (await center.waitFor(/^enrolment on https:\/\/127\.0\.0\.1:\d+/, LONG, 'the enrolment endpoint')).replace(/^enrolment on /, '').trim();

  const db = await openStore({ url: pg.url }, silentLogger);
  t.teardown(() => db.close());

  // 1. Enrolment: a one-time token bound to the kiosk, the kiosk's keys born in its store.
  const token = (await runCardline(['center', 'enrol-token', '--kiosk', KIOSK, '--site', 'airport-T1', ...store])).out.trim();
  t.match(token, /^[A-Za-z0-9_-]{43}$/, 'the token is printed alone');
  const tokenFile = join(root, 'token');
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  const machineSecret = join(root, 'machine-secret');
  await writeFile(machineSecret, `${Buffer.from(random(32)).toString('hex')}\n`, { mode: 0o600 });
  const enrolled = JSON.parse(
    (await runCardline(['kiosk', 'enrol', '--center', enrolUrl, '--ca', join(pki, 'ca', 'ca.crt'), '--kiosk', KIOSK, '--token-file', tokenFile, '--identity', identity, '--key-store', 'sealed-file', '--machine-secret', machineSecret, '--scrypt-log-n', '14', '--json'])).out,
  ) as Record<string, unknown>;
  t.ok(enrolled, 'kiosk enrol answered');
  const firstCert = new X509Certificate(await readFile(join(identity, 'tls.crt')));
  t.match(firstCert.subject, new RegExp(`CN=${KIOSK}`), 'the certificate names the kiosk');
  const row = await db.query<{ status: string; site: string; cert_fingerprint: string }>('SELECT status, site, cert_fingerprint FROM kiosks WHERE id = $1', [KIOSK]);
  t.same(row.rows[0], { status: 'active', site: 'airport-T1', cert_fingerprint: firstCert.fingerprint256 }, 'the center registered the kiosk, its site and its certificate');
  const reuse = await runCardline(['kiosk', 'enrol', '--center', enrolUrl, '--ca', join(pki, 'ca', 'ca.crt'), '--kiosk', KIOSK, '--token-file', tokenFile, '--identity', join(root, 'identity-2'), '--key-store', 'sealed-file', '--machine-secret', machineSecret, '--scrypt-log-n', '14', '--json']).then(
    () => 'accepted',
    (e: Error) => e.message,
  );
  t.match(reuse, /exited 1[\s\S]*token-refused/, 'the token is single use: refused, exit 1');

  // 2. The operator registers the stock, the kiosk's reader and the applications (PostgreSQL: while the center runs).
  await runCardline(['center', 'stock', 'register', '--manifest', join(station, 'batches', 'air-2026-12.json'), ...store]);
  await runCardline(['center', 'readers', 'add', '--kiosk', KIOSK, '--reader', stock.reader.id, '--kind', 'sim', '--vendor', 'cardline', '--product', 'sim-reader', '--serial', stock.reader.id, '--public-key-file', join(station, 'reader.pub'), ...store]);
  const appsFile = join(root, 'applications.json');
  await writeFile(appsFile, applicationsJson(apps), { mode: 0o600 });
  await runCardline(['center', 'applications', 'add', '--file', appsFile, ...store]);

  // 3. The kiosk serves a customer.
  const kiosk = spawnCardline('kiosk', ['kiosk', '--identity', identity, '--broker', `mqtts://127.0.0.1:${port}`, '--station', station, '--machine-secret', machineSecret]);
  processes.push(kiosk);
  const serve = async (n: number, expect: RegExp): Promise<string> => {
    const from = kiosk.out.length;
    kiosk.child.stdin!.write(`${apps[n]!.input.id}\n${apps[n]!.input.code}\n`);
    return kiosk.waitFor(/^Result: /, LONG, `customer ${n + 1}'s result`, { from }).then((line) => {
      t.match(line, expect, `customer ${n + 1}: ${line}`);
      return line;
    });
  };
  await serve(0, /^Result: issued/);

  // 4. Rotation, asked by the operator: the kiosk makes a new key, gets a certificate, reconnects with it.
  const renew = JSON.parse((await runCardline(['center', 'kiosks', 'renew', '--kiosk', KIOSK, ...store, '--json'])).out) as Record<string, unknown>;
  t.ok(renew, 'renewal requested');
  const renewed = await waitForStore(db, 'kiosk.cert-renewed', entryOf('kiosk.cert-renewed', (e) => e.kiosk === KIOSK));
  const secondCert = new X509Certificate(await readFile(join(identity, 'tls.crt')));
  t.not(secondCert.fingerprint256, firstCert.fingerprint256, 'tls.crt is a new certificate');
  t.not(secondCert.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'), firstCert.publicKey.export({ format: 'der', type: 'spki' }).toString('hex'), 'for a new key');
  const after = await db.query<{ cert_fingerprint: string }>('SELECT cert_fingerprint FROM kiosks WHERE id = $1', [KIOSK]);
  t.equal(after.rows[0]?.cert_fingerprint, secondCert.fingerprint256, 'the registry has the new certificate');
  t.ok(renewed, 'audited kiosk.cert-renewed');
  const old = await db.query<{ state: string; revoked_at: Date | null }>('SELECT state, revoked_at FROM kiosk_certs WHERE fingerprint = $1', [firstCert.fingerprint256]);
  t.equal(old.rows[0]?.state, 'superseded', 'the old certificate is superseded');
  t.ok(old.rows[0]?.revoked_at, 'and on the CRL');
  await serve(1, /^Result: issued/);

  // 5. Revocation by the operator's CLI: the running center kicks the kiosk and the broker refuses it from then on.
  const revokedAt = Date.now();
  await runCardline(['center', 'kiosks', 'revoke', '--kiosk', KIOSK, '--reason', 'stolen', ...store, '--json']);
  const kicked = await waitForStore(db, 'kiosk.kicked', entryOf('kiosk.kicked', (e) => e.kiosk === KIOSK), 10_000);
  t.ok(kicked, 'the running center kicked the connected kiosk');
  t.comment(`revoke command exit → kick audited: ${Date.now() - revokedAt} ms (includes the CLI's own start)`);
  const refusal = await waitForStore(db, 'a TLS refusal of the revoked certificate', entryOf('broker.refused', (e) => detail(e)['reason'] === 'CERT_REVOKED'));
  t.equal(detail(refusal)['stage'], 'tls', 'refused at the TLS handshake: CERT_REVOKED');
  const crl = await readFile(join(pki, 'ca', 'crl.pem'), 'utf8');
  t.match(crl, /BEGIN X509 CRL[\s\S]*BEGIN X509 CRL/, 'crl.pem holds the root and the issuing CRL');

  // 6. A third customer: the kiosk cannot reach the center, no card is issued.
  kiosk.child.stdin!.write(`${apps[2]!.input.id}\n${apps[2]!.input.code}\n`);
  await new Promise((r) => setTimeout(r, 3000));
  const jobs = await db.query<{ application_id: string; state: string }>('SELECT application_id, state FROM jobs ORDER BY created_at');
  t.same(
    jobs.rows.filter((j) => j.state === 'ISSUED').map((j) => j.application_id).sort(),
    [apps[0]!.input.id, apps[1]!.input.id].sort(),
    'exactly the two customers before the revocation got cards',
  );
  t.notOk(jobs.rows.some((j) => j.application_id === apps[2]!.input.id && j.state === 'ISSUED'), 'none after');

  await kiosk.stop();
  await center.stop();
  const entries = await auditEntries(db);
  for (const kind of ['enrol.token', 'kiosk.enrolled', 'stock.registered', 'kiosk.cert-issued', 'kiosk.cert-renewed', 'kiosk.status', 'kiosk.kicked', 'broker.refused']) {
    t.ok(entries.some((e) => e.kind === kind), `audited ${kind}`);
  }
  const report = await verifyAuditLog(db, await readKeyFile(join(pki, 'center', 'signing.pub'), 32));
  t.ok(report.ok, 'the audit log verifies');
});
