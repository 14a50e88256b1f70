/**
 * The registry and application commands in fleet scripts (issue 7 point 7;
 * docs/provisioning.md §7) on a real PGlite store and dev PKI: with --json
 * each prints one object, `ok: true` with what it did, or `ok: false` with
 * the error's code and exit 1, and a refused command changes nothing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { applicationsAddCommand, jobVoidCommand, kioskAddCommand, readerAddCommand, readerRemoveCommand } from '../../../cli/commands/center-admin.js';
import { FakeClock, systemClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/log.js';
import { openStore } from '../../../center/store/open.js';
import { sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { initDevPki } from '../../../provisioning/pki/dev-pki.js';
import { runCommands } from '../../fixtures/cli-run.js';
import { random } from '../../fixtures/rig.js';

const dir = await mkdtemp(join(tmpdir(), 'cardline-admin-json-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const pki = join(dir, 'pki');
await initDevPki(pki, { kiosks: ['kiosk-1'], random, clock: systemClock, sealKiosk: sealDevKiosk });
const store = ['--pki', pki, '--data', join(dir, 'data')];
const commands = [kioskAddCommand, readerAddCommand, readerRemoveCommand, applicationsAddCommand, jobVoidCommand];
const cli = (args: string[]): ReturnType<typeof runCommands> => runCommands([...args, ...store, '--json'], commands, { clock: new FakeClock(Date.now()) });
const json = (out: string): Record<string, unknown> => {
  t.equal(out.trim().split('\n').length, 1, 'one line of JSON');
  return JSON.parse(out) as Record<string, unknown>;
};

void t.test('kiosks add, readers add/remove, applications add, jobs void: --json and exit codes', async (t) => {
  const added = await cli(['center', 'kiosks', 'add', '--kiosk', 'kiosk-1']);
  t.equal(added.code, 0, added.err);
  t.match(json(added.out), { ok: true, kiosk: 'kiosk-1', fingerprint: /^[0-9A-F:]{95}$/, sealingKey: true });
  const again = await cli(['center', 'kiosks', 'add', '--kiosk', 'kiosk-1']);
  t.equal(again.code, 1, 'a second registration is refused');
  t.same(json(again.out), { ok: false, error: { code: 'KIOSK_EXISTS', message: 'kiosk kiosk-1 is already registered' } });

  const missing = await cli(['center', 'kiosks', 'add', '--kiosk', 'kiosk-7']);
  t.equal(missing.code, 1, 'a kiosk whose files are not in the PKI directory: refused');
  t.match(json(missing.out), { ok: false, error: { code: 'ENOENT', message: /kiosks\/kiosk-7\/tls\.crt/ } }, 'as one JSON object naming the file');
  t.equal(missing.err, '', 'nothing on stderr');

  const reader = await cli(['center', 'readers', 'add', '--kiosk', 'kiosk-1', '--reader', 'r-1', '--kind', 'pcsc', '--vendor', 'ACS', '--product', 'ACR39U', '--serial', 'S1']);
  t.equal(reader.code, 0, reader.err);
  t.same(json(reader.out), { ok: true, kiosk: 'kiosk-1', reader: 'r-1', kind: 'pcsc', auth: 'identity-match', registryVersion: 2 });
  const elsewhere = await cli(['center', 'readers', 'add', '--kiosk', 'kiosk-9', '--reader', 'r-1', '--kind', 'pcsc', '--vendor', 'ACS', '--product', 'ACR39U', '--serial', 'S1']);
  t.equal(elsewhere.code, 1);
  t.match(json(elsewhere.out), { ok: false, error: { code: 'KIOSK_UNKNOWN' } });
  const removed = await cli(['center', 'readers', 'remove', '--kiosk', 'kiosk-1', '--reader', 'r-1']);
  t.same(json(removed.out), { ok: true, kiosk: 'kiosk-1', reader: 'r-1', registryVersion: 3 });
  const gone = await cli(['center', 'readers', 'remove', '--kiosk', 'kiosk-1', '--reader', 'r-1']);
  t.equal(gone.code, 1);
  t.match(json(gone.out), { ok: false, error: { code: 'READER_UNKNOWN' } });

  const file = join(dir, 'apps.json');
  await writeFile(file, JSON.stringify([{ id: 'APP-1', code: '483920', profile: 'cardline-basic', dgis: [{ tag: '0101', value: '7000' }] }]), { mode: 0o600 });
  const apps = await cli(['center', 'applications', 'add', '--file', file]);
  t.equal(apps.code, 0, apps.err);
  t.same(json(apps.out), { ok: true, added: ['APP-1'] });
  t.notMatch(apps.out, /483920|7000/, 'nothing of the input is printed');
  const dup = await cli(['center', 'applications', 'add', '--file', file]);
  t.equal(dup.code, 1, 'the same application twice is refused');
  t.equal(json(dup.out).ok, false);

  const job = await cli(['center', 'jobs', 'void', '--job', '3f2b8c1e-9a4d-4e6f-8b7a-0c1d2e3f4a5b']);
  t.equal(job.code, 1, 'no such job');
  t.match(json(job.out), { ok: false, error: { code: /JOB_/ } });

  const db = await openStore({ dataDir: join(dir, 'data') }, silentLogger);
  try {
    const k = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM kiosks');
    const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM readers');
    const c = await db.query<{ state: string; source: string }>('SELECT state, source FROM kiosk_certs');
    t.same([k.rows[0]?.n, r.rows[0]?.n], [1, 0], 'one kiosk, no reader: the refusals changed nothing');
    t.same(c.rows, [{ state: 'current', source: 'registered' }], 'the kiosk\'s certificate is recorded for revocation');
  } finally {
    await db.close();
  }
});
