/**
 * `cardline hw test`: runs the contract suites (test/contract/) on the
 * hardware attached here — the same tests every simulator passes — by
 * naming the devices in the variables the real-device runs read:
 * CARDLINE_TEST_READER (a PC/SC reader name), CARDLINE_TEST_DISPENSER (a
 * station spec), CARDLINE_TEST_KEYPAD (a keypad spec). It runs tap from the
 * source tree, so it needs the checkout with its dev dependencies (a
 * technician's laptop or a bench machine, not the read-only kiosk image).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseKeypadSpec } from '../../hardware/hid/keypad-spec.js';
import { parseStationSpec } from '../../hardware/station-spec.js';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';

/** The suites that run on real devices, by the variable that names the device. */
export const REAL_DEVICE_SUITES = {
  CARDLINE_TEST_READER: 'test/contract/real-reader.test.ts',
  CARDLINE_TEST_DISPENSER: 'test/contract/real-dispenser.test.ts',
  CARDLINE_TEST_KEYPAD: 'test/contract/keypad-real.test.ts',
} as const;

/** The checkout root: dist/cli/commands/ or cli/commands/ → up to the folder with package.json. */
export function checkoutRoot(from = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = from;
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test', 'contract'))) return dir;
    dir = resolve(dir, '..');
  }
  return undefined;
}

export interface HwTestDeps {
  /** Runs `cmd args` in `cwd` with `env`, output passed through; resolves with the exit code. */
  run(cmd: string, args: string[], o: { cwd: string; env: NodeJS.ProcessEnv }): Promise<number>;
  root(): string | undefined;
}

const realDeps: HwTestDeps = {
  run: (cmd, args, o) =>
    new Promise((resolveCode, reject) => {
      const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, stdio: 'inherit' });
      child.once('error', reject);
      child.once('exit', (code, signal) => resolveCode(code ?? (signal ? 1 : 0)));
    }),
  root: () => checkoutRoot(),
};

export function makeHwTestCommand(deps: HwTestDeps): Command {
  return {
    path: ['hw', 'test'],
    summary: 'Run the device contract suites on attached hardware',
    usage: 'hw test [--reader NAME] [--dispenser SPEC] [--keypad SPEC]',
    description: `
Runs the same contract suites that every simulator passes (test/contract/)
against the devices named here. Each device test uses it for real: the
dispenser suite feeds blank cards and captures each one to the reject bin;
the reader suite needs a GlobalPlatform card in the reader.

  --reader NAME      a PC/SC reader, as 'cardline hw list' names it
  --dispenser SPEC   a station spec, e.g. serial:/dev/ttyUSB0@115200
  --keypad SPEC      a HID keypad, hid:VVVV:PPPP[:SERIAL]

Needs the source checkout with its dev dependencies (tap). Exit code: tap's
(0 when every suite passed).`,
    options: {
      reader: { type: 'string', arg: 'NAME', description: 'A PC/SC reader name' },
      dispenser: { type: 'string', arg: 'SPEC', description: 'A card station spec (serial:PATH[@BAUD])' },
      keypad: { type: 'string', arg: 'SPEC', description: 'A HID keypad spec (hid:VVVV:PPPP[:SERIAL])' },
    },
    run: (ctx, opts) => runHwTest(ctx, opts, deps),
  };
}

export const hwTestCommand: Command = makeHwTestCommand(realDeps);

async function runHwTest(ctx: CommandContext, opts: ParsedOptions, deps: HwTestDeps): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...ctx.env };
  const suites: string[] = [];
  const name = (key: string): string | undefined => (typeof opts[key] === 'string' ? opts[key] : undefined);
  const reader = name('reader');
  const dispenser = name('dispenser');
  const keypad = name('keypad');
  if (reader !== undefined) {
    if (reader.trim() === '' || reader.length > 200) throw new UsageError('--reader must be a PC/SC reader name (1..200 characters)');
    env.CARDLINE_TEST_READER = reader;
    suites.push(REAL_DEVICE_SUITES.CARDLINE_TEST_READER);
  }
  if (dispenser !== undefined) {
    try {
      parseStationSpec(dispenser);
    } catch (e) {
      throw new UsageError(`--dispenser: ${(e as Error).message}`);
    }
    env.CARDLINE_TEST_DISPENSER = dispenser;
    suites.push(REAL_DEVICE_SUITES.CARDLINE_TEST_DISPENSER);
  }
  if (keypad !== undefined) {
    try {
      parseKeypadSpec(keypad);
    } catch (e) {
      throw new UsageError(`--keypad: ${(e as Error).message}`);
    }
    env.CARDLINE_TEST_KEYPAD = keypad;
    suites.push(REAL_DEVICE_SUITES.CARDLINE_TEST_KEYPAD);
  }
  if (suites.length === 0) throw new UsageError('name at least one device: --reader, --dispenser or --keypad (see cardline hw list)');
  const root = deps.root();
  if (root === undefined || !existsSync(join(root, 'node_modules', '.bin', 'tap'))) {
    ctx.err('cardline hw test: the contract suites and tap are not installed here; run it from a source checkout after `make deps`\n');
    return 1;
  }
  ctx.out(`running ${suites.join(', ')}\n`);
  return deps.run(join(root, 'node_modules', '.bin', 'tap'), ['--reporter=tap', ...suites], { cwd: root, env });
}
