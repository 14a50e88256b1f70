/** `cardline hw test`: which suites run with which device variables, and the refusals of bad input. */
import t from 'tap';
import { checkoutRoot, makeHwTestCommand, type HwTestDeps } from '../../../cli/commands/hw-test.js';
import { runCommands } from '../../fixtures/cli-run.js';

interface Ran {
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
}

async function hwTest(args: string[], root = checkoutRoot()): Promise<{ code: number; out: string; err: string; ran: Ran[] }> {
  const ran: Ran[] = [];
  const deps: HwTestDeps = {
    run: (cmd, a, o) => {
      ran.push({ cmd, args: a, env: o.env });
      return Promise.resolve(0);
    },
    root: () => root,
  };
  return { ...(await runCommands(['hw', 'test', ...args], [makeHwTestCommand(deps)], { env: { PATH: '/usr/bin' } })), ran };
}

void t.test('each named device runs its real-device suite with its variable set', async (t) => {
  t.ok(checkoutRoot(), 'the checkout is found from cli/commands/');
  const r = await hwTest(['--reader', 'ACS ACR39U ICC Reader 00 00', '--dispenser', 'serial:/dev/ttyUSB0@9600']);
  t.equal(r.code, 0);
  t.equal(r.ran.length, 1, 'one tap run');
  const run = r.ran[0]!;
  t.match(run.cmd, /node_modules\/\.bin\/tap$/);
  t.same(run.args, ['--reporter=tap', 'test/contract/real-reader.test.ts', 'test/contract/real-dispenser.test.ts']);
  t.equal(run.env.CARDLINE_TEST_READER, 'ACS ACR39U ICC Reader 00 00');
  t.equal(run.env.CARDLINE_TEST_DISPENSER, 'serial:/dev/ttyUSB0@9600');
  t.equal(run.env.CARDLINE_TEST_KEYPAD, undefined);
  t.equal(run.env.PATH, '/usr/bin', 'the rest of the environment is passed on');
});

void t.test('bad input is refused with exit code 2 and the reason; nothing runs', async (t) => {
  const cases: [string[], RegExp][] = [
    [[], /name at least one device/],
    [['--dispenser', 'serial:ttyUSB0'], /--dispenser: .*absolute path/],
    [['--keypad', 'hid:12:34'], /--keypad: /],
    [['--reader', ' '], /--reader must be/],
  ];
  for (const [args, why] of cases) {
    const r = await hwTest(args);
    t.equal(r.code, 2, args.join(' ') || '(none)');
    t.match(r.err, why);
    t.same(r.ran, [], 'nothing ran');
  }
});

void t.test('without the checkout and tap it says so and exits 1', async (t) => {
  const r = await hwTest(['--dispenser', 'serial:/dev/ttyUSB0'], '/nonexistent');
  t.equal(r.code, 1);
  t.match(r.err, /not installed here/);
  t.same(r.ran, []);
});
