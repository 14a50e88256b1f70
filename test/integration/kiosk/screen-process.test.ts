/**
 * `cardline kiosk --screen 0 --operator-pin-file FILE` as a process, as an
 * operator starts it: the PIN hash made by `cardline kiosk pin-hash`, the
 * kiosk's public identity and key store from `pki init`, a simulated
 * station. No center is needed to serve the page: the kiosk prints
 * `screen on http://127.0.0.1:PORT/`, serves the customer page with its
 * headers, refuses a foreign Host, and has its operator view on. A PIN file
 * that is not a hash stops the kiosk at start with the reason (exit 1).
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import t from 'tap';
import { freePort, runCardline, spawnCardline } from '../../fixtures/process-rig.js';

const root = await mkdtemp(join(tmpdir(), 'cardline-screen-'));
t.teardown(() => rm(root, { recursive: true, force: true }));
const pki = join(root, 'pki');
const station = join(root, 'station');
await runCardline(['pki', 'init', pki, '--kiosks', 'kiosk-1']);
await runCardline(['sim', 'station', 'init', station, '--cards', '1', '--master-key-file', join(pki, 'center', 'issuer-master.key'), '--json']);
const pinFile = join(root, 'operator.pin');
await writeFile(pinFile, (await runCardline(['kiosk', 'pin-hash'], { input: '13572468\n' })).out, { mode: 0o600 });
await chmod(pinFile, 0o600);
const kioskDir = join(pki, 'kiosks', 'kiosk-1');
// A broker nobody listens on: the kiosk keeps trying to connect; the screen does not wait for it.
const kioskArgs = ['kiosk', '--identity', kioskDir, '--broker', `mqtts://127.0.0.1:${await freePort()}`, '--station', station, '--machine-secret', join(kioskDir, 'machine-secret')];

function get(port: number, path: string, host = `127.0.0.1:${port}`): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

void t.test('cardline kiosk --screen 0: prints the URL and serves the page on 127.0.0.1', async (t) => {
  const p = spawnCardline('kiosk', [...kioskArgs, '--screen', '0', '--operator-pin-file', pinFile]);
  t.teardown(() => p.stop());
  const line = await p.waitFor(/^screen on http:\/\/127\.0\.0\.1:\d+\/$/, 60_000, 'the screen URL');
  const port = Number(/:(\d+)\/$/.exec(line)![1]);
  const page = await get(port, '/');
  t.equal(page.status, 200);
  t.match(page.body, /<script type="module" src="\/static\/customer\.js">/);
  t.match(page.headers['content-security-policy'], /default-src 'none'/);
  t.equal((await get(port, '/static/customer.js')).status, 200);
  t.equal((await get(port, '/', 'rebound.example')).status, 421);
  const op = await get(port, '/api/operator/session');
  t.equal(op.status, 401, 'the operator view is on, behind the PIN');
  t.notMatch(p.err.join('\n'), '13572468', 'the PIN is not logged');
  const exit = await p.stop();
  t.equal(exit.code, 0);
});

void t.test('a PIN file that is not a hash: the kiosk does not start, and says why', async (t) => {
  const bad = join(root, 'bad.pin');
  await writeFile(bad, '13572468\n', { mode: 0o600 });
  const p = spawnCardline('kiosk-bad-pin', [...kioskArgs, '--screen', '0', '--operator-pin-file', bad]);
  const exit = await p.waitExit(60_000, 'the refusal');
  t.equal(exit.code, 1);
  t.match(p.err.join('\n'), /operator PIN file .*not a scrypt hash line/);
  t.notMatch([...p.out, ...p.err].join('\n'), /^screen on/m);
});
