/**
 * The console's CLI on a real PGlite store and dev PKI: `center operators
 * add|list|disable` (the password from stdin, never argv; at least 12
 * characters; a bad role or name refused), `center kiosks add` recording
 * the certificate's end of validity, and `center --console 0` serving the
 * console beside the center (its address on stdout) until the signal.
 */
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { centerCommand } from '../../../cli/commands/center.js';
import { operatorCommands } from '../../../cli/commands/center-operators.js';
import { kioskAddCommand } from '../../../cli/commands/center-admin.js';
import { readSecretLine } from '../../../cli/secret-line.js';
import { openStore } from '../../../center/store/open.js';
import { systemClock } from '../../../common/clock.js';
import { memoryLogger, silentLogger } from '../../../common/log.js';
import { initDevPki } from '../../../provisioning/pki/dev-pki.js';
import { sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { runCommands } from '../../fixtures/cli-run.js';
import { random } from '../../fixtures/rig.js';
import { Browserish } from '../console/client.js';

const dir = await mkdtemp(join(tmpdir(), 'cardline-operators-cli-'));
t.teardown(() => rm(dir, { recursive: true, force: true }));
const pki = join(dir, 'pki');
const layout = await initDevPki(pki, { kiosks: ['kiosk-1'], random, clock: systemClock, sealKiosk: sealDevKiosk });
const data = join(dir, 'data');
const store = ['--pki', pki, '--data', data];
let nextPassword = '';
const commands = [...operatorCommands(() => Promise.resolve(nextPassword)), kioskAddCommand];
const cli = (args: string[]): ReturnType<typeof runCommands> => runCommands(args, commands);

void t.test('operators add: password from stdin, stored only as a hash; refusals', async (t) => {
  nextPassword = 'correct-horse-battery';
  const ok = await cli(['center', 'operators', 'add', ...store, '--username', 'ada', '--role', 'admin']);
  t.equal(ok.code, 0, ok.err);
  t.match(ok.out, 'operator ada (admin) added');
  nextPassword = 'short';
  const short = await cli(['center', 'operators', 'add', ...store, '--username', 'bob', '--role', 'viewer']);
  t.equal(short.code, 1);
  t.match(short.err, /at least 12 characters/);
  nextPassword = 'long-enough-password';
  t.equal((await cli(['center', 'operators', 'add', ...store, '--username', 'ada', '--role', 'viewer'])).code, 1, 'an existing name');
  t.equal((await cli(['center', 'operators', 'add', ...store, '--username', 'Bad Name', '--role', 'viewer'])).code, 1, 'a bad name');
  t.equal((await cli(['center', 'operators', 'add', ...store, '--username', 'bob', '--role', 'root'])).code, 2, 'a bad role');
  t.equal((await cli(['center', 'operators', 'add', ...store, '--username', 'bob', '--role', 'viewer', '--password', 'x'])).code, 2, 'no --password option');
  t.equal((await cli(['center', 'operators', 'add', ...store, '--username', 'otto', '--role', 'operator'])).code, 0);
  const db = await openStore({ dataDir: data }, silentLogger);
  try {
    const rows = (await db.query<{ username: string; password_hash: string }>('SELECT username, password_hash FROM operators ORDER BY username')).rows;
    t.same(rows.map((r) => r.username), ['ada', 'otto']);
    t.match(rows[0]!.password_hash, /^scrypt\$15\$8\$1\$/);
    t.notMatch(rows.map((r) => r.password_hash).join(''), 'correct-horse');
  } finally {
    await db.close();
  }
});

void t.test('operators list (table and --json) and disable', async (t) => {
  const table = await cli(['center', 'operators', 'list', ...store]);
  t.equal(table.code, 0);
  t.match(table.out, /^USERNAME\s+ROLE\s+STATUS\s+CREATED\nada\s+admin\s+active\s+/);
  t.equal((await cli(['center', 'operators', 'disable', ...store, '--username', 'otto'])).code, 0);
  t.equal((await cli(['center', 'operators', 'disable', ...store, '--username', 'nobody'])).code, 1);
  const json = JSON.parse((await cli(['center', 'operators', 'list', ...store, '--json'])).out) as { username: string; role: string; status: string; locked: boolean }[];
  t.match(json, [
    { username: 'ada', role: 'admin', status: 'active', locked: false },
    { username: 'otto', role: 'operator', status: 'disabled', locked: false },
  ]);
});

void t.test('kiosks add records the certificate end of validity', async (t) => {
  const r = await cli(['center', 'kiosks', 'add', ...store, '--kiosk', 'kiosk-1']);
  t.equal(r.code, 0, r.err);
  const cert = new X509Certificate(await readFile(layout.kiosks['kiosk-1']!.cert));
  const db = await openStore({ dataDir: data }, silentLogger);
  try {
    const row = (await db.query<{ cert_not_after: Date }>(`SELECT cert_not_after FROM kiosks WHERE id = 'kiosk-1'`)).rows[0];
    t.equal(row?.cert_not_after.getTime(), new Date(cert.validTo).getTime());
  } finally {
    await db.close();
  }
});

void t.test('center --console 0 serves the console beside the center until the signal', async (t) => {
  let out = '';
  let err = '';
  const stop = new AbortController();
  const got = new PassThrough();
  const logger = memoryLogger();
  const running = centerCommand.run(
    { out: (s) => (out += s) && got.write(s), err: (s) => (err += s), logger, clock: systemClock, env: {}, signal: stop.signal },
    { pki, data, host: '127.0.0.1', port: '0', console: '0' },
    [],
  );
  for await (const _ of got) if (out.includes('console on')) break;
  const url = /console on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
  t.ok(url, out + err);
  const b = new Browserish(url!);
  const login = await b.login('ada', 'correct-horse-battery');
  t.equal(login.status, 200);
  t.match((await b.get('/api/fleet')).json, { kiosks: [{ id: 'kiosk-1', online: false, certNotAfter: /Z$/ }] });
  t.equal((await new Browserish(url!).login('otto', 'long-enough-password')).status, 401, 'a disabled account cannot sign in');
  stop.abort();
  t.equal(await running, 0);
  t.notMatch(logger.lines.join(''), 'correct-horse', 'no password in the log');
});

void t.test('--console refuses a non-loopback address without a certificate', async (t) => {
  await t.rejects(
    centerCommand.run({ out: () => undefined, err: () => undefined, logger: silentLogger, clock: systemClock, env: {}, signal: new AbortController().signal }, { pki, data, console: '0.0.0.0:8443' }, []),
    { code: 'USAGE', message: /needs --console-cert and --console-key/ },
  );
  await t.rejects(
    centerCommand.run({ out: () => undefined, err: () => undefined, logger: silentLogger, clock: systemClock, env: {}, signal: new AbortController().signal }, { pki, data, console: 'nonsense' }, []),
    { code: 'USAGE' },
  );
});

void t.test('readSecretLine: the first line of piped input, bounded', async (t) => {
  const piped = (text: string): PassThrough => {
    const s = new PassThrough();
    s.end(text);
    return s;
  };
  t.equal(await readSecretLine(piped('a long password here\nnext line'), { err: () => undefined }), 'a long password here');
  t.equal(await readSecretLine(piped('no newline at all'), { err: () => undefined }), 'no newline at all');
  await t.rejects(readSecretLine(piped(''), { err: () => undefined }), { code: 'USAGE' });
  await t.rejects(readSecretLine(piped('x'.repeat(5000)), { err: () => undefined }), { code: 'USAGE' });
});
