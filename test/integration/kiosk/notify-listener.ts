/**
 * A real sd_notify(3) receiver for tests, not ours: `socat -u
 * UNIX-RECV:<path> -` binds an AF_UNIX datagram socket (as systemd does
 * for NOTIFY_SOCKET) and prints every datagram it receives. The kiosk ends
 * each assignment with a newline, so each printed line is one assignment;
 * every line is kept with the time it arrived here. Not a test file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Received {
  /** Date.now() when the line reached the test. */
  at: number;
  /** One assignment, e.g. 'WATCHDOG=1' or 'STATUS=writing card'. */
  line: string;
}

export class NotifyListener {
  readonly lines: Received[] = [];
  readonly #proc: ChildProcess;
  readonly #watchers = new Set<() => void>();

  private constructor(readonly path: string) {
    this.#proc = spawn('socat', ['-u', `UNIX-RECV:${path}`, '-'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    this.#proc.stdout!.setEncoding('utf8');
    this.#proc.stdout!.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      const at = Date.now();
      for (const line of parts) if (line !== '') this.lines.push({ at, line });
      for (const w of [...this.#watchers]) w();
    });
  }

  /** Starts socat on `path` and resolves once the socket exists (a notification sent before would be lost). */
  static async start(path: string): Promise<NotifyListener> {
    const l = new NotifyListener(path);
    for (let i = 0; i < 100; i++) {
      if (await stat(path).then((s) => s.isSocket(), () => false)) return l;
      if (l.#proc.exitCode !== null) break;
      await sleep(50);
    }
    l.close();
    throw new Error(`socat did not bind ${path} (is socat installed? scripts/deps.sh)`);
  }

  /** Assignments with this name, e.g. values('STATUS'). */
  values(name: string): Received[] {
    return this.lines.filter((r) => r.line.startsWith(`${name}=`)).map((r) => ({ at: r.at, line: r.line.slice(name.length + 1) }));
  }

  /** Resolves with the first line from index `from` on that matches; rejects naming `what` after `ms`. */
  waitFor(pattern: RegExp, ms: number, what: string, from = 0): Promise<Received> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = this.lines.slice(from).find((r) => pattern.test(r.line));
        if (hit) done(() => resolve(hit));
      };
      const timer = setTimeout(() => done(() => reject(new Error(`timed out after ${ms} ms waiting for the notification: ${what}\nreceived: ${this.lines.slice(-12).map((r) => r.line).join(' | ')}`))), ms);
      const done = (settle: () => void): void => {
        clearTimeout(timer);
        this.#watchers.delete(check);
        settle();
      };
      this.#watchers.add(check);
      check();
    });
  }

  close(): void {
    this.#proc.kill('SIGTERM');
  }
}
