/**
 * os-image/systemd/cardline-kiosk.service (issue 4 point 4): systemd's own
 * analyzer, offline (systemd 252), scores its sandbox at an overall
 * exposure of at most 2.0 — and a bare unit with the same ExecStart scores
 * far worse, so the parse and the threshold can fail. `systemd-analyze
 * verify` accepts the unit. The settings the kiosk depends on are there,
 * and consistent: MemoryDenyWriteExecute=yes only with node --jitless
 * (and --no-experimental-fetch, see docs/performance.md), Type=notify with
 * a watchdog, LimitCORE=0, a dedicated user that sysusers.d creates.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../../fixtures/process-rig.js';

const UNIT_DIR = join(REPO_ROOT, 'os-image', 'systemd');
const UNIT = join(UNIT_DIR, 'cardline-kiosk.service');
const MAX_EXPOSURE = 2.0;

function run(file: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', env: { ...process.env, SYSTEMD_COLORS: '0', SYSTEMD_PAGER: 'cat' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/** "→ Overall exposure level for NAME: 1.4 OK 🙂" → 1.4. */
function exposure(out: string): number | undefined {
  const m = /Overall exposure level for \S+: ([0-9]+\.[0-9])/.exec(out);
  return m ? Number(m[1]) : undefined;
}

/** Every value of `key=` in the unit, in order. */
function values(unit: string, key: string): string[] {
  return unit.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
}

void t.test('systemd-analyze security --offline: overall exposure ≤ 2.0; a bare unit scores above it', async (t) => {
  const r = await run('systemd-analyze', ['security', '--offline=yes', UNIT]);
  const score = exposure(r.out);
  t.ok(score !== undefined, 'the "Overall exposure level" line is there', { out: r.out.slice(-300) });
  t.ok(score !== undefined && score <= MAX_EXPOSURE, `exposure ${score} ≤ ${MAX_EXPOSURE}`);
  t.comment(`cardline-kiosk.service: overall exposure ${score}`);

  const unit = await readFile(UNIT, 'utf8');
  const bare = join(t.testdir(), 'cardline-bare.service');
  await writeFile(bare, `[Unit]\nDescription=bare\n\n[Service]\nType=notify\nExecStart=${values(unit, 'ExecStart')[0]}\n`);
  const bareScore = exposure((await run('systemd-analyze', ['security', '--offline=yes', bare])).out);
  t.ok(bareScore !== undefined && bareScore > MAX_EXPOSURE, `the same ExecStart without the sandbox scores ${bareScore}`);
});

const NO_NODE = existsSync('/usr/bin/node') ? false : 'verify checks that ExecStart exists: /usr/bin/node is not installed here';

void t.test('systemd-analyze verify accepts the unit', { skip: NO_NODE }, async (t) => {
  const r = await run('systemd-analyze', ['verify', UNIT]);
  t.equal(r.code, 0, 'exit 0');
  t.equal(r.out.trim(), '', 'no warnings');
});

void t.test('the settings the kiosk depends on, and their consistency', async (t) => {
  const unit = await readFile(UNIT, 'utf8');
  const one = (key: string): string | undefined => values(unit, key).at(-1);
  t.equal(one('Type'), 'notify');
  t.equal(one('NotifyAccess'), 'main', 'libsystemd sends from the main process (kiosk/systemd/sd-notify-transport.ts)');
  t.match(one('WatchdogSec'), /^[0-9]+s$/);
  t.equal(one('Restart'), 'on-failure', 'covers on-watchdog');
  t.equal(one('LimitCORE'), '0');
  t.equal(one('CapabilityBoundingSet'), '');
  t.equal(one('DevicePolicy'), 'closed');
  t.equal(one('RestrictAddressFamilies'), 'AF_UNIX AF_INET AF_INET6');
  t.equal(one('ProtectSystem'), 'strict');
  t.equal(one('StandardInput'), 'null');
  const exec = one('ExecStart') ?? '';
  t.match(exec, / kiosk /);
  t.match(exec, /--keypad /, 'stdin is /dev/null: customers use the keypad');
  if (one('MemoryDenyWriteExecute') === 'yes') {
    t.match(exec, /--jitless/, 'MemoryDenyWriteExecute=yes needs node --jitless (V8 JIT pages are W+X)');
    t.match(exec, /--no-experimental-fetch/, 'jitless has no WebAssembly: the fetch globals must not load undici');
  } else {
    t.notMatch(exec, /--jitless/, 'jitless without MemoryDenyWriteExecute only costs speed');
  }
  const user = one('User') ?? '';
  t.not(user, 'root');
  const sysusers = await readFile(join(UNIT_DIR, 'cardline-kiosk.sysusers.conf'), 'utf8');
  t.match(sysusers, new RegExp(`^u ${user} `, 'm'), 'sysusers.d creates the user');
});
