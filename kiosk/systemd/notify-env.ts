/**
 * What systemd tells a service through its environment, decoded once at
 * start (STYLE: validate at the boundary, fail fast naming the key):
 *
 * - NOTIFY_SOCKET (systemd.exec(5) "Environment variables in spawned
 *   processes", sd_notify(3)): where notifications go. An absolute path of
 *   an AF_UNIX datagram socket, or `@name` for an abstract one. Unset: the
 *   service is not Type=notify (or runs outside systemd) and notifying is a
 *   no-op.
 * - WATCHDOG_USEC (systemd.service(5) WatchdogSec=, sd_watchdog_enabled(3)):
 *   the watchdog interval in microseconds; the service must send WATCHDOG=1
 *   more often than that. sd_watchdog_enabled(3) advises half the interval.
 * - WATCHDOG_PID: when set, the watchdog is meant for that process only. A
 *   process with another PID (a child that inherited the environment) must
 *   not ping: sd_watchdog_enabled(3) then returns 0.
 */
import { SystemdError, quoteEnv } from './errors.js';

/** sockaddr_un.sun_path is 108 bytes; a path needs its NUL, an abstract name its leading NUL (the `@`). */
const SUN_PATH_MAX = 108;
/** Below 2 ms half the interval is under the 1 ms a timer can wait; above, half of it must fit a Node timer (2^31-1 ms). */
const MIN_WATCHDOG_USEC = 2000;
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface WatchdogSettings {
  /** WATCHDOG_USEC as given. */
  readonly intervalUsec: number;
  /** How often WATCHDOG=1 is sent: half the interval (sd_watchdog_enabled(3)), in whole milliseconds. */
  readonly pingEveryMs: number;
}

export interface SystemdEnv {
  /** The validated NOTIFY_SOCKET, or undefined when it is unset or empty. */
  readonly notifySocket: string | undefined;
  /** The watchdog for this process, or undefined when there is none (unset, or WATCHDOG_PID names another process). */
  readonly watchdog: WatchdogSettings | undefined;
  /** Why there is no watchdog although WATCHDOG_USEC is set (for the log), e.g. 'WATCHDOG_PID is another process'. */
  readonly watchdogSkipped?: string;
}

/** Decodes NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID for the process `pid`. Throws SystemdError naming the variable. */
export function decodeSystemdEnv(env: Readonly<Record<string, string | undefined>>, pid: number): SystemdEnv {
  const notifySocket = decodeNotifySocket(env.NOTIFY_SOCKET);
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || usec === '') return { notifySocket, watchdog: undefined };
  const intervalUsec = decodeWatchdogUsec(usec);
  const watchdogPid = env.WATCHDOG_PID;
  if (watchdogPid !== undefined && watchdogPid !== '') {
    if (!/^[1-9][0-9]{0,9}$/.test(watchdogPid)) throw new SystemdError('WATCHDOG_PID_INVALID', `WATCHDOG_PID=${quoteEnv(watchdogPid)} is not a process ID`);
    if (Number(watchdogPid) !== pid) return { notifySocket, watchdog: undefined, watchdogSkipped: `WATCHDOG_PID ${watchdogPid} is another process (this is ${pid})` };
  }
  return { notifySocket, watchdog: { intervalUsec, pingEveryMs: Math.floor(intervalUsec / 2000) } };
}

function decodeNotifySocket(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const bad = (why: string): SystemdError => new SystemdError('NOTIFY_SOCKET_INVALID', `NOTIFY_SOCKET=${quoteEnv(value)}: ${why}`);
  if (/\p{Cc}/u.test(value)) throw bad('contains control characters');
  if (value.startsWith('@')) {
    if (value.length < 2) throw bad('an abstract socket needs a name after @');
  } else if (!value.startsWith('/')) {
    throw bad('must be an absolute path or @name of an AF_UNIX socket');
  }
  if (Buffer.byteLength(value) > SUN_PATH_MAX - 1) throw bad(`longer than ${SUN_PATH_MAX - 1} bytes (sockaddr_un)`);
  return value;
}

function decodeWatchdogUsec(value: string): number {
  const bad = (why: string): SystemdError => new SystemdError('WATCHDOG_USEC_INVALID', `WATCHDOG_USEC=${quoteEnv(value)}: ${why}`);
  if (!/^[0-9]+$/.test(value)) throw bad('not a whole number of microseconds');
  const usec = Number(value);
  if (!Number.isSafeInteger(usec)) throw bad('too large');
  if (usec < MIN_WATCHDOG_USEC) throw bad(`below ${MIN_WATCHDOG_USEC} µs`);
  if (usec / 2000 > MAX_TIMER_MS) throw bad(`half of it exceeds ${MAX_TIMER_MS} ms`);
  return usec;
}
