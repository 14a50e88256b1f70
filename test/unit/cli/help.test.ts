/**
 * `--help` on every command and group, and the exit codes of the dispatcher:
 * 0 for help, 2 for an unknown command or option.
 */
import t from 'tap';
import { COMMANDS } from '../../../cli/commands/index.js';
import { runCommands, type CliRun } from '../../fixtures/cli-run.js';

const cli = (args: string[]): Promise<CliRun> => runCommands(args, COMMANDS);

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

void t.test('arguments that could be key material are never echoed in usage errors', async (t) => {
  const key = '404142434445464748494A4B4C4D4E4F';
  const typo = await cli(['sim', 'crad', '--keys', `${key}:${key}:${key}`]);
  t.equal(typo.code, 2);
  t.match(typo.err, "unknown command 'sim crad <redacted>'");
  t.notMatch(typo.err, /404142/);
  const stray = await cli(['sim', 'card', '--vpcd', '127.0.0.1:1', `${key}:${key}:${key}`]);
  t.equal(stray.code, 2, 'a key without its option is a stray argument');
  t.match(stray.err, "unexpected argument '<redacted>'");
  t.notMatch(stray.err, /404142/);
  const lower = await cli(['card', 'demo', 'deadbeefcafebabe0011']);
  t.match(lower.err, "unexpected argument '<redacted>'", 'hex that starts with a letter too');
});
