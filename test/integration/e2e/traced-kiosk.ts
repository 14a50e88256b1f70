/**
 * One `cardline kiosk` process for the no-persistence test, as production
 * would run it and watched as closely as this machine allows:
 *
 * - `env -i`: nothing of the test runner's environment (no NODE_OPTIONS);
 *   cwd, HOME and TMPDIR in a fresh, empty directory of its own; debug logs;
 * - under `strace -f` (every thread and child of the kiosk) tracing every
 *   call that names, sizes or fills a file (strace-writes.ts), with the
 *   written bytes in full (-s 16 MiB) and `--seccomp-bpf`, so that calls not
 *   traced cost nothing;
 * - UV_USE_IO_URING=0: libuv may otherwise submit file writes through
 *   io_uring, which no syscall tracer sees (Node 20.20 has it off by
 *   default; this makes sure).
 *
 * The customers are typed on stdin (application ID, then code); at EOF the
 * kiosk exits.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { spawnCardline, type CardlineProcess, type Exit } from '../../fixtures/process-rig.js';
import { STRACE_FLAGS, TRACED_CALLS } from './strace-writes.js';

const STRACE = [...STRACE_FLAGS, '--seccomp-bpf', '-e', `trace=${TRACED_CALLS.join(',')}`];

/** strace, when it is installed and may trace here with these flags (containers may forbid ptrace or seccomp). */
export function straceUsable(): boolean {
  try {
    execFileSync('strace', [...STRACE, '-o', '/dev/null', 'true'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

export interface KioskRun {
  kiosk: CardlineProcess;
  exit: Exit;
  /** The kiosk's cwd, HOME and TMPDIR. */
  sandbox: string;
  /** The strace log (undefined without strace). */
  trace: string | undefined;
  seconds: number;
}

export interface KioskRunOptions {
  /** Where the sandbox and the trace go. */
  root: string;
  name: string;
  kioskArgs: readonly string[];
  customers: readonly { id: string; code: string }[];
  strace: boolean;
  ms: number;
}

export async function runTracedKiosk(o: KioskRunOptions): Promise<KioskRun> {
  const started = Date.now();
  const sandbox = await realpath(await mkdtemp(join(o.root, `${o.name}-home-`)));
  const traceFile = join(o.root, `${o.name}.strace`);
  const kiosk = spawnCardline(o.name, [...o.kioskArgs], {
    cwd: sandbox,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sandbox, TMPDIR: sandbox, LANG: 'C.UTF-8', UV_USE_IO_URING: '0' },
    isolate: true,
    logLevel: 'debug',
    ...(o.strace ? { prefix: ['strace', ...STRACE, '-o', traceFile] } : {}),
  });
  try {
    kiosk.write(o.customers.map((c) => `${c.id}\n${c.code}\n`).join(''));
    kiosk.endInput();
    const exit = await kiosk.waitExit(o.ms, `${o.customers.length} customers served, then EOF`);
    const trace = o.strace ? await readFile(traceFile, 'utf8') : undefined;
    return { kiosk, exit, sandbox, trace, seconds: (Date.now() - started) / 1000 };
  } catch (e) {
    await kiosk.stop(5_000);
    // A stopped strace detaches: the traced kiosk (our child's child) would live on.
    if (o.strace) await killTraced(traceFile);
    throw e;
  }
}

/**
 * Ends the kiosk strace was tracing: the first process its log names, and
 * only while /proc says it is still our `cardline kiosk` (a pid is never
 * killed on the strength of an old log alone).
 */
async function killTraced(traceFile: string): Promise<void> {
  const trace = await readFile(traceFile, 'utf8').catch(() => '');
  const pid = Number(/^(\d+) /.exec(trace)?.[1]);
  if (!Number.isInteger(pid) || pid <= 1) return;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!cmdline.includes('cli/main.ts') || !cmdline.includes('kiosk')) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone in the meantime.
  }
}
