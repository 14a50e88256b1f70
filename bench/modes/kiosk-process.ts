/**
 * The parent's handle on the kiosk process of bench/modes.ts
 * (kiosk-child.ts): fork it with tsx, wait until its reader is
 * authenticated, serve one customer at a time, stop it. Every wait is
 * bounded and says what it waited for.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChildConfig, ChildRequest } from './kiosk-child.js';
import type { IssuanceSample } from './sample.js';

const CHILD = fileURLToPath(new URL('./kiosk-child.ts', import.meta.url));

type ChildMessage = { type: 'ready' } | { type: 'stopped' } | { type: 'sample'; sample: IssuanceSample } | { type: 'failed'; reason: string };

export class KioskProcessError extends Error {
  override readonly name = 'KioskProcessError';
  constructor(
    readonly code: 'FAILED' | 'TIMEOUT' | 'EXITED',
    message: string,
  ) {
    super(message);
  }
}

export class KioskProcess {
  readonly #child: ChildProcess;
  readonly #inbox: ChildMessage[] = [];
  #wake: (() => void) | undefined;
  #exit: string | undefined;

  private constructor(cfg: ChildConfig) {
    this.#child = fork(CHILD, [JSON.stringify(cfg)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#child.on('message', (m: ChildMessage) => {
      this.#inbox.push(m);
      this.#wake?.();
    });
    this.#child.on('exit', (code, signal) => {
      this.#exit = signal ?? `code ${code}`;
      this.#wake?.();
    });
  }

  static async start(cfg: ChildConfig, ms = 60_000): Promise<KioskProcess> {
    const p = new KioskProcess(cfg);
    await p.#next('ready', ms, 'the kiosk ready (reader authenticated)');
    return p;
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  async #next<T extends ChildMessage['type']>(type: T, ms: number, what: string): Promise<Extract<ChildMessage, { type: T }>> {
    const until = performance.now() + ms;
    for (;;) {
      const m = this.#inbox.shift();
      if (m?.type === type) return m as Extract<ChildMessage, { type: T }>;
      if (m?.type === 'failed') throw new KioskProcessError('FAILED', `kiosk process: ${m.reason} (waiting for ${what})`);
      if (m !== undefined) continue;
      if (this.#exit !== undefined) throw new KioskProcessError('EXITED', `kiosk process exited (${this.#exit}) before ${what}`);
      const left = until - performance.now();
      if (left <= 0) throw new KioskProcessError('TIMEOUT', `timed out after ${ms} ms waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Serves one customer; resolves with the issuance's sample, rejects when it was not issued. */
  async request(application: string, code: string, ms = 60_000): Promise<IssuanceSample> {
    this.#child.send({ type: 'request', application, code } satisfies ChildRequest);
    return (await this.#next('sample', ms, `the card of ${application}`)).sample;
  }

  /** Stops the agent and the station, and waits for the process to end (SIGKILL after `ms`). */
  async stop(ms = 15_000): Promise<void> {
    if (this.#exit !== undefined) return;
    const gone = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.send({ type: 'stop' } satisfies ChildRequest);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), ms);
    await gone;
    clearTimeout(timer);
  }
}
