/**
 * The service-manager notification protocol, sd_notify(3): a service tells
 * systemd about itself with newline-separated VARIABLE=value assignments
 * in one datagram to $NOTIFY_SOCKET. The ones the kiosk sends:
 *
 *   READY=1     start-up is finished (Type=notify: systemd.service(5));
 *   STATUS=…    one line for `systemctl status`;
 *   WATCHDOG=1  keep-alive for WatchdogSec= (systemd.service(5));
 *   STOPPING=1  the service is shutting down.
 *
 * A `Notifier` formats; a `NotifyTransport` delivers. Node has no AF_UNIX
 * datagram sockets, so the real transport is libsystemd's own sd_notify()
 * through the `sd-notify` binding (sd-notify-transport.ts,
 * docs/dependencies.md). With NOTIFY_SOCKET unset every call is a no-op.
 */
import type { Logger } from '../../common/log.js';
import { SystemdError } from './errors.js';
import type { SystemdEnv } from './notify-env.js';
import { loadSdNotifyTransport } from './sd-notify-transport.js';

export interface Notifier {
  /** Sends the assignments in one datagram (in insertion order). Never throws on delivery; throws NOTIFY_MESSAGE_INVALID on a malformed field. */
  notify(state: Record<string, string>): void;
  /** READY=1: start-up finished (the agent is ready for customers). */
  ready(): void;
  /** STATUS=text: one line of free text; control characters become spaces, and it is cut to 200 characters. */
  status(text: string): void;
  /** WATCHDOG=1: the keep-alive. */
  watchdog(): void;
  /** STOPPING=1: shutdown has begun. */
  stopping(): void;
  /** True when messages go somewhere (NOTIFY_SOCKET was set). */
  readonly enabled: boolean;
}

/** Delivers one formatted datagram. */
export interface NotifyTransport {
  send(datagram: string): void;
}

/** The longest STATUS= text sent; systemctl shows one line anyway. */
export const STATUS_MAX = 200;

/** Variable names as sd_notify(3) lists them: upper-case letters, digits and underscores. */
const NAME_RE = /^[A-Z][A-Z0-9_]*$/;

/** A STATUS text made safe for one assignment: no newline (the separator), no control characters, bounded. */
export function statusText(text: string): string {
  const flat = text.replace(/[\p{Cc}\p{Cf}]/gu, ' ').trim();
  return flat.length > STATUS_MAX ? `${flat.slice(0, STATUS_MAX - 1)}…` : flat;
}

/**
 * `{ READY: '1', STATUS: 'x' }` → "READY=1\nSTATUS=x\n". Each assignment
 * ends with a newline, which sd_notify(3) allows (empty lines are ignored)
 * and which keeps datagrams apart in a `socat UNIX-RECV` listener.
 */
export function formatNotify(state: Record<string, string>): string {
  const entries = Object.entries(state);
  if (entries.length === 0) throw new SystemdError('NOTIFY_MESSAGE_INVALID', 'a notification needs at least one assignment');
  return entries
    .map(([name, value]) => {
      if (!NAME_RE.test(name)) throw new SystemdError('NOTIFY_MESSAGE_INVALID', `'${name.slice(0, 40)}' is not a notification variable name`);
      if (/[\n\0]/.test(value)) throw new SystemdError('NOTIFY_MESSAGE_INVALID', `the value of ${name} contains a newline or NUL`);
      return `${name}=${value}\n`;
    })
    .join('');
}

/** A Notifier over a transport; delivery errors are logged (once per kind), never thrown: notifying must not stop the kiosk. */
export class DatagramNotifier implements Notifier {
  readonly enabled = true;
  readonly #transport: NotifyTransport;
  readonly #logger: Logger;
  #failed = false;

  constructor(transport: NotifyTransport, logger: Logger) {
    this.#transport = transport;
    this.#logger = logger;
  }

  notify(state: Record<string, string>): void {
    const datagram = formatNotify(state);
    try {
      this.#transport.send(datagram);
      this.#failed = false;
    } catch (e) {
      if (!this.#failed) this.#logger.warn('sd_notify failed', { fields: Object.keys(state), err: e });
      this.#failed = true;
    }
  }
  ready(): void {
    this.notify({ READY: '1' });
  }
  status(text: string): void {
    this.notify({ STATUS: statusText(text) });
  }
  watchdog(): void {
    this.notify({ WATCHDOG: '1' });
  }
  stopping(): void {
    this.notify({ STOPPING: '1' });
  }
}

/** The Notifier when NOTIFY_SOCKET is unset: validates like the real one, sends nothing. */
export const noopNotifier: Notifier = {
  enabled: false,
  notify: (state) => void formatNotify(state),
  ready: () => undefined,
  status: () => undefined,
  watchdog: () => undefined,
  stopping: () => undefined,
};

export interface CreateNotifierDeps {
  logger: Logger;
  /** Makes the transport for a validated socket (default: libsystemd through `sd-notify`). */
  loadTransport?: (socket: string) => NotifyTransport;
}

/** The Notifier for a decoded environment: a no-op without NOTIFY_SOCKET. Throws NOTIFY_UNAVAILABLE when the transport cannot be loaded. */
export function createNotifier(env: SystemdEnv, deps: CreateNotifierDeps): Notifier {
  if (env.notifySocket === undefined) return noopNotifier;
  const transport = (deps.loadTransport ?? loadSdNotifyTransport)(env.notifySocket);
  return new DatagramNotifier(transport, deps.logger.child('sd-notify'));
}
