/**
 * The bench's handle on the kiosk-fleet process (kiosk-fleet.ts, forked
 * with tsx; `--cpu-prof` when profiling): one request at a time, each
 * awaited by the reply type it expects; an `error` reply or the process's
 * exit rejects. `connectionsTo` counts established TCP connections to the
 * broker in /proc/net/tcp (the broker's side and the fleet process's side).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stopChild } from './workers.js';
import type { FromFleet, ToFleet } from './protocol.js';

const CHILD = fileURLToPath(new URL('./kiosk-fleet.ts', import.meta.url));
const TSX = import.meta.resolve('tsx');

type Reply<T extends FromFleet['type']> = Extract<FromFleet, { type: T }>;

export class FleetProcess {
  readonly child: ChildProcess;
  readonly #waiting = new Map<string, { resolve: (m: FromFleet) => void; reject: (e: Error) => void }>();

  constructor(cpuProfDir?: string) {
    this.child = fork(CHILD, [], {
      execArgv: ['--import', TSX, '--max-old-space-size=8192', ...(cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (m: FromFleet) => {
      if (m.type === 'error') return this.#failAll(new Error(`kiosk fleet: ${m.message}`));
      const w = this.#waiting.get(m.type);
      this.#waiting.delete(m.type);
      w?.resolve(m);
    });
    this.child.on('exit', (code, signal) => this.#failAll(new Error(`kiosk fleet exited (${code ?? signal})`)));
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends `m`, resolves with the reply of type `reply`. */
  ask<T extends FromFleet['type']>(m: ToFleet, reply: T): Promise<Reply<T>> {
    const p = this.expect(reply);
    this.child.send(m);
    return p;
  }

  /** Resolves with the next reply of type `reply` (sent unasked, or by an earlier request). */
  expect<T extends FromFleet['type']>(reply: T): Promise<Reply<T>> {
    return new Promise((resolve, reject) => this.#waiting.set(reply, { resolve: resolve as (m: FromFleet) => void, reject }));
  }

  async stop(): Promise<void> {
    if (this.child.connected) {
      await Promise.race([this.ask({ type: 'stop' }, 'stopped').catch(() => undefined), new Promise((r) => setTimeout(r, 60_000))]);
    }
    // Its IPC closed: it exits by itself (and writes its profile); otherwise SIGTERM.
    await Promise.race([new Promise((r) => this.child.once('exit', r)), new Promise((r) => setTimeout(r, 10_000))]);
    await stopChild(this.child);
  }

  #failAll(e: Error): void {
    for (const w of this.#waiting.values()) w.reject(e);
    this.#waiting.clear();
  }
}

/**
 * Established TCP connections to the broker at `port` (IPv4 and IPv6), from
 * the kernel's tables: `server`, those whose local port is `port` (every
 * client the broker holds); `from`, those whose remote port is `port` and
 * whose socket belongs to process `pid` (found by inode among its fds).
 */
export function connectionsTo(port: number, pid: number): { server: number; from: number } {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(m[1]!);
      } catch {
        // Closed meanwhile.
      }
    }
  } catch {
    // The process is gone: none of its connections count.
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  let server = 0;
  let from = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // f[1] local address:port, f[2] remote, f[3] state (01 = ESTABLISHED), f[9] inode.
      if (f[3] !== '01') continue;
      if (f[1]?.endsWith(`:${hexPort}`)) server++;
      if (f[2]?.endsWith(`:${hexPort}`) && inodes.has(f[9] ?? '')) from++;
    }
  }
  return { server, from };
}
