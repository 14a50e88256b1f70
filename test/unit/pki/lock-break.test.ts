/**
 * provisioning/pki/lock-file.ts: breaking a stale lock never leaves two
 * writers holding it. Three writers interleaved deterministically through
 * the injected file operations (LockOptions.fs): A judges the lock stale;
 * before A breaks it, B breaks it and takes it; C comes in as soon as the
 * lock file is out of the way. Only one of them may be inside at a time.
 */
import t from 'tap';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../common/clock.js';
import { withLock, type LockFs } from '../../../provisioning/pki/lock-file.js';
import { random, tmp } from './helpers.js';

const o = { clock: systemClock, random, waitMs: 3000, staleMs: 60_000 };
const stale = (): string => JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() - 120_000, token: 'stale-holder' });

/** A gate a test opens once. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

void t.test('three writers around a stale lock: never two inside', async (t) => {
  const lock = join(await tmp(t), 'x.lock');
  await writeFile(lock, stale());
  const inside = new Set<string>();
  let most = 0;
  const order: string[] = [];
  const body = (name: string, hold: Promise<void>) => async (): Promise<void> => {
    inside.add(name);
    order.push(name);
    most = Math.max(most, inside.size);
    await hold;
    inside.delete(name);
  };
  const bHold = gate();
  const bInside = gate();
  const cStarted: Promise<void>[] = [];
  let aLooked = false;
  let bRun: Promise<void> | undefined;
  let cRun: Promise<void> | undefined;
  const aFs: Partial<LockFs> = {
    // A's first look at the lock returns the stale holder; B then breaks it and takes it, before A acts.
    async readFile(path, enc) {
      const text = await readFile(path, enc);
      if (!aLooked && path === lock && text.includes('stale-holder')) {
        aLooked = true;
        bRun = withLock(lock, o, async () => {
          bInside.open();
          await body('B', bHold.wait)();
        });
        await bInside.wait;
      }
      return text;
    },
    // Whatever A moves out of the lock's name, C tries to take the name right then.
    async rename(from, to) {
      await (await import('node:fs/promises')).rename(from, to);
      if (from === lock && cRun === undefined) {
        const cInside = gate();
        cRun = withLock(lock, o, async () => {
          cInside.open();
          await body('C', Promise.resolve())();
        });
        cStarted.push(Promise.race([cInside.wait, new Promise<void>((r) => setTimeout(r, 200))]));
        await cStarted[0];
      }
    },
  };
  const aRun = withLock(lock, { ...o, fs: aFs }, body('A', Promise.resolve()));
  await new Promise((r) => setTimeout(r, 100));
  t.equal(most, 1, 'while B holds the lock, nobody else is inside');
  bHold.open();
  await Promise.all([aRun, bRun, cRun]);
  t.equal(most, 1, 'one at a time throughout');
  t.same(order.slice(0, 1), ['B'], 'B (which broke the stale lock first) went first');
  t.equal(order.filter((n) => n === 'A').length, 1, 'A ran once, after B');
  await t.rejects(readFile(lock), { code: 'ENOENT' }, 'released at the end');
});
