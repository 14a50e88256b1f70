/**
 * os-image/systemd/cardline-screen.service (issue 8): the kiosk's browser.
 * systemd's analyzer (offline) scores its sandbox at most 4.0 (a GUI
 * browser needs more than the agent's 2.0) and a bare unit with the same
 * ExecStart far worse; the unit points Chromium at the loopback page only,
 * keeps nothing (incognito, a profile in its runtime directory), lets the
 * kernel refuse every address but loopback, and takes the VT from getty.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO_ROOT } from '../../fixtures/process-rig.js';

const UNIT = join(REPO_ROOT, 'os-image', 'systemd', 'cardline-screen.service');
const MAX_EXPOSURE = 4.0;

function analyze(path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('systemd-analyze', ['security', '--offline=yes', path], { encoding: 'utf8', env: { ...process.env, SYSTEMD_COLORS: '0', SYSTEMD_PAGER: 'cat' } }, (_err, stdout, stderr) => {
      const m = /Overall exposure level for \S+: ([0-9]+\.[0-9])/.exec(`${stdout}${stderr}`);
      resolve(m ? Number(m[1]) : undefined);
    });
  });
}

function values(unit: string, key: string): string[] {
  return unit.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));
}

void t.test('systemd-analyze security --offline: exposure ≤ 4.0; a bare unit scores above it', async (t) => {
  const score = await analyze(UNIT);
  t.ok(score !== undefined && score <= MAX_EXPOSURE, `exposure ${score} ≤ ${MAX_EXPOSURE}`);
  const unit = await readFile(UNIT, 'utf8');
  const bare = join(t.testdir(), 'cardline-bare.service');
  await writeFile(bare, `[Unit]\nDescription=bare\n\n[Service]\nExecStart=${values(unit, 'ExecStart')[0]}\n`);
  const bareScore = await analyze(bare);
  t.ok(bareScore !== undefined && bareScore > MAX_EXPOSURE, `the same ExecStart without the sandbox scores ${bareScore}`);
});

void t.test('Chromium shows the loopback page, keeps nothing, reaches nothing else', async (t) => {
  const unit = await readFile(UNIT, 'utf8');
  const exec = values(unit, 'ExecStart');
  t.equal(exec.length, 1, 'one ExecStart');
  const args = exec[0]!.split(/\s+/);
  t.equal(args.at(-1), 'http://127.0.0.1:${CARDLINE_SCREEN_PORT}/', 'the page is the kiosk agent on loopback');
  for (const flag of ['--kiosk', '--incognito', '--disable-background-networking', '--disable-sync', '--disable-component-update']) t.ok(args.includes(flag), flag);
  t.ok(args.some((a) => a.startsWith('--user-data-dir=/run/cardline-screen/')), 'the profile is in the runtime directory (tmpfs, removed at stop)');
  t.same(values(unit, 'IPAddressDeny'), ['any'], 'every address refused by the kernel…');
  t.same(values(unit, 'IPAddressAllow'), ['localhost'], '…but loopback');
  t.same(values(unit, 'Conflicts'), ['getty@tty1.service'], 'no getty on the screen VT');
  t.same(values(unit, 'LimitCORE'), ['0'], 'no core dumps of the page');
});
