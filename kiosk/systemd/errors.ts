/**
 * Typed errors of the kiosk's systemd integration (kiosk/systemd/). Each has
 * a stable `code`; the CLI prints the message and exits 1 (cli/run.ts).
 * Messages quote environment values only where they cannot be secret
 * (socket paths, microsecond counts, PIDs), cut to a few dozen characters.
 */

export type SystemdErrorCode =
  /** NOTIFY_SOCKET is neither an absolute path nor an abstract `@name` that fits a sockaddr_un (sd_notify(3)). */
  | 'NOTIFY_SOCKET_INVALID'
  /** WATCHDOG_USEC is not a positive integer of microseconds in range (sd_watchdog_enabled(3)). */
  | 'WATCHDOG_USEC_INVALID'
  /** WATCHDOG_PID is set but is not a positive integer (sd_watchdog_enabled(3)). */
  | 'WATCHDOG_PID_INVALID'
  /** NOTIFY_SOCKET is set but the sd_notify binding (libsystemd) cannot be loaded or used. */
  | 'NOTIFY_UNAVAILABLE'
  /** A notification field is malformed (a name that is not VARIABLE-like, a value with a newline). */
  | 'NOTIFY_MESSAGE_INVALID'
  /** RLIMIT_CORE could not be set to 0, or /proc says it is not 0 afterwards. */
  | 'CORE_LIMIT_FAILED';

export class SystemdError extends Error {
  override readonly name = 'SystemdError';
  constructor(
    readonly code: SystemdErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isSystemdError(e: unknown, code?: SystemdErrorCode): e is SystemdError {
  return e instanceof SystemdError && (code === undefined || e.code === code);
}

/** An environment value for an error message: printable ASCII only, at most 40 characters. */
export function quoteEnv(value: string): string {
  const clean = value.replace(/[^\x20-\x7e]/g, '?');
  return `'${clean.length > 40 ? `${clean.slice(0, 40)}…` : clean}'`;
}
