// `cardline center readers add|remove` option checks (cli/commands/center-admin.ts):
// usage errors (exit 2) before any store or key is opened.
import t from 'tap';
import { FakeClock } from '../../../common/clock.js';
import { silentLogger } from '../../../common/log.js';
import { COMMANDS } from '../../../cli/commands/index.js';
import { runCli } from '../../../cli/run.js';

async function cli(args: string[]): Promise<{ code: number; err: string }> {
  let err = '';
  const code = await runCli(args, COMMANDS, {
    out: () => undefined,
    err: (s) => (err += s),
    logger: silentLogger,
    clock: new FakeClock(),
    env: {},
    signal: new AbortController().signal,
  });
  return { code, err };
}

const base = ['center', 'readers', 'add', '--pki', '/nonexistent', '--data', '/nonexistent', '--kiosk', 'k1', '--reader', 'r1'];

void t.test('readers add: kind, descriptor and serial are checked first', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--kind', 'usb'], /--kind must be sim, pcsc, dispenser or keypad/],
    [['--kind', 'pcsc', '--product', 'P', '--serial', 'S'], /--vendor is required for --kind pcsc/],
    [['--kind', 'keypad', '--vendor', 'V', '--serial', 'S'], /--product is required for --kind keypad/],
    [['--kind', 'pcsc', '--vendor', 'V', '--product', 'P'], /--serial \(or --no-serial\) is required/],
    [['--kind', 'pcsc', '--vendor', 'V', '--product', 'P', '--serial', 'S', '--no-serial'], /exclude each other/],
    [['--kind', 'pcsc', '--vendor', 'v'.repeat(65), '--product', 'P', '--serial', 'S'], /--vendor must be 1..64 printable ASCII/],
    [['--kind', 'keypad', '--vendor', 'V', '--product', 'P\u0007', '--no-serial'], /--product must be 1..64 printable ASCII/],
    [['--kind', 'sim', '--serial', 'é'], /--serial must be 1..64 printable ASCII/],
  ];
  for (const [args, message] of cases) {
    const r = await cli([...base, ...args]);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.err, message, args.join(' '));
  }
});

void t.test('readers remove: --reader is required', async (t) => {
  const r = await cli(['center', 'readers', 'remove', '--pki', '/nonexistent', '--data', '/nonexistent', '--kiosk', 'k1']);
  t.equal(r.code, 2);
  t.match(r.err, /--reader is required/);
});
