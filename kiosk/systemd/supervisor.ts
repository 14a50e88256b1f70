/**
 * Wires a KioskAgent to systemd (issue 4 point 3b): the kiosk runs as a
 * Type=notify service with WatchdogSec= (os-image/systemd/cardline-kiosk.service).
 *
 * - READY=1 only once `agent.ready` resolves: the broker link is up, the
 *   center welcomed the kiosk and its readers are authenticated (the keys
 *   were unsealed before the agent started). A refused kiosk or reader
 *   never sends it: systemd then fails the start (TimeoutStartSec=) and
 *   retries it (Restart=on-failure), and STATUS says why.
 * - STATUS=… names the runner's phase (status-line.ts); polled every
 *   `statusEveryMs`, and at once on the agent's events; sent when it changes.
 * - WATCHDOG=1 every half of WATCHDOG_USEC (sd_watchdog_enabled(3)) while
 *   the runner is healthy, and not while `agent.health().wedged`: a runner
 *   stuck in one handler (a device call that never returns) then misses
 *   its pings and systemd aborts and restarts the service
 *   (systemd.service(5) WatchdogSec=, Restart=on-watchdog). Pings come from
 *   the event loop, so a blocked event loop stops them too.
 * - STOPPING=1 when `stop()` is called (SIGTERM, EOF, exit).
 *
 * Timers run on the injected Clock (FakeClock in unit tests).
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { KioskEvent } from '../events.js';
import type { Notifier } from './notify.js';
import type { WatchdogSettings } from './notify-env.js';
import { statusLine, type StatusInput } from './status-line.js';

/** What the supervisor needs of a KioskAgent (kiosk/agent.ts). */
export interface SupervisedAgent {
  readonly ready: Promise<void>;
  state(): string;
  health(wedgedAfterMs?: number): { wedged: boolean; phase: string; stalledMs: number };
}

export interface SupervisorOptions {
  agent: SupervisedAgent;
  notifier: Notifier;
  clock: Clock;
  logger: Logger;
  /** From decodeSystemdEnv; undefined: no WatchdogSec= (no pings). */
  watchdog?: WatchdogSettings;
  /** How often STATUS is recomputed (default 1000 ms). */
  statusEveryMs?: number;
  /** Passed to `agent.health` (default: the agent's own, twice the APDU timeout + 5 s). */
  wedgedAfterMs?: number;
}

export class KioskSupervisor {
  readonly #o: SupervisorOptions;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  #started = false;
  #ready = false;
  #wedged = false;
  #lastStatus: string | undefined;
  #refusedReason: string | undefined;
  #readerReason: string | undefined;

  constructor(o: SupervisorOptions) {
    this.#o = o;
    this.#log = o.logger.child('systemd');
  }

  /** Starts the STATUS and watchdog timers and waits for `agent.ready`. Call once. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const { watchdog } = this.#o;
    this.#log.info('supervising', { watchdogMs: watchdog?.pingEveryMs ?? null, notify: this.#o.notifier.enabled });
    this.refresh();
    this.#o.agent.ready.then(
      () => this.#onReady(),
      () => this.refresh(),
    );
    this.#every(this.#o.statusEveryMs ?? 1000, () => this.refresh());
    if (watchdog) this.#every(watchdog.pingEveryMs, () => this.#ping());
  }

  /** Feeds the agent's events in (refusal reasons; an immediate STATUS). */
  event(e: KioskEvent): void {
    if (e.type === 'refused') this.#refusedReason = e.reason;
    if (e.type === 'reader-refused') this.#readerReason = e.reason;
    if (e.type === 'reader-authenticated') this.#readerReason = undefined;
    if (this.#started) this.refresh();
  }

  /** STOPPING=1 and the timers end. Idempotent; nothing is sent afterwards. */
  stop(): void {
    if (this.#stop.signal.aborted) return;
    this.#stop.abort();
    this.#o.notifier.notify({ STOPPING: '1', STATUS: 'stopping' });
    this.#log.info('stopping');
  }

  /** Recomputes STATUS and sends it when it changed. */
  refresh(): void {
    if (this.#stop.signal.aborted) return;
    const line = statusLine(this.#input());
    if (line === this.#lastStatus) return;
    this.#lastStatus = line;
    this.#o.notifier.status(line);
  }

  #onReady(): void {
    if (this.#stop.signal.aborted || this.#ready) return;
    this.#ready = true;
    this.#lastStatus = statusLine(this.#input());
    this.#o.notifier.notify({ READY: '1', STATUS: this.#lastStatus });
    this.#log.info('ready sent');
  }

  #ping(): void {
    const h = this.#o.agent.health(this.#o.wedgedAfterMs);
    if (h.wedged !== this.#wedged) {
      this.#wedged = h.wedged;
      if (h.wedged) this.#log.error('runner wedged: watchdog pings withheld', { phase: h.phase, stalledMs: h.stalledMs });
      else this.#log.warn('runner moving again: watchdog pings resumed', { phase: h.phase });
      this.refresh();
    }
    if (!h.wedged) this.#o.notifier.watchdog();
  }

  #input(): StatusInput {
    const h = this.#o.agent.health(this.#o.wedgedAfterMs);
    return {
      phase: this.#o.agent.state(),
      ready: this.#ready,
      ...(this.#refusedReason !== undefined ? { refusedReason: this.#refusedReason } : {}),
      ...(this.#readerReason !== undefined ? { readerReason: this.#readerReason } : {}),
      ...(h.wedged ? { wedged: true } : {}),
    };
  }

  /** Runs `tick` every `ms` on the clock until stop(); a tick that throws is logged, the loop goes on. */
  #every(ms: number, tick: () => void): void {
    const signal = this.#stop.signal;
    const loop = async (): Promise<void> => {
      while (!signal.aborted) {
        await this.#o.clock.sleep(ms, signal);
        try {
          tick();
        } catch (e) {
          this.#log.error('supervisor tick failed', { err: e });
        }
      }
    };
    // A rejection is the abort of the sleep at stop(): nothing to report.
    loop().catch(() => undefined);
  }
}
