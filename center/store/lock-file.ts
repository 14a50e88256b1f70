/**
 * The PGlite data directory's lock (`cardline.lock`): PGlite runs PostgreSQL
 * inside one process and has no postmaster to keep a second one out, so two
 * centers on one directory would corrupt it. The file holds the owner's pid.
 *
 * Taking it is atomic: the pid is written to a private temporary file which
 * is then hard-linked to the lock's name. link(2) fails with EEXIST exactly
 * as open(O_CREAT|O_EXCL) does, and the lock never exists without its pid
 * (with O_EXCL a reader could find it still empty and take it for stale).
 *
 * A lock whose pid is not alive (the center crashed) is stale: it is
 * replaced, with a warning. Left open: two processes replacing the same
 * stale lock at the same instant can both win (the re-read before unlink
 * narrows that to microseconds); and a reused pid keeps a stale lock held,
 * which the error message tells the operator how to clear.
 */
import { randomBytes } from 'node:crypto';
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import type { Logger } from '../../common/log.js';
import { StoreError } from './db.js';

export const LOCK_FILE = 'cardline.lock';

export interface LockFile {
  readonly path: string;
  /** Removes the lock if it is still ours. Idempotent. */
  release(): Promise<void>;
}

/** Takes the lock at `path` for process `pid`; StoreError LOCKED when a live process holds it. */
export async function acquireLockFile(path: string, logger: Logger, pid = process.pid): Promise<LockFile> {
  const content = `${pid}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await tryLink(path, content)) return held(path, content);
    const holder = await readHolder(path);
    if (holder === 'gone') continue;
    if (holder !== 'garbled' && (holder === pid || isAlive(holder))) {
      throw new StoreError('LOCKED', `the center (pid ${holder}) holds this data directory (${path}); stop it first, or remove the lock file if no center runs`);
    }
    logger.warn('replacing a stale lock file', { path, pid: holder === 'garbled' ? null : holder });
    await unlinkIf(path, (now) => now === holder);
  }
  throw new StoreError('LOCKED', `could not take the lock ${path}: other processes keep taking it`);
}

async function tryLink(path: string, content: string): Promise<boolean> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
    await link(tmp, path);
    return true;
  } catch (e) {
    if (errno(e) === 'EEXIST') return false;
    throw new StoreError('OPEN_FAILED', `cannot create the lock file ${path} (${errno(e) ?? 'error'})`);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

type Holder = number | 'gone' | 'garbled';

/** The pid in the lock file; 'gone' when it vanished meanwhile, 'garbled' when it holds no pid. */
async function readHolder(path: string): Promise<Holder> {
  let text: string;
  try {
    text = await readFile(path, { encoding: 'utf8', flag: 'r' });
  } catch (e) {
    if (errno(e) === 'ENOENT') return 'gone';
    throw new StoreError('OPEN_FAILED', `cannot read the lock file ${path} (${errno(e) ?? 'error'})`);
  }
  const m = /^(\d{1,10})\n?$/.exec(text.slice(0, 16));
  const pid = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(pid) && pid > 0 ? pid : 'garbled';
}

/** Signal 0 tests for existence only; EPERM means alive but not ours to signal. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errno(e) === 'EPERM';
  }
}

async function unlinkIf(path: string, test: (holder: Holder) => boolean): Promise<void> {
  if (!test(await readHolder(path))) return;
  await unlink(path).catch((e: unknown) => {
    if (errno(e) !== 'ENOENT') throw new StoreError('OPEN_FAILED', `cannot remove the lock file ${path} (${errno(e) ?? 'error'})`);
  });
}

function held(path: string, content: string): LockFile {
  let released = false;
  return {
    path,
    release: async () => {
      if (released) return;
      released = true;
      const pid = Number(content.trim());
      await unlinkIf(path, (holder) => holder === pid);
    },
  };
}

function errno(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
