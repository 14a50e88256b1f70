/**
 * The operator's side through the CLI: `cardline center enrol-token` on the
 * store (the token alone on stdout, or JSON; refusals and the store held by
 * a running center: exit 3), and `cardline center --enrol 0` as a process,
 * whose endpoint a kiosk enrols at, and which stops with the center.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { COMMANDS } from '../../../cli/commands/index.js';
import { FakeClock, systemClock } from '../../../common/clock.js';
import { sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { initDevPki } from '../../../provisioning/pki/dev-pki.js';
import { runCommands } from '../../fixtures/cli-run.js';
import { spawnCardline, type CardlineProcess } from '../../fixtures/process-rig.js';
import { random } from '../../fixtures/rig.js';

void t.test('center enrol-token and center --enrol', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'cardline-enrol-cli-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const pki = join(root, 'pki');
  await initDevPki(pki, { kiosks: [], random, clock: systemClock, sealKiosk: sealDevKiosk });
  const store = ['--pki', pki, '--data', join(root, 'data')];
  const clock = new FakeClock(Date.now());
  const token = (args: string[]) => runCommands(['center', 'enrol-token', ...store, ...args], COMMANDS, { clock });

  let made = '';
  await t.test('enrol-token: the token alone on stdout, details on stderr', async (t) => {
    const r = await token(['--kiosk', 'kiosk-p', '--site', 'Gate 12', '--ttl', '30']);
    t.equal(r.code, 0, r.err);
    t.match(r.out, /^[A-Za-z0-9_-]{43}\n$/, 'one line: the token');
    t.match(r.err, /enrolment token for kiosk kiosk-p at Gate 12, good once until \d{4}-/);
    made = r.out.trim();
    t.notOk(r.logs.includes(made), 'not logged');
    const j = await token(['--kiosk', 'kiosk-q', '--site', 'Gate 13', '--json']);
    t.equal(j.code, 0);
    const out = JSON.parse(j.out) as { ok: boolean; kiosk: string; site: string; token: string; expiresAt: string };
    t.match(out, { ok: true, kiosk: 'kiosk-q', site: 'Gate 13', token: /^[A-Za-z0-9_-]{43}$/ });
    t.equal(Date.parse(out.expiresAt), clock.now() + 60 * 60_000, '60 minutes by default');
  });

  await t.test('enrol-token refusals', async (t) => {
    t.equal((await token(['--kiosk', 'k', '--site', 's', '--ttl', '1441'])).code, 2, 'ttl over 24 h: usage');
    t.equal((await token(['--kiosk', 'k'])).code, 2, 'no site: usage');
    const bad = await token(['--kiosk', 'cardline-center', '--site', 's', '--json']);
    t.equal(bad.code, 1);
    t.match(JSON.parse(bad.out), { ok: false, error: { code: 'KIOSK_INVALID' } });
  });

  await t.test('center --enrol: a kiosk enrols at it; the store is the center\'s meanwhile (exit 3)', async (t) => {
    const center: CardlineProcess = spawnCardline('center', ['center', ...store, '--port', '0', '--enrol', '0']);
    t.teardown(() => center.stop(10_000));
    const line = await center.waitFor(/^enrolment on https:\/\/127\.0\.0\.1:\d+$/, 60_000, 'the enrolment endpoint');
    const url = line.replace(/^enrolment on /, '');
    const locked = await token(['--kiosk', 'kiosk-z', '--site', 's', '--json']);
    t.equal(locked.code, 3, 'the PGlite store is held by the center: retry later');
    t.match(JSON.parse(locked.out), { ok: false, error: { code: 'LOCKED' } });

    const tokenFile = join(root, 'token');
    await writeFile(tokenFile, `${made}\n`, { mode: 0o600 });
    const secret = join(root, 'machine-secret');
    await writeFile(secret, randomBytes(32).toString('hex'), { mode: 0o600 });
    const r = await runCommands(
      ['kiosk', 'enrol', '--center', url, '--ca', join(pki, 'ca', 'ca.crt'), '--kiosk', 'kiosk-p', '--token-file', tokenFile, '--identity', join(root, 'kiosk-p'), '--key-store', 'sealed-file', '--machine-secret', secret, '--scrypt-log-n', '14'],
      COMMANDS,
      { clock: new FakeClock(Date.now()) },
    );
    t.equal(r.code, 0, r.err);
    t.match(r.out, /^kiosk kiosk-p enrolled\n/);
    t.ok(center.err.some((l) => l.includes('"msg":"kiosk enrolled"') && l.includes('"site":"Gate 12"')), 'the center logged it');
    t.notOk(center.err.concat(center.out).some((l) => l.includes(made)), 'the token is in no line of the center');
    const exit = await center.stop(15_000);
    t.equal(exit.code, 0, 'stops cleanly with the center');
  });
});
