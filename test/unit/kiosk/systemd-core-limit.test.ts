/**
 * kiosk/systemd/core-limit.ts with a fake /proc and a fake prlimit: the
 * "Max core file size" row parsed as proc(5) prints it, prlimit run as
 * `/usr/bin/prlimit --pid PID --core=0:0` only when needed, the result
 * checked, and every failure refused (CORE_LIMIT_FAILED): the kiosk does
 * not run with core dumps possible. The real thing, on a real process, is
 * test/integration/kiosk/systemd-kiosk.test.ts.
 */
import t, { type Test } from 'tap';
import { memoryLogger } from '../../../common/log.js';
import { disableCoreDumps, parseCoreLimit, PRLIMIT } from '../../../kiosk/systemd/core-limit.js';
import { isSystemdError, SystemdError } from '../../../kiosk/systemd/errors.js';

/** /proc/<pid>/limits as Linux prints it (proc(5)), with the core row given. */
function limits(soft: string, hard: string): string {
  return [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max cpu time              unlimited            unlimited            seconds   ',
    'Max file size             unlimited            unlimited            bytes     ',
    `Max core file size        ${soft.padEnd(20)} ${hard.padEnd(20)} bytes     `,
    'Max open files            1048576              1048576              files     ',
    '',
  ].join('\n');
}

async function rejectsCode(t: Test, p: Promise<unknown>, what: string): Promise<void> {
  try {
    await p;
    t.fail(`${what}: resolved`);
  } catch (e) {
    t.ok(isSystemdError(e, 'CORE_LIMIT_FAILED'), `${what}: CORE_LIMIT_FAILED`, { found: String(e) });
  }
}

void t.test('parse: soft and hard core limits, unlimited as null', (t) => {
  t.same(parseCoreLimit(limits('unlimited', 'unlimited')), { soft: null, hard: null });
  t.same(parseCoreLimit(limits('0', '0')), { soft: 0, hard: 0 });
  t.same(parseCoreLimit(limits('0', 'unlimited')), { soft: 0, hard: null });
  t.throws(() => parseCoreLimit('Limit Soft Hard\nMax open files 1 1 files\n'), SystemdError, 'no core row');
  t.throws(() => parseCoreLimit(limits('lots', '0')), SystemdError, 'unreadable value');
  t.end();
});

void t.test('unlimited: prlimit --pid PID --core=0:0 by absolute path, then checked', async (t) => {
  const reads = [limits('unlimited', 'unlimited'), limits('0', '0')];
  const runs: string[][] = [];
  const logger = memoryLogger();
  const before = await disableCoreDumps({ pid: 321, logger, readLimits: (pid) => (t.equal(pid, 321), Promise.resolve(reads.shift()!)), run: (file, args) => (runs.push([file, ...args]), Promise.resolve()) });
  t.same(before, { soft: null, hard: null });
  t.same(runs, [[PRLIMIT, '--pid', '321', '--core=0:0']]);
  t.equal(PRLIMIT, '/usr/bin/prlimit', 'no PATH lookup');
  t.match(logger.lines.join(''), /core dumps disabled/);
});

void t.test('already 0:0 (LimitCORE=0): nothing is spawned', async (t) => {
  let runs = 0;
  await disableCoreDumps({ pid: 1, logger: memoryLogger(), readLimits: () => Promise.resolve(limits('0', '0')), run: () => (runs++, Promise.resolve()) });
  t.equal(runs, 0);
});

void t.test('a soft 0 with a raisable hard limit is not enough: hard goes to 0 too', async (t) => {
  const reads = [limits('0', 'unlimited'), limits('0', '0')];
  let runs = 0;
  await disableCoreDumps({ pid: 1, logger: memoryLogger(), readLimits: () => Promise.resolve(reads.shift()!), run: () => (runs++, Promise.resolve()) });
  t.equal(runs, 1);
});

void t.test('failures are refused: prlimit fails, the limit did not change, /proc unreadable', async (t) => {
  const failing = (): Promise<void> => Promise.reject(new SystemdError('CORE_LIMIT_FAILED', 'prlimit failed (ENOENT)'));
  await rejectsCode(t, disableCoreDumps({ pid: 1, logger: memoryLogger(), readLimits: () => Promise.resolve(limits('unlimited', 'unlimited')), run: failing }), 'prlimit fails');
  await rejectsCode(t, disableCoreDumps({ pid: 1, logger: memoryLogger(), readLimits: () => Promise.resolve(limits('unlimited', 'unlimited')), run: () => Promise.resolve() }), 'limit unchanged after prlimit');
  const enoent = Object.assign(new Error('no /proc'), { code: 'ENOENT' });
  await rejectsCode(t, disableCoreDumps({ pid: 1, logger: memoryLogger(), readLimits: () => Promise.reject(enoent), run: () => Promise.resolve() }), '/proc unreadable');
});
