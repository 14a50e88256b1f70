/**
 * The CLI's side of decommissioning (docs/provisioning.md §4): `cardline
 * kiosk wipe` (refuses without --yes, exit 2; wipes with it; reports what
 * it could not remove, exit 1), and `cardline kiosk` exiting 4 with
 * "decommissioned: key store wiped" when the center decommissions it.
 */
import t from 'tap';
import { PassThrough } from 'node:stream';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../../card/bytes.js';
import { FakeClock } from '../../../common/clock.js';
import { readKeyFile } from '../../../common/key-files.js';
import { makeKioskCommand } from '../../../cli/commands/kiosk.js';
import { kioskWipeCommand } from '../../../cli/commands/kiosk-wipe.js';
import { SimStation } from '../../../hardware/sim/sim-station.js';
import { signRegistry } from '../../../wire/registry.js';
import { runCommands } from '../../fixtures/cli-run.js';
import { CenterOnTheWire, ID, pki } from '../kiosk/wire-center.js';

const exists = (path: string): Promise<boolean> => readFile(path).then(
  () => true,
  () => false,
);

void t.test('kiosk wipe: --yes required (exit 2, nothing touched); then everything gone, --json', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-cli-wipe-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'keys.sealed'), Buffer.alloc(200, 7), { mode: 0o600 });
  await writeFile(join(dir, 'registry.json'), '{}');
  await writeFile(join(dir, 'tls.crt'), 'public');

  const no = await runCommands(['kiosk', 'wipe', '--identity', dir, '--machine-secret', '/x'], [kioskWipeCommand]);
  t.equal(no.code, 2);
  t.match(no.err, /--yes is required: the wipe cannot be undone/);
  t.ok(await exists(join(dir, 'keys.sealed')), 'nothing touched without --yes');
  const noId = await runCommands(['kiosk', 'wipe', '--yes'], [kioskWipeCommand]);
  t.equal(noId.code, 2);
  t.match(noId.err, /--identity is required/);
  const wrongKind = await runCommands(['kiosk', 'wipe', '--identity', dir, '--key-store', 'tpm', '--machine-secret', '/x', '--yes'], [kioskWipeCommand]);
  t.equal(wrongKind.code, 2, 'a flag of the other store kind is a usage error');
  t.ok(await exists(join(dir, 'keys.sealed')));

  const yes = await runCommands(['kiosk', 'wipe', '--identity', dir, '--yes', '--json'], [kioskWipeCommand]);
  t.equal(yes.code, 0, yes.err);
  t.same(JSON.parse(yes.out), { ok: true, removed: ['sealed-store', 'registry'], failed: [] });
  t.same(await readdir(dir), ['tls.crt']);
  const again = await runCommands(['kiosk', 'wipe', '--identity', dir, '--yes'], [kioskWipeCommand]);
  t.equal(again.code, 0);
  t.equal(again.out, 'key store wiped: removed nothing (already gone)\n');
});

void t.test('kiosk wipe: a file that cannot be removed is exit 1, named by its role', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-cli-wipe-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'keys.sealed'), Buffer.alloc(200, 7), { mode: 0o600 });
  await mkdir(join(dir, 'registry.json', 'x'), { recursive: true });
  const r = await runCommands(['kiosk', 'wipe', '--identity', dir, '--yes', '--json'], [kioskWipeCommand]);
  t.equal(r.code, 1);
  t.same(JSON.parse(r.out), { ok: false, error: { code: 'WIPE_INCOMPLETE', message: 'could not remove registry' }, removed: ['sealed-store'], failed: ['registry'] });
  const h = await runCommands(['kiosk', 'wipe', '--identity', dir, '--yes'], [kioskWipeCommand]);
  t.equal(h.code, 1);
  t.match(h.err, /WIPE_INCOMPLETE: could not remove registry/);
});

