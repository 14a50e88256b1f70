/**
 * Open files: the broker holds one socket per kiosk and so does the
 * kiosk-fleet process, so 10,000 kiosks need more than the usual 1,024 (or
 * a container's 20,000 with everything else). Node cannot raise its own
 * rlimit; when the soft limit is too low, the bench runs itself again under
 * `prlimit --nofile=N:N` (util-linux; raising the hard limit needs root or
 * CAP_SYS_RESOURCE), and every child (mosquitto, PostgreSQL, workers, the
 * fleet) inherits it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MARK = 'FLEET_BENCH_FD_RAISED';

export function openFilesLimit(): { soft: number; hard: number } {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const n = (s: string | undefined): number => (s === undefined || s === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(s));
  return { soft: n(m?.[1]), hard: n(m?.[2]) };
}

/**
 * Returns when the limit is at least `need`; otherwise re-runs this process
 * under prlimit and exits with its status (never returns then). Throws
 * when it was already raised once and is still too low.
 */
export function ensureOpenFiles(need: number): { soft: number; raised: boolean } {
  const { soft } = openFilesLimit();
  if (soft >= need) return { soft, raised: process.env[MARK] === '1' };
  if (process.env[MARK] === '1') throw new Error(`open-files limit ${soft} is below the ${need} this run needs, even after prlimit: run with fewer kiosks, or raise it (ulimit -n ${need})`);
  const args = ['--nofile=' + `${need}:${need}`, '--', process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const r = spawnSync('prlimit', args, { stdio: 'inherit', env: { ...process.env, [MARK]: '1' } });
  if (r.error) throw new Error(`open-files limit ${soft} is below the ${need} this run needs and prlimit failed (${r.error.message}): run 'ulimit -n ${need}' first`);
  process.exit(r.status ?? 1);
}
