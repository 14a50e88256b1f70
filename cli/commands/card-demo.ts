/**
 * `cardline card demo`: personalize a simulated card over SCP03 and read it
 * back. The main job until end-to-end issuance (issue 3) lands.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zeroize } from '../../card/bytes.js';
import { isValidLevel } from '../../card/scp03/index.js';
import { Hopper } from '../../hardware/sim/hopper.js';
import { SimReader } from '../../hardware/sim/sim-reader.js';
import { REFERENCE_LATENCY } from '../../hardware/sim/card/index.js';
import { runDemoFlow } from '../card-demo/flow.js';
import { UsageError, type Command } from '../command.js';
import { cryptoRandom } from '../random.js';

const random = cryptoRandom;

export const cardDemo: Command = {
  path: ['card', 'demo'],
  summary: 'Personalize a simulated card over SCP03 and read it back',
  usage: 'card demo [--level 33] [--latency] [--hopper DIR]',
  description: `
Takes a blank card in factory state from a simulated hopper, authenticates it
with ISD keys diversified (KDF3) from a stock master key made for this run,
personalizes the sample application with STORE DATA at the chosen SCP03
security level (secret DGIs encrypted under the DEK), power-cycles the card
and reads every DGI back with plain APDUs. Secret DGIs must be refused and
their key check values must match. Exit code 0 only when all of that holds.
Card data and keys are never printed: tags, lengths, status words and key
check values only.`,
  options: {
    level: { type: 'string', arg: 'HEX', description: 'SCP03 security level: 01, 03, 11, 13 or 33', default: '33' },
    latency: { type: 'boolean', description: 'Model real card timing (docs/sim-card.md reference preset)' },
    hopper: { type: 'string', arg: 'DIR', description: 'Keep the hopper and EEPROM images in DIR (default: a temp dir, removed after)' },
  },
  async run(ctx, opts) {
    const level = parseLevel(String(opts.level));
    const dir = typeof opts.hopper === 'string' ? opts.hopper : await mkdtemp(join(tmpdir(), 'cardline-demo-'));
    const kmc = random(16);
    const started = ctx.clock.now();
    let step = 0;
    const report = (line: string): void => ctx.out(`[${String(++step).padStart(2)}] ${line}\n`);
    ctx.out('Cardline card demo: personalize a simulated card over SCP03 and read it back\n');
    let reader: SimReader | undefined;
    try {
      const hopper = await Hopper.create({
        dir,
        count: 1,
        stockMasterKey: kmc,
        clock: ctx.clock,
        logger: ctx.logger,
        ...(opts.latency === true ? { latency: REFERENCE_LATENCY } : {}),
      });
      const card = await hopper.take();
      if (!card) throw new Error('the hopper is empty');
      report(`hopper: blank card ${card.serial} taken (factory state, ISD keys diversified from the stock master key)`);
      reader = new SimReader({ clock: ctx.clock, logger: ctx.logger });
      reader.insert(card);
      const result = await runDemoFlow({ transport: reader, stockMasterKey: kmc, securityLevel: level, random, report });
      const ms = ctx.clock.now() - started;
      if (!result.ok) {
        ctx.err(`FAILED: ${result.failures.join('; ')}\n`);
        return 1;
      }
      ctx.out(`OK: card ${card.serial} personalized at security level ${String(opts.level)} and verified by read-back (${result.apdus} APDUs, ${ms} ms)\n`);
      return 0;
    } finally {
      // A failed step too: power the card down (its session state goes) before the images are removed.
      await reader?.close();
      zeroize(kmc);
      if (typeof opts.hopper !== 'string') await rm(dir, { recursive: true, force: true });
    }
  },
};

function parseLevel(text: string): number {
  const level = /^[0-9a-fA-F]{2}$/.test(text) ? parseInt(text, 16) : NaN;
  if (!isValidLevel(level) || level === 0) throw new UsageError(`--level must be one of 01, 03, 11, 13, 33 (got '${text}')`);
  return level;
}