void t.test('cardline kiosk: decommissioned by the center → store wiped, wiped sent, exit 4 with its message', async (t) => {
  const p = await pki(t);
  const stationDir = await mkdtemp(join(tmpdir(), 'cardline-kiosk-station-'));
  t.teardown(() => rm(stationDir, { recursive: true, force: true }));
  const station = await SimStation.create({ dir: stationDir, count: 1, stockMasterKey: new Uint8Array(16).fill(9) });
  const readerId = station.identity.id;
  await station.close();
  const registry = signRegistry(
    { v: 2, kiosk: ID, version: 1, issuedAt: Date.now(), readers: [{ id: readerId, kind: 'sim', vendor: 'cardline', product: 'sim-reader', serial: readerId, publicKey: toHex(await readKeyFile(join(stationDir, 'reader.pub'), 32)) }] },
    p.centerSecret,
  );
  const stdin = new PassThrough();
  let client: CenterOnTheWire | undefined;
  const clock = new FakeClock(Date.now());
  const r = await runCommands(
    ['kiosk', '--identity', p.kioskDir, '--machine-secret', p.machineSecret, '--broker', 'mqtts://127.0.0.1:18883', '--station', stationDir],
    [
      makeKioskCommand({
        disableCoreDumps: () => Promise.resolve({ soft: 0, hard: 0 }),
        stdin: () => stdin,
        mqttConnect: () => {
          const c = (client = new CenterOnTheWire(clock, p.centerSecret, p.kioskPublic, (m, reply) => {
            if (m.type === 'hello') reply('welcome', { registry });
            if (m.type === 'reader-report') reply('decommission', { reason: 'stolen' });
          }));
          setImmediate(() => {
            c.connected = true;
            c.emit('connect');
          });
          return c;
        },
      }),
    ],
    { clock },
  );
  t.equal(r.code, 4, r.err);
  t.equal(r.err, 'decommissioned: key store wiped\n');
  t.same(client?.ups.at(-1), { type: 'wiped', body: { ok: true, failed: [] } });
  t.notOk(await exists(join(p.kioskDir, 'keys.sealed')), 'the sealed store is gone');
  t.notOk(await exists(join(p.kioskDir, 'registry.json')), 'the registry is gone');
  t.ok(await exists(join(p.kioskDir, 'tls.crt')), 'the public certificate stays');
});

void t.test('kiosk wipe without --key-store on a TPM kiosk: the tpm store goes too (both kinds at their default places)', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-cli-wipe-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'tpm'));
  for (const name of ['seal.pub', 'seal.priv', 'pcrs', 'tls.tss2.pem', 'tls.csr']) await writeFile(join(dir, 'tpm', name), 'blob', { mode: 0o600 });
  await writeFile(join(dir, 'registry.json'), '{}');
  await writeFile(join(dir, 'tls.crt'), 'public');
  const r = await runCommands(['kiosk', 'wipe', '--identity', dir, '--yes', '--json'], [kioskWipeCommand]);
  t.equal(r.code, 0, r.err);
  t.same(JSON.parse(r.out), { ok: true, removed: ['sealed-object-private', 'sealed-object-public', 'tls-key', 'pcr-selection', 'certificate-request', 'registry'], failed: [] });
  t.same(await readdir(dir), ['tls.crt'], 'the tpm directory and its blobs are gone');
});

void t.test('kiosk wipe with an explicit --key-store: a store of the other kind at its default place goes too', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-cli-wipe-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'keys.sealed'), Buffer.alloc(200, 7), { mode: 0o600 });
  await writeFile(join(dir, 'keys.next.sealed'), Buffer.alloc(200, 7), { mode: 0o600 });
  const r = await runCommands(['kiosk', 'wipe', '--identity', dir, '--key-store', 'tpm', '--yes', '--json'], [kioskWipeCommand]);
  t.equal(r.code, 0, r.err);
  t.same(JSON.parse(r.out), { ok: true, removed: ['sealed-store', 'pending-sealed-store'], failed: [] });
  t.same(await readdir(dir), []);
  // A custom --tpm-dir and the default one: both.
  for (const d of ['tpm', 'other']) {
    await mkdir(join(dir, d));
    await writeFile(join(dir, d, 'seal.priv'), 'blob');
  }
  const c = await runCommands(['kiosk', 'wipe', '--identity', dir, '--key-store', 'tpm', '--tpm-dir', join(dir, 'other'), '--yes', '--json'], [kioskWipeCommand]);
  t.equal(c.code, 0, c.err);
  t.same((JSON.parse(c.out) as { removed: string[] }).removed, ['sealed-object-private', 'sealed-object-private']);
  t.same(await readdir(dir), []);
});
