/**
 * `cardline demo` (the README's first command) through the command table:
 * two kiosks issue two cards end to end on embedded defaults, every card is
 * read back independently and the audit log verified; exit 0. Bad options
 * exit 2. Nothing personal is printed or logged.
 */
import t from 'tap';
import { systemClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';
import { COMMANDS } from '../../../cli/commands/index.js';
import { runCli } from '../../../cli/run.js';

void t.test('cardline demo --cards 2 --kiosks 2 issues, checks and exits 0', async (t) => {
  const out: string[] = [];
  const err: string[] = [];
  const logger = memoryLogger('demo-test');
  const ctx = { out: (s: string) => out.push(s), err: (s: string) => err.push(s), logger, clock: systemClock, env: {}, signal: new AbortController().signal };
  const code = await runCli(['demo', '--cards', '2', '--kiosks', '2', '--dir', `${t.testdir()}/work`], COMMANDS, ctx);
  const text = out.join('');
  t.equal(code, 0, `${err.join('')}\n${text.slice(-2000)}`);
  t.match(text, /^demo OK: 2 card\(s\) issued end to end and verified/m);
  for (const k of ['kiosk-1', 'kiosk-2']) {
    t.match(text, new RegExp(`^\\[${k}\\] reader sim-[0-9a-f]{8} authenticated`, 'm'), `${k}: reader authenticated`);
    t.match(text, new RegExp(`^\\[${k}\\] ISSUED: card ejected to the customer`, 'm'), `${k}: issued`);
    t.match(text, new RegExp(`^\\[check\\] ${k}: reading card CA4D[0-9A-F]{12} \\(gate\\) back through the simulator`, 'm'), `${k}: read back`);
  }
  t.equal(text.match(/equal to what was written/g)?.length, 6, 'three plain DGIs per card read back equal');
  t.equal(text.match(/refused as it must be/g)?.length, 4, 'two secret DGIs per card refused');
  t.match(text, /\[check\] audit log: \d+ entries, signed tree head at size \d+, \d+ checkpoint\(s\): verified/);
  t.notMatch(text, /SATO|HANAKO|5341544F/i, 'no personal data printed');
  t.notMatch(logger.lines.join(''), /SATO|HANAKO|5341544F/i, 'no personal data logged');
});

void t.test('cardline demo refuses bad options with exit 2', async (t) => {
  const err: string[] = [];
  const ctx = { out: () => undefined, err: (s: string) => err.push(s), logger: memoryLogger(), clock: systemClock, env: {}, signal: new AbortController().signal };
  t.equal(await runCli(['demo', '--cards', '0'], COMMANDS, ctx), 2);
  t.match(err.join(''), /--cards must be an integer 1\.\.1000/);
  t.equal(await runCli(['demo', '--cards', '1', '--kiosks', '2'], COMMANDS, ctx), 2);
  t.match(err.join(''), /--kiosks cannot exceed --cards/);
});
