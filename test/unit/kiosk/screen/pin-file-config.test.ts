/**
 * Start-up checks: the operator PIN file (a scrypt hash line, mode 0600; a
 * malformed one is a clear error at start), the bind address (127.0.0.1
 * only, a typed error otherwise), and `cardline kiosk pin-hash` (the PIN
 * from stdin, 6–12 digits, never printed; at a terminal not echoed).
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import t from 'tap';
import { checkSlowHash, slowHash } from '../../../../common/slow-hash.js';
import { makePinHashCommand } from '../../../../cli/commands/kiosk-pin-hash.js';
import { decodeScreenConfig } from '../../../../kiosk/screen/config.js';
import { isScreenError } from '../../../../kiosk/screen/errors.js';
import { loadOperatorPin } from '../../../../kiosk/screen/operator-pin.js';
import { startScreenServer } from '../../../../kiosk/screen/server.js';
import { runCommands } from '../../../fixtures/cli-run.js';
import { rejectionOf } from './helpers.js';

const random = (n: number): Uint8Array => new Uint8Array(n).fill(7);

void t.test('loadOperatorPin: a scrypt line in a 0600 file; anything else is PIN_FILE_INVALID naming what is wrong', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-pin-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const good = join(dir, 'good');
  const hash = await slowHash('123456', { logN: 10, r: 8, p: 1 }, random);
  await writeFile(good, `${hash}\n`, { mode: 0o600 });
  t.equal(await loadOperatorPin(good), hash);
  for (const [name, content, mode, why] of [
    ['plain', '123456\n', 0o600, /not a scrypt hash line/],
    ['empty', '', 0o600, /not a scrypt hash line/],
    ['cost', hash.replace('scrypt$10$', 'scrypt$30$'), 0o600, /not a scrypt hash line/],
    ['two', `${hash}\n${hash}\n`, 0o600, /not a scrypt hash line/],
    ['open', `${hash}\n`, 0o644, /chmod 600/],
  ] as const) {
    const path = join(dir, name);
    await writeFile(path, content);
    await chmod(path, mode);
    const e = await rejectionOf(loadOperatorPin(path));
    t.ok(isScreenError(e, 'PIN_FILE_INVALID'), name);
    t.match((e as Error).message, why, name);
  }
  t.ok(isScreenError(await rejectionOf(loadOperatorPin(join(dir, 'missing'))), 'PIN_FILE_INVALID'), 'missing');
});

void t.test('the bind address: 127.0.0.1 only, refused before a socket opens', async (t) => {
  t.equal(decodeScreenConfig({}).host, '127.0.0.1');
  t.equal(decodeScreenConfig({}).idleMs, 60_000);
  t.equal(decodeScreenConfig({}).resultMs, 15_000);
  for (const host of ['0.0.0.0', '::', '::1', 'localhost', '192.168.1.10', '127.0.0.2']) {
    let e: unknown;
    try {
      decodeScreenConfig({ host });
    } catch (err) {
      e = err;
    }
    t.ok(isScreenError(e, 'BIND_REFUSED'), host);
  }
  let bad: unknown;
  try {
    decodeScreenConfig({ idleMs: 10 });
  } catch (err) {
    bad = err;
  }
  t.ok(isScreenError(bad, 'CONFIG_INVALID'));
  t.match((bad as Error).message, /idleMs/);
  const e = await rejectionOf(
    startScreenServer({
      config: { host: '0.0.0.0' },
      agent: { state: () => 'ready', request: () => Promise.resolve({ outcome: 'failed' as const }) },
      station: { status: () => Promise.reject(new Error('unused')) },
      feed: undefined as never,
      clock: { now: () => 0, sleep: () => Promise.resolve() },
      logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => undefined as never },
      random,
    }),
  );
  t.ok(isScreenError(e, 'BIND_REFUSED'));
});

void t.test('cardline kiosk pin-hash: the PIN from stdin → a scrypt line that checks; bad PINs exit 2; the PIN is never printed', async (t) => {
  const cmd = (input: string) => makePinHashCommand({ stdin: () => Readable.from([Buffer.from(input)]) });
  const ok = await runCommands(['kiosk', 'pin-hash'], [cmd('24681357\n')]);
  t.equal(ok.code, 0);
  const line = ok.out.trim();
  t.match(line, /^scrypt\$15\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  t.ok(await checkSlowHash('24681357', line));
  t.notOk(await checkSlowHash('24681358', line));
  for (const bad of ['12345\n', '1234567890123\n', 'abcdef\n', '\n', '', `${'1'.repeat(300)}\n`]) {
    const r = await runCommands(['kiosk', 'pin-hash'], [cmd(bad)]);
    t.equal(r.code, 2, JSON.stringify(bad));
    t.match(r.err, /6 to 12 digits/);
    if (bad.trim() !== '') t.notMatch(r.err + r.out + r.logs, bad.trim());
  }
  const help = await runCommands(['kiosk', 'pin-hash', '--help'], [cmd('')]);
  t.match(help.out, /operator-pin-file/);
  t.match(help.out, /umask 077/);
});

/** A terminal as process.stdin is one: raw mode switchable, keys arriving as typed. */
class FakeTty extends Readable {
  readonly isTTY = true;
  readonly modes: boolean[] = [];
  constructor(keys: string[]) {
    super({ read: () => undefined });
    for (const k of keys) this.push(k);
    this.push(null);
  }
  setRawMode(raw: boolean): this {
    this.modes.push(raw);
    return this;
  }
}

void t.test('cardline kiosk pin-hash at a terminal: a PIN prompt, raw mode (the PIN is not echoed), Backspace edits, raw mode off after', async (t) => {
  const tty = new FakeTty(['2', '4', '6', '9', '\u007f', '8', '1357', '\r']);
  const ok = await runCommands(['kiosk', 'pin-hash'], [makePinHashCommand({ stdin: () => tty })]);
  t.equal(ok.code, 0, `exit 0 ${ok.err}`);
  t.same(tty.modes, [true, false], 'raw mode on while the PIN is typed (the terminal does not echo it), off after');
  t.equal(ok.err, 'PIN: \n', 'the prompt, and no character of the PIN');
  t.ok(await checkSlowHash('24681357', ok.out.trim()), 'Backspace took the 9 back');
  const cancelled = new FakeTty(['97', '\u0003']);
  const r = await runCommands(['kiosk', 'pin-hash'], [makePinHashCommand({ stdin: () => cancelled })]);
  t.equal(r.code, 2, 'Ctrl-C gives up');
  t.same(cancelled.modes, [true, false], 'and the terminal is restored');
  t.match(r.err, /no PIN given/);
  t.notMatch(r.err + r.out, '97');
});
