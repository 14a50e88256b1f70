/**
 * No core dumps of the kiosk (issue 4 point 4): a core file is a copy of
 * the process's memory — unsealed keys, session keys, card data in flight —
 * written to disk. systemd's watchdog kills a wedged service with SIGABRT
 * (systemd.service(5) WatchdogSec=, systemd.kill(5) WatchdogSignal=), whose
 * default action is to dump core, so this is not hypothetical.
 *
 * The unit sets LimitCORE=0 (systemd.exec(5)); the kiosk also sets its own
 * RLIMIT_CORE to 0:0 at start, for every other way it may be started. Node
 * has no setrlimit(2), so this runs util-linux's `prlimit --pid <self>
 * --core=0:0` (prlimit(1), the prlimit64(2) syscall on another process's
 * limits, which a process may do to itself) by absolute path with an empty
 * environment, then reads /proc/<pid>/limits (proc(5)) to check it took.
 * A hard limit of 0 cannot be raised again without CAP_SYS_RESOURCE.
 *
 * Not covered by the limit: a core_pattern that pipes to a handler
 * (core(5) "Piping core dumps to a program") receives the dump whatever
 * RLIMIT_CORE says; the image disables systemd-coredump's storage for that
 * (os-image/README.md "Core dumps").
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Logger } from '../../common/log.js';
import { SystemdError } from './errors.js';

export const PRLIMIT = '/usr/bin/prlimit';

/** Soft and hard RLIMIT_CORE in bytes; null is unlimited. */
export interface CoreLimit {
  soft: number | null;
  hard: number | null;
}

export interface CoreLimitDeps {
  pid: number;
  logger: Logger;
  /** Reads /proc/<pid>/limits. */
  readLimits?: (pid: number) => Promise<string>;
  /** Runs a program with arguments (no shell, empty environment); rejects (SystemdError CORE_LIMIT_FAILED) when it fails. */
  run?: (file: string, args: readonly string[]) => Promise<void>;
}

const readProcLimits = (pid: number): Promise<string> => readFile(`/proc/${pid}/limits`, 'utf8');

const runFile = (file: string, args: readonly string[]): Promise<void> =>
  new Promise((resolve, reject) => {
    execFile(file, [...args], { env: {}, timeout: 10_000 }, (err) => {
      if (!err) return resolve();
      const why = err.code ?? err.signal ?? 'error';
      reject(new SystemdError('CORE_LIMIT_FAILED', `${file} ${args.join(' ')} failed (${String(why)}); the kiosk does not run with core dumps possible`));
    });
  });

/** The "Max core file size" row of /proc/<pid>/limits (proc(5)). Throws CORE_LIMIT_FAILED when it is missing or unreadable. */
export function parseCoreLimit(limits: string): CoreLimit {
  const row = limits.split('\n').find((l) => l.startsWith('Max core file size'));
  const m = row?.match(/^Max core file size\s+(\S+)\s+(\S+)\s+bytes\s*$/);
  if (!m) throw new SystemdError('CORE_LIMIT_FAILED', "no 'Max core file size' row in /proc/<pid>/limits");
  const value = (v: string): number | null => {
    if (v === 'unlimited') return null;
    if (!/^[0-9]+$/.test(v)) throw new SystemdError('CORE_LIMIT_FAILED', `unreadable core limit '${v.slice(0, 20)}'`);
    return Number(v);
  };
  return { soft: value(m[1]!), hard: value(m[2]!) };
}

/**
 * Sets RLIMIT_CORE of the process `pid` to 0:0 and checks it. Resolves
 * with the limit found before (for the log); does not spawn anything when
 * it is already 0:0 (LimitCORE=0). Throws CORE_LIMIT_FAILED otherwise: the
 * kiosk does not run with core dumps possible.
 */
export async function disableCoreDumps(deps: CoreLimitDeps): Promise<CoreLimit> {
  const read = deps.readLimits ?? readProcLimits;
  const readLimit = async (): Promise<CoreLimit> => {
    try {
      return parseCoreLimit(await read(deps.pid));
    } catch (e) {
      if (e instanceof SystemdError) throw e;
      throw new SystemdError('CORE_LIMIT_FAILED', `cannot read /proc/${deps.pid}/limits (${errCode(e)})`);
    }
  };
  const before = await readLimit();
  if (before.soft === 0 && before.hard === 0) {
    deps.logger.info('core dumps already off', { rlimitCore: '0:0' });
    return before;
  }
  try {
    await (deps.run ?? runFile)(PRLIMIT, ['--pid', String(deps.pid), '--core=0:0']);
  } catch (e) {
    if (e instanceof SystemdError) throw e;
    throw new SystemdError('CORE_LIMIT_FAILED', `${PRLIMIT} --pid ${deps.pid} --core=0:0 failed (${errCode(e)}); the kiosk does not run with core dumps possible`);
  }
  const after = await readLimit();
  if (after.soft !== 0 || after.hard !== 0) throw new SystemdError('CORE_LIMIT_FAILED', `RLIMIT_CORE is ${show(after)} after prlimit, not 0:0`);
  deps.logger.info('core dumps disabled', { before: show(before), rlimitCore: '0:0' });
  return before;
}

function show(l: CoreLimit): string {
  return `${l.soft ?? 'unlimited'}:${l.hard ?? 'unlimited'}`;
}

function errCode(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : 'error';
}
