/**
 * provisioning/pki/lock-file.ts: one writer at a time; a live holder makes
 * the next writer wait and then give up (BUSY), a stale one (its process
 * gone, too old, or unreadable and old) is broken; the lock is released
 * after a failure too. Real time: these are real files and real waits.
 */
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../common/clock.js';
import { withLock } from '../../../provisioning/pki/lock-file.js';
import { random, tmp } from './helpers.js';

const o = { clock: systemClock, random, waitMs: 200, staleMs: 60_000 };
const holder = (pid: number, at = Date.now()): string => JSON.stringify({ pid, host: hostname(), at, token: 'someone-else' });

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

void t.test('runs the body under the lock and removes it; removes it after a failure too', async (t) => {
  const lock = join(await tmp(t), 'x.lock');
  const seen = await withLock(lock, o, async () => JSON.parse(await readFile(lock, 'utf8')) as { pid: number; host: string });
  t.match(seen, { pid: process.pid, host: hostname() });
  await t.rejects(readFile(lock), { code: 'ENOENT' });
  await t.rejects(withLock(lock, o, () => Promise.reject(new Error('boom'))), { message: 'boom' });
  await t.rejects(readFile(lock), { code: 'ENOENT' }, 'released after the failure');
});

void t.test('a live holder: the second writer waits, then BUSY; the holder keeps its lock', async (t) => {
  const lock = join(await tmp(t), 'x.lock');
  await writeFile(lock, holder(process.pid));
  let ran = false;
  await t.rejects(
    withLock(lock, o, () => {
      ran = true;
      return Promise.resolve();
    }),
    { name: 'PkiError', code: 'BUSY', message: new RegExp(`process ${process.pid}`) },
  );
  t.equal(ran, false);
  t.match(JSON.parse(await readFile(lock, 'utf8')), { token: 'someone-else' }, 'the holder still has its lock');
});

void t.test('in one process, concurrent bodies never overlap', async (t) => {
  const lock = join(await tmp(t), 'x.lock');
  let inside = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: 8 }, () =>
      withLock(lock, { ...o, waitMs: 10_000 }, async () => {
        most = Math.max(most, ++inside);
        await new Promise((r) => setTimeout(r, 5));
        inside--;
      }),
    ),
  );
  t.equal(most, 1, 'one at a time');
});

void t.test('stale locks are broken: the holder process is gone, the lock is too old, or unreadable and old', async (t) => {
  const dir = await tmp(t);
  const dead = join(dir, 'dead.lock');
  await writeFile(dead, holder(deadPid()));
  t.equal(await withLock(dead, o, () => Promise.resolve('ran')), 'ran', 'a dead process');
  const old = join(dir, 'old.lock');
  await writeFile(old, holder(process.pid, Date.now() - 120_000));
  t.equal(await withLock(old, o, () => Promise.resolve('ran')), 'ran', 'older than staleMs');
  const torn = join(dir, 'torn.lock');
  await writeFile(torn, '{"pid":');
  await t.rejects(withLock(torn, o, () => Promise.resolve()), { code: 'BUSY' }, 'unreadable but fresh: maybe being written');
  const then = new Date(Date.now() - 120_000);
  await utimes(torn, then, then);
  t.equal(await withLock(torn, o, () => Promise.resolve('ran')), 'ran', 'unreadable and old');
  await t.rejects(readFile(torn), { code: 'ENOENT' });
});
