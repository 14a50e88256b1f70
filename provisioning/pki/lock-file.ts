/**
 * One writer at a time for a CA's revocation state (revoked.json and the CRL
 * files beside it): the center's revocations, its periodic re-signing, a
 * second center worker and the `cardline pki` commands may all run at once.
 *
 * The lock is a file created with O_CREAT|O_EXCL (atomic on local file
 * systems), holding `{ pid, host, at, token }`. A writer that finds it waits
 * (polling every POLL_MS on the injected clock) up to `waitMs`, then gives
 * up with PkiError BUSY (exit 3: retry later). A lock is stale, and broken,
 * when its process is gone (same host, `kill(pid, 0)` says ESRCH), or when
 * it is older than `staleMs` (a CRL is signed in milliseconds, so a lock
 * held for a minute belongs to a hung or crashed writer), or when it is
 * unreadable and its file is older than `staleMs` (a crash between create
 * and write). Breakers take a second lock, `<path>.break`, so only one
 * breaks at a time; under it the lock is re-read and moved aside only if
 * it is still the stale one, and deleted only if what was moved is (see
 * breakLock). A writer never removes a lock it did not find stale, so a
 * third writer arriving meanwhile cannot end up holding it beside another.
 *
 * Release removes the lock only if it still holds our token. The waiting
 * runs on the injected clock (a FakeClock nobody advances waits forever:
 * contention tests use the system clock). The lock is as good as O_EXCL on
 * the file system: local, or a shared one that honours it.
 */
import { hostname } from 'node:os';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import type { Clock } from '../../common/clock.js';
import type { Random } from './ca.js';
import { PkiError } from './errors.js';

export const LOCK_WAIT_MS = 10_000;
export const LOCK_STALE_MS = 60_000;
const POLL_MS = 20;

export interface LockOptions {
  clock: Clock;
  random: Random;
  waitMs?: number;
  staleMs?: number;
  /** The file operations used (node:fs/promises by default): tests interleave writers through them. */
  fs?: Partial<LockFs>;
}

/** What the lock does to files; each as node:fs/promises does it. */
export interface LockFs {
  readFile(path: string, encoding: 'utf8'): Promise<string>;
  rename(from: string, to: string): Promise<void>;
  link(existing: string, name: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

const NODE_FS: LockFs = { readFile, rename, link, unlink };

interface Holder {
  pid: number;
  host: string;
  at: number;
  token: string;
}

/** Runs `fn` holding the lock at `path`. PkiError BUSY when another writer holds it past `waitMs`. */
export async function withLock<T>(path: string, o: LockOptions, fn: () => Promise<T>): Promise<T> {
  const token = tokenOf(o.random);
  const fs: LockFs = { ...NODE_FS, ...o.fs };
  await acquire(path, token, o, fs);
  try {
    return await fn();
  } finally {
    await release(path, token, fs);
  }
}

async function acquire(path: string, token: string, o: LockOptions, fs: LockFs): Promise<void> {
  const waitMs = o.waitMs ?? LOCK_WAIT_MS;
  const start = o.clock.now();
  for (;;) {
    if (await tryCreate(path, { pid: process.pid, host: hostname(), at: o.clock.now(), token })) return;
    const seen = await readHolder(path, fs);
    if (seen !== 'gone' && (await isStale(path, seen, o))) {
      await breakLock(path, seen, token, o, fs);
      continue;
    }
    if (o.clock.now() - start >= waitMs) {
      const who = seen !== 'gone' && seen !== 'unreadable' ? ` (process ${seen.pid} on ${seen.host})` : '';
      throw new PkiError('BUSY', `${path} is held by another writer${who}; retry later`);
    }
    if (seen !== 'gone') await o.clock.sleep(POLL_MS);
  }
}

async function tryCreate(path: string, h: Holder): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'ENOENT') throw new PkiError('NOT_FOUND', `${path}: its directory does not exist`);
    throw new PkiError('STATE_INVALID', `${path}: cannot create the lock (${code ?? 'error'})`);
  }
  try {
    await fh.writeFile(JSON.stringify(h));
  } finally {
    await fh.close();
  }
  return true;
}

async function readHolder(path: string, fs: LockFs): Promise<Holder | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'unreadable';
  }
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    if (Number.isSafeInteger(h.pid) && typeof h.host === 'string' && Number.isFinite(h.at) && typeof h.token === 'string') return h as Holder;
  } catch {
    // Falls through: half-written by a writer that crashed between create and write, or being written now.
  }
  return 'unreadable';
}

async function isStale(path: string, h: Holder | 'unreadable', o: LockOptions): Promise<boolean> {
  const staleMs = o.staleMs ?? LOCK_STALE_MS;
  if (h === 'unreadable') {
    try {
      return o.clock.now() - (await stat(path)).mtimeMs > staleMs;
    } catch {
      return false;
    }
  }
  if (h.host === hostname() && !processAlive(h.pid)) return true;
  return o.clock.now() - h.at > staleMs;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, under another user.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Breaks the stale lock `seen`, serialized with every other breaker by a
 * second lock, `<path>.break` (O_EXCL, held for a few file operations).
 * Under it, nobody else removes the lock file: a breaker re-reads it and
 * moves it aside only if it still holds `seen`; then checks that what it
 * moved is `seen` before deleting it. The one window left is the stale
 * holder itself releasing (a hung writer that came back, which the stale
 * rule already gives up on) and a new writer taking the lock between that
 * re-read and the rename: that fresh lock is put back.
 */
async function breakLock(path: string, seen: Holder | 'unreadable', token: string, o: LockOptions, fs: LockFs): Promise<void> {
  const guard = `${path}.break`;
  if (!(await tryCreate(guard, { pid: process.pid, host: hostname(), at: o.clock.now(), token }))) {
    // Another breaker is at it: wait for it (the caller polls); a guard left by a crashed breaker goes the same way as a stale lock.
    const g = await readHolder(guard, fs);
    if (g !== 'gone' && (await isStale(guard, g, o))) await moveAsideIfSame(guard, g, token, fs);
    await o.clock.sleep(POLL_MS);
    return;
  }
  try {
    const now = await readHolder(path, fs);
    if (now !== 'gone' && sameHolder(now, seen)) await moveAsideIfSame(path, seen, token, fs);
  } finally {
    await release(guard, token, fs);
  }
}

/** Renames `path` aside, deletes it if it held `seen`, and otherwise puts it back (link: never over a newer file). */
async function moveAsideIfSame(path: string, seen: Holder | 'unreadable', token: string, fs: LockFs): Promise<void> {
  const aside = `${path}.stale.${token}`;
  try {
    await fs.rename(path, aside);
  } catch {
    return; // Gone already.
  }
  const moved = await readHolder(aside, fs);
  if (moved === 'gone' || !sameHolder(moved, seen)) await fs.link(aside, path).catch(() => undefined);
  await fs.unlink(aside).catch(() => undefined);
}

function sameHolder(a: Holder | 'unreadable', b: Holder | 'unreadable'): boolean {
  return a === 'unreadable' || b === 'unreadable' ? a === b : a.token === b.token;
}

async function release(path: string, token: string, fs: LockFs): Promise<void> {
  const h = await readHolder(path, fs);
  if (h !== 'gone' && h !== 'unreadable' && h.token === token) await fs.unlink(path).catch(() => undefined);
}

function tokenOf(random: Random): string {
  const b = random(16);
  if (!(b instanceof Uint8Array) || b.length !== 16) throw new PkiError('INVALID_ARGUMENT', 'random source must return 16 bytes');
  return Buffer.from(b).toString('hex');
}
