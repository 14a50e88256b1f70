/**
 * kiosk/systemd/notify.ts and notify-env.ts: the sd_notify(3) message
 * format (one datagram of VARIABLE=value lines), the no-op without
 * NOTIFY_SOCKET, and the environment checks (NOTIFY_SOCKET, WATCHDOG_USEC,
 * WATCHDOG_PID per sd_watchdog_enabled(3)), each refused clearly.
 */
import t, { type Test } from 'tap';
import { memoryLogger } from '../../../common/log.js';
import { isSystemdError, type SystemdErrorCode } from '../../../kiosk/systemd/errors.js';
import { createNotifier, DatagramNotifier, formatNotify, noopNotifier, statusText, STATUS_MAX } from '../../../kiosk/systemd/notify.js';
import { decodeSystemdEnv } from '../../../kiosk/systemd/notify-env.js';
import { loadSdNotifyTransport } from '../../../kiosk/systemd/sd-notify-transport.js';

const PID = 4242;

/** Asserts `fn` throws SystemdError `code` (and, when given, a message matching `text`). */
function throwsCode(t: Test, fn: () => unknown, code: SystemdErrorCode, what: string, text?: RegExp): void {
  try {
    fn();
    t.fail(`${what}: did not throw`);
  } catch (e) {
    t.ok(isSystemdError(e, code) && (text === undefined || text.test(e.message)), `${what}: ${code}`, { found: String(e) });
  }
}

function recording(): { sent: string[]; notifier: DatagramNotifier } {
  const sent: string[] = [];
  return { sent, notifier: new DatagramNotifier({ send: (d) => sent.push(d) }, memoryLogger()) };
}

void t.test('messages: one datagram of newline-terminated assignments, in order', (t) => {
  t.equal(formatNotify({ READY: '1', STATUS: 'ready: waiting for a customer' }), 'READY=1\nSTATUS=ready: waiting for a customer\n');
  const { sent, notifier } = recording();
  notifier.ready();
  notifier.status('writing card');
  notifier.watchdog();
  notifier.stopping();
  notifier.notify({ STATUS: 'x', WATCHDOG: '1' });
  t.same(sent, ['READY=1\n', 'STATUS=writing card\n', 'WATCHDOG=1\n', 'STOPPING=1\n', 'STATUS=x\nWATCHDOG=1\n']);
  t.ok(notifier.enabled);
  t.end();
});

void t.test('messages: a STATUS text is one line, without control characters, bounded', (t) => {
  const { sent, notifier } = recording();
  notifier.status('refused:\nREADY=1\u0007 forged');
  t.same(sent, ['STATUS=refused: READY=1  forged\n'], 'a newline in the text cannot smuggle in another assignment');
  const long = statusText('x'.repeat(500));
  t.equal(long.length, STATUS_MAX);
  t.ok(long.endsWith('…'));
  t.end();
});

void t.test('messages: malformed fields are refused (NOTIFY_MESSAGE_INVALID), nothing is sent', (t) => {
  const { sent, notifier } = recording();
  throwsCode(t, () => notifier.notify({}), 'NOTIFY_MESSAGE_INVALID', 'no assignment');
  throwsCode(t, () => notifier.notify({ ready: '1' }), 'NOTIFY_MESSAGE_INVALID', 'lower-case name');
  throwsCode(t, () => notifier.notify({ STATUS: 'a\nREADY=1' }), 'NOTIFY_MESSAGE_INVALID', 'newline in a raw value');
  throwsCode(t, () => noopNotifier.notify({ 'A=B': '1' }), 'NOTIFY_MESSAGE_INVALID', 'the no-op validates too');
  t.same(sent, []);
  t.end();
});

void t.test('a transport that fails is logged once, never thrown: notifying must not stop the kiosk', (t) => {
  const logger = memoryLogger();
  const notifier = new DatagramNotifier({ send: () => { throw new Error('ECONNREFUSED'); } }, logger);
  notifier.watchdog();
  notifier.watchdog();
  t.equal(logger.lines.filter((l) => l.includes('sd_notify failed')).length, 1);
  t.end();
});

