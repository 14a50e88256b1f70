/** `cardline demo`: the README's first command (via `make demo`). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError, type Command, type CommandContext, type ParsedOptions } from '../command.js';
import { cryptoRandom } from '../center/store-option.js';
import { runDemo } from '../demo/run.js';

export const demoCommand: Command = {
  path: ['demo'],
  summary: 'Issue cards end to end on embedded defaults: center, kiosk(s), simulated hardware',
  usage: 'demo [--cards N] [--kiosks K] [--mode relay|sealed] [--dir DIR] [--keep] [--verbose]',
  description: `
Runs, in one process, a center (embedded MQTT broker with mutual TLS on
loopback, PGlite store), K kiosks with simulated card stations, and N sample
applications. Each kiosk issues its customers' cards end to end, printing
each step live: in relay mode (default: the kiosk relays the center's
secured script) or, with --mode sealed, in sealed mode (the center seals
each card's keys and data to the kiosk, which runs SCP03 itself;
docs/sealed-mode.md). The kiosks' keys are in sealed-file key stores. Then every issued card is read back through
the simulator and compared with its application, and the audit log is
verified. Exit 0 only when every card is issued and checks out.

Everything lives in a fresh temporary directory (removed afterwards unless
--keep), or in --dir.`,
  options: {
    cards: { type: 'string', arg: 'N', description: 'Cards to issue (1..1000)', default: '1' },
    kiosks: { type: 'string', arg: 'K', description: 'Kiosks (1..50)', default: '1' },
    dir: { type: 'string', arg: 'DIR', description: 'Work directory (must not exist or be empty)' },
    keep: { type: 'boolean', description: 'Keep the work directory' },
    verbose: { type: 'boolean', description: 'Print every APDU step even for many cards' },
    mode: { type: 'string', arg: 'MODE', description: 'Issuance mode: relay or sealed', default: 'relay' },
  },
  run: async (ctx: CommandContext, opts: ParsedOptions): Promise<number> => {
    const cards = intOption(opts.cards, 'cards', 1, 1000);
    const kiosks = intOption(opts.kiosks, 'kiosks', 1, 50);
    if (kiosks > cards) throw new UsageError('--kiosks cannot exceed --cards');
    const mode = opts.mode ?? 'relay';
    if (mode !== 'relay' && mode !== 'sealed') throw new UsageError('--mode must be relay or sealed');
    const dir = typeof opts.dir === 'string' ? opts.dir : await mkdtemp(join(tmpdir(), 'cardline-demo-'));
    try {
      const started = ctx.clock.now();
      const r = await runDemo({ dir, cards, kiosks, clock: ctx.clock, logger: ctx.logger, random: cryptoRandom, out: ctx.out, mode, ...(opts.verbose ? { verbose: true } : {}) });
      const secs = ((ctx.clock.now() - started) / 1000).toFixed(1);
      if (r.ok) ctx.out(`demo OK: ${r.issued} card(s) issued end to end and verified in ${secs} s\n`);
      else ctx.out(`demo FAILED (${r.issued} issued):\n${r.problems.map((p) => `  - ${p}\n`).join('')}`);
      return r.ok ? 0 : 1;
    } finally {
      if (!opts.keep && typeof opts.dir !== 'string') await rm(dir, { recursive: true, force: true });
    }
  },
};

function intOption(v: unknown, name: string, min: number, max: number): number {
  const n = Number(v);
  if (typeof v !== 'string' || !/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`--${name} must be an integer ${min}..${max}`);
  return n;
}
