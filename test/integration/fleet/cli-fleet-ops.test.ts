/**
 * `cardline center kiosks renew | decommission | revoke --json` on a real
 * PGlite store and development PKI (docs/provisioning.md §3–4, §7): each
 * prints one JSON object, records its change with its audit entries, and
 * puts revoked certificates on the issuing CA's CRL (`ca/crl.pem`, checked
 * by parsing it). Refusals: an unknown kiosk, a revoked kiosk asked to
 * renew (exit 1, `{ ok: false, error }`), a missing reason (exit 2), the
 * store held by a running center (exit 3: retry later).
 */
import t from 'tap';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kioskAddCommand, kioskRevokeCommand } from '../../../cli/commands/center-admin.js';
import { fleetOpsCommands } from '../../../cli/commands/fleet-ops.js';
import { openStore } from '../../../center/store/open.js';
import { FakeClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/log.js';
import { pemBlocks } from '../../../common/pem-blocks.js';
import { sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { initDevPki } from '../../../provisioning/pki/dev-pki.js';
import * as x509 from '../../../provisioning/pki/x509.js';
import { runCommands } from '../../fixtures/cli-run.js';
import { random } from '../../fixtures/rig.js';

const dir = await mkdtemp(join(tmpdir(), 'cardline-fleet-cli-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const pkiDir = join(dir, 'pki');
const pki = await initDevPki(pkiDir, { kiosks: ['kiosk-1', 'kiosk-2', 'kiosk-3'], random, sealKiosk: sealDevKiosk });
const data = join(dir, 'data');
const store = ['--pki', pkiDir, '--data', data];
const commands = [kioskAddCommand, kioskRevokeCommand, ...fleetOpsCommands()];
const cli = (args: string[]): ReturnType<typeof runCommands> => runCommands(args, commands, { clock: new FakeClock(Date.now()) });
const json = (out: string): Record<string, unknown> => JSON.parse(out) as Record<string, unknown>;

async function withStore<T>(fn: (db: Awaited<ReturnType<typeof openStore>>) => Promise<T>): Promise<T> {
  const db = await openStore({ dataDir: data }, silentLogger);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}
const auditKinds = (kiosk: string): Promise<string[]> =>
  withStore(async (db) => (await db.query<{ entry: string }>('SELECT entry FROM audit_entries ORDER BY idx')).rows.map((r) => JSON.parse(r.entry) as { kind: string; kiosk: string | null }).filter((e) => e.kiosk === kiosk).map((e) => e.kind));
/** The serials on the issuing CA's CRL (the second block of ca/crl.pem). */
async function crlSerials(): Promise<string[]> {
  const blocks = pemBlocks(await readFile(pki.ca.crl, 'utf8'), 'X509 CRL');
  if (blocks.length !== 2) throw new Error(`ca/crl.pem holds ${blocks.length} CRLs, not 2 (root, issuing CA)`);
  return new x509.X509Crl(blocks[1]!).entries.map((e) => e.serialNumber.toLowerCase().replace(/^0+/, ''));
}
const serialOf = async (id: string): Promise<string> => new x509.X509Certificate(await readFile(pki.kiosks[id]!.cert, 'utf8')).serialNumber.toLowerCase().replace(/^0+/, '');

for (const id of ['kiosk-1', 'kiosk-2', 'kiosk-3']) {
  const added = await cli(['center', 'kiosks', 'add', ...store, '--kiosk', id]);
  if (added.code !== 0) throw new Error(`center kiosks add ${id}: ${added.err}`);
}

void t.test('renew --json: renew_requested_at set and audited', async (t) => {
  const r = await cli(['center', 'kiosks', 'renew', ...store, '--kiosk', 'kiosk-1', '--json']);
  t.equal(r.code, 0, r.err);
  const out = json(r.out);
  t.match(out, { ok: true, kiosk: 'kiosk-1', renewRequestedAt: String });
  const at = await withStore(async (db) => (await db.query<{ renew_requested_at: Date }>('SELECT renew_requested_at FROM kiosks WHERE id = $1', ['kiosk-1'])).rows[0]!.renew_requested_at);
  t.equal(at.toISOString(), out.renewRequestedAt);
  t.ok((await auditKinds('kiosk-1')).includes('kiosk.renew-requested'));
  const text = await cli(['center', 'kiosks', 'renew', ...store, '--kiosk', 'kiosk-1']);
  t.equal(text.out, 'kiosk kiosk-1: renewal requested\n');
  const unknown = await cli(['center', 'kiosks', 'renew', ...store, '--kiosk', 'kiosk-9', '--json']);
  t.equal(unknown.code, 1);
  t.same(json(unknown.out), { ok: false, error: { code: 'KIOSK_UNKNOWN', message: 'no kiosk kiosk-9' } });
});

void t.test('revoke --json: status, certificate on the CRL; again: nothing changed; renew then refused', async (t) => {
  const serial = await serialOf('kiosk-2');
  t.notOk((await crlSerials()).includes(serial), 'not on the CRL before');
  const r = await cli(['center', 'kiosks', 'revoke', ...store, '--kiosk', 'kiosk-2', '--reason', 'lost', '--json']);
  t.equal(r.code, 0, r.err);
  t.match(json(r.out), { ok: true, kiosk: 'kiosk-2', status: 'revoked', changed: true, crl: 'updated', serials: [String] });
  t.ok((await crlSerials()).includes(serial), 'on the CRL after');
  t.same(await auditKinds('kiosk-2'), ['kiosk.added', 'kiosk.status', 'kiosk.certs-revoked']);
  const again = await cli(['center', 'kiosks', 'revoke', ...store, '--kiosk', 'kiosk-2', '--json']);
  t.equal(again.code, 0);
  t.match(json(again.out), { ok: true, changed: false, crl: 'unchanged' });
  t.same(await auditKinds('kiosk-2'), ['kiosk.added', 'kiosk.status', 'kiosk.certs-revoked'], 'nothing audited the second time');
  const renew = await cli(['center', 'kiosks', 'renew', ...store, '--kiosk', 'kiosk-2', '--json']);
  t.equal(renew.code, 1);
  t.match(json(renew.out), { ok: false, error: { code: 'KIOSK_INVALID', message: /revoked: it cannot renew/ } });
});

void t.test('decommission: status, certificates on the CRL, audited; --reason required', async (t) => {
  const usage = await cli(['center', 'kiosks', 'decommission', ...store, '--kiosk', 'kiosk-3']);
  t.equal(usage.code, 2);
  t.match(usage.err, /--reason is required/);
  const r = await cli(['center', 'kiosks', 'decommission', ...store, '--kiosk', 'kiosk-3', '--reason', 'site closed']);
  t.equal(r.code, 0, r.err);
  t.equal(r.out, 'kiosk kiosk-3 decommissioned\n1 certificate on the CRL (ca/crl.pem re-signed)\n');
  t.ok((await crlSerials()).includes(await serialOf('kiosk-3')));
  t.same(await auditKinds('kiosk-3'), ['kiosk.added', 'kiosk.status', 'kiosk.certs-revoked', 'kiosk.decommissioned']);
  const status = await withStore(async (db) => (await db.query<{ status: string }>('SELECT status FROM kiosks WHERE id = $1', ['kiosk-3'])).rows[0]!.status);
  t.equal(status, 'decommissioned');
  const help = await cli(['center', 'kiosks', 'decommission', '--help']);
  t.match(help.out, /The wipe of the kiosk's key store is a message from the running center/);
});

void t.test('the store held by a running center (PGlite lock): exit 3, retry later', async (t) => {
  const db = await openStore({ dataDir: data }, silentLogger);
  try {
    const r = await cli(['center', 'kiosks', 'revoke', ...store, '--kiosk', 'kiosk-1', '--json']);
    t.equal(r.code, 3);
    t.match(json(r.out), { ok: false, error: { code: 'LOCKED' } });
    const d = await cli(['center', 'kiosks', 'decommission', ...store, '--kiosk', 'kiosk-1', '--reason', 'x']);
    t.equal(d.code, 3);
    t.match(d.err, /LOCKED/);
  } finally {
    await db.close();
  }
});
