/**
 * The center workers: W `cardline center` processes (the CLI as an operator
 * runs it, `node --import tsx cli/main.ts`) on the same PostgreSQL and the
 * same external broker, named w1..wW. Each is up when it prints
 * `center listening on <url>`. Stopped with SIGTERM (the CLI's orderly
 * shutdown, so that `--cpu-prof` writes its profile), SIGKILL after 15 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = import.meta.resolve('tsx');
const STARTUP_MS = 60_000;

export interface Worker {
  name: string;
  pid: number;
  /** The last lines of its stderr (its JSON logs at warn and above), for a failure report. */
  tail(): string[];
  stop(): Promise<void>;
}

export interface WorkerOptions {
  name: string;
  pkiDir: string;
  databaseUrl: string;
  brokerUrl: string;
  brokerPidFile?: string;
  /** Directory for node --cpu-prof (the worker's profile is written there at exit). */
  cpuProfDir?: string;
  /** `--db-pool` and `--db-lock-connections` (0 or absent: the center's defaults). */
  dbPool?: number;
  dbLockConnections?: number;
}

export async function startWorker(o: WorkerOptions): Promise<Worker> {
  const node = ['--import', TSX, ...(o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : [])];
  const args = ['center', '--pki', o.pkiDir, '--database', o.databaseUrl, '--broker', o.brokerUrl, '--worker', o.name, ...(o.brokerPidFile ? ['--broker-pid-file', o.brokerPidFile] : []),
    ...(o.dbPool ? ['--db-pool', String(o.dbPool)] : []),
    ...(o.dbLockConnections ? ['--db-lock-connections', String(o.dbLockConnections)] : []),
  ];
  const child = spawn(process.execPath, [...node, join(REPO_ROOT, 'cli', 'main.ts'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, CARDLINE_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (l: string): void => {
    lines.push(l);
    if (lines.length > 40) lines.shift();
  };
  createInterface({ input: child.stderr }).on('line', keep);
  const listening = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker ${o.name} did not start within ${STARTUP_MS / 1000} s:\n${lines.join('\n')}`)), STARTUP_MS);
    createInterface({ input: child.stdout }).on('line', (l) => {
      keep(l);
      if (l.startsWith('center listening on ')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`worker ${o.name} exited (${code ?? signal}) before it listened:\n${lines.join('\n')}`));
    });
  });
  try {
    await listening;
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return { name: o.name, pid: child.pid!, tail: () => [...lines], stop: () => stopChild(child) };
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
