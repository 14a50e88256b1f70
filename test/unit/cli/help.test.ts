/**
 * `--help` on every command and group, and the exit codes of the dispatcher:
 * 0 for help, 2 for an unknown command or option.
 */
import t from 'tap';
import { FakeClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/log.js';
import { COMMANDS } from '../../../cli/commands/index.js';
import { runCli } from '../../../cli/run.js';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, COMMANDS, {
    out: (s) => (out += s),
    err: (s) => (err += s),
    logger: silentLogger,
    clock: new FakeClock(),
    env: {},
    signal: new AbortController().signal,
  });
  return { code, out, err };
}

void t.test('every command answers --help and -h with its usage and every option', async (t) => {
  t.ok(COMMANDS.length >= 2);
  for (const c of COMMANDS) {
    for (const flag of ['--help', '-h']) {
      const r = await cli([...c.path, flag]);
      t.equal(r.code, 0, `${c.path.join(' ')} ${flag}`);
      t.match(r.out, `Usage: cardline ${c.usage}`);
      for (const name of Object.keys(c.options)) t.match(r.out, `--${name}`, `${c.path.join(' ')} documents --${name}`);
    }
  }
});

void t.test('groups list their commands', async (t) => {
  const top = await cli(['--help']);
  t.equal(top.code, 0);
  for (const c of COMMANDS) t.match(top.out, c.path.join(' '));
  const sim = await cli(['sim', '--help']);
  t.equal(sim.code, 0);
  t.match(sim.out, 'sim card');
  t.notMatch(sim.out, 'card demo');
  const bare = await cli([]);
  t.equal(bare.code, 2, 'no command is a usage error');
  t.match(bare.err, 'Usage: cardline <command>');
});

void t.test('unknown commands and options are usage errors (exit 2) naming the problem', async (t) => {
  const unknown = await cli(['frobnicate']);
  t.equal(unknown.code, 2);
  t.match(unknown.err, "unknown command 'frobnicate'");
  const badOpt = await cli(['card', 'demo', '--no-such-option']);
  t.equal(badOpt.code, 2);
  t.match(badOpt.err, /no-such-option/);
  t.match(badOpt.err, "Run 'cardline card demo --help'");
  const extra = await cli(['card', 'demo', 'stray']);
  t.equal(extra.code, 2);
  t.match(extra.err, "unexpected argument 'stray'");
});
