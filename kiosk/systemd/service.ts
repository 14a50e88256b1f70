/**
 * The kiosk's side of being a systemd service, for `cardline kiosk`
 * (cli/commands/kiosk.ts): reads what systemd put in the environment
 * (notify-env.ts), sends start-up STATUS lines before the agent exists,
 * tees the agent's events to the supervisor, then supervises the agent
 * (supervisor.ts) and says STOPPING=1 at the end. Outside systemd (no
 * NOTIFY_SOCKET) every notification is a no-op and nothing native loads.
 */
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { KioskEventSink } from '../events.js';
import { createNotifier, type Notifier, type NotifyTransport } from './notify.js';
import { decodeSystemdEnv, type SystemdEnv } from './notify-env.js';
import { KioskSupervisor, type SupervisedAgent } from './supervisor.js';

export interface KioskServiceDeps {
  pid: number;
  clock: Clock;
  logger: Logger;
  /** Default: libsystemd through `sd-notify`. */
  loadTransport?: (socket: string) => NotifyTransport;
}

export class KioskService {
  readonly #env: SystemdEnv;
  readonly #notifier: Notifier;
  readonly #deps: KioskServiceDeps;
  #supervisor: KioskSupervisor | undefined;
  #stopped = false;

  private constructor(env: SystemdEnv, notifier: Notifier, deps: KioskServiceDeps) {
    this.#env = env;
    this.#notifier = notifier;
    this.#deps = deps;
  }

  /** Throws SystemdError naming the variable when NOTIFY_SOCKET, WATCHDOG_USEC or WATCHDOG_PID is malformed. */
  static fromEnv(env: Readonly<Record<string, string | undefined>>, deps: KioskServiceDeps): KioskService {
    const decoded = decodeSystemdEnv(env, deps.pid);
    const log = deps.logger.child('systemd');
    if (decoded.watchdogSkipped !== undefined) log.info('no watchdog for this process', { why: decoded.watchdogSkipped });
    const notifier = createNotifier(decoded, { logger: deps.logger, ...(deps.loadTransport ? { loadTransport: deps.loadTransport } : {}) });
    return new KioskService(decoded, notifier, deps);
  }

  get notifier(): Notifier {
    return this.#notifier;
  }

  /** A STATUS line while the agent does not exist yet (start-up steps). */
  status(text: string): void {
    if (!this.#stopped) this.#notifier.status(text);
  }

  /** `sink`, and the supervisor once there is one. */
  events(sink: KioskEventSink): KioskEventSink {
    return (e) => {
      sink(e);
      this.#supervisor?.event(e);
    };
  }

  /**
   * Starts supervising `agent`: READY=1 when it is ready, STATUS, WATCHDOG=1.
   * Once. `wedgedAfterMs`: see wedge-threshold.ts (default: the agent's).
   */
  supervise(agent: SupervisedAgent, opts: { wedgedAfterMs?: number } = {}): void {
    if (this.#supervisor || this.#stopped) return;
    this.#supervisor = new KioskSupervisor({
      agent,
      notifier: this.#notifier,
      clock: this.#deps.clock,
      logger: this.#deps.logger,
      ...(this.#env.watchdog ? { watchdog: this.#env.watchdog } : {}),
      ...(opts.wedgedAfterMs !== undefined ? { wedgedAfterMs: opts.wedgedAfterMs } : {}),
    });
    this.#supervisor.start();
  }

  /** STOPPING=1; idempotent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#supervisor) this.#supervisor.stop();
    else this.#notifier.notify({ STOPPING: '1', STATUS: 'stopping' });
  }
}