void t.test('NOTIFY_SOCKET unset: a no-op notifier, and no transport is loaded', (t) => {
  let loaded = 0;
  const deps = { logger: memoryLogger(), loadTransport: () => { loaded++; return { send: () => undefined }; } };
  const n = createNotifier(decodeSystemdEnv({}, PID), deps);
  t.equal(n, noopNotifier);
  t.notOk(n.enabled);
  n.ready();
  n.status('x');
  t.equal(createNotifier(decodeSystemdEnv({ NOTIFY_SOCKET: '' }, PID), deps), noopNotifier, 'empty is unset');
  t.equal(loaded, 0);
  const real = createNotifier(decodeSystemdEnv({ NOTIFY_SOCKET: '@cardline/notify' }, PID), deps);
  t.ok(real.enabled);
  t.equal(loaded, 1);
  t.end();
});

void t.test('NOTIFY_SOCKET: an absolute path or an abstract @name that fits sockaddr_un', (t) => {
  t.equal(decodeSystemdEnv({ NOTIFY_SOCKET: '/run/systemd/notify' }, PID).notifySocket, '/run/systemd/notify');
  t.equal(decodeSystemdEnv({ NOTIFY_SOCKET: '@/org/freedesktop/systemd1/notify/123' }, PID).notifySocket, '@/org/freedesktop/systemd1/notify/123');
  for (const bad of ['run/notify', '@', 'vsock:2:1234', `/${'a'.repeat(107)}`, '/run/x\nREADY=1']) {
    throwsCode(t, () => decodeSystemdEnv({ NOTIFY_SOCKET: bad }, PID), 'NOTIFY_SOCKET_INVALID', JSON.stringify(bad.slice(0, 20)), /NOTIFY_SOCKET=/);
  }
  t.end();
});

void t.test('WATCHDOG_USEC: ping every half of it; bad values refused naming the variable', (t) => {
  t.same(decodeSystemdEnv({ WATCHDOG_USEC: '30000000' }, PID).watchdog, { intervalUsec: 30_000_000, pingEveryMs: 15_000 });
  t.same(decodeSystemdEnv({ WATCHDOG_USEC: '2000' }, PID).watchdog, { intervalUsec: 2000, pingEveryMs: 1 }, 'the smallest accepted: 2 ms, a ping every 1 ms');
  t.equal(decodeSystemdEnv({}, PID).watchdog, undefined, 'unset: no watchdog');
  for (const bad of ['abc', '-5', '1.5', '30s', '1999', '0', '99999999999999999999', String(2 ** 33 * 1000)]) {
    throwsCode(t, () => decodeSystemdEnv({ WATCHDOG_USEC: bad }, PID), 'WATCHDOG_USEC_INVALID', `WATCHDOG_USEC=${bad}`, new RegExp(`WATCHDOG_USEC='${bad}'`));
  }
  t.end();
});

void t.test('WATCHDOG_PID: the watchdog is for that process only (sd_watchdog_enabled(3))', (t) => {
  t.ok(decodeSystemdEnv({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: String(PID) }, PID).watchdog, 'our PID: ping');
  const other = decodeSystemdEnv({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: '1' }, PID);
  t.equal(other.watchdog, undefined, 'another PID: no pings from us');
  t.match(other.watchdogSkipped, /another process/);
  throwsCode(t, () => decodeSystemdEnv({ WATCHDOG_USEC: '2000000', WATCHDOG_PID: 'self' }, PID), 'WATCHDOG_PID_INVALID', 'WATCHDOG_PID=self');
  t.end();
});

void t.test('the libsystemd transport refuses a socket other than the process environment\'s', (t) => {
  throwsCode(t, () => loadSdNotifyTransport('/run/a', { NOTIFY_SOCKET: '/run/b' }), 'NOTIFY_UNAVAILABLE', 'another socket');
  t.end();
});
