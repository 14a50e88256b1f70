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
 * and write). Breaking renames the lock aside first, so of two writers
 * breaking the same stale lock only one succeeds; if what was renamed turns
 * out to be a fresh lock, it is put back.
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
}

interface Holder {
  pid: number;
  host: string;
  at: number;
  token: string;
}

/** Runs `fn` holding the lock at `path`. PkiError BUSY when another writer holds it past `waitMs`. */
export async function withLock<T>(path: string, o: LockOptions, fn: () => Promise<T>): Promise<T> {
  const token = tokenOf(o.random);
  await acquire(path, token, o);
  try {
    return await fn();
  } finally {
    await release(path, token);
  }
}

async function acquire(path: string, token: string, o: LockOptions): Promise<void> {
  const waitMs = o.waitMs ?? LOCK_WAIT_MS;
  const start = o.clock.now();
  for (;;) {
    if (await tryCreate(path, { pid: process.pid, host: hostname(), at: o.clock.now(), token })) return;
    const seen = await readHolder(path);
    if (seen !== 'gone' && (await isStale(path, seen, o))) {
      await breakLock(path, seen, token);
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

async function readHolder(path: string): Promise<Holder | 'gone' | 'unreadable'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
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

async function breakLock(path: string, seen: Holder | 'unreadable', token: string): Promise<void> {
  const aside = `${path}.stale.${token}`;
  try {
    await rename(path, aside);
  } catch {
    return; // Someone else broke or released it first.
  }
  const now = await readHolder(aside);
  const same = seen === 'unreadable' ? now === 'unreadable' : now !== 'gone' && now !== 'unreadable' && now.token === seen.token;
  // What we renamed was a fresh lock taken after our look: put it back (fails if yet another writer got in).
  if (!same) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

async function release(path: string, token: string): Promise<void> {
  const h = await readHolder(path);
  if (h !== 'gone' && h !== 'unreadable' && h.token === token) await unlink(path).catch(() => undefined);
}

function tokenOf(random: Random): string {
  const b = random(16);
  if (!(b instanceof Uint8Array) || b.length !== 16) throw new PkiError('INVALID_ARGUMENT', 'random source must return 16 bytes');
  return Buffer.from(b).toString('hex');
}
