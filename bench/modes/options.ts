/**
 * The options of bench/modes.ts, from argv and the environment (argv
 * wins), checked once:
 *   --cards=N         measured issuances per configuration (MODES_BENCH_CARDS, default 25)
 *   --rtt=0,20,100    injected round-trip times in ms (MODES_BENCH_RTT)
 *   --modes=relay,sealed                            (MODES_BENCH_MODES)
 *   --card=off|reference   the simulated card's latency model (MODES_BENCH_CARD, default off)
 */

export type Mode = 'relay' | 'sealed';

export interface ModesBenchOptions {
  cards: number;
  rtts: number[];
  modes: Mode[];
  card: 'off' | 'reference';
}

export const DEFAULTS: ModesBenchOptions = { cards: 25, rtts: [0, 20, 100], modes: ['relay', 'sealed'], card: 'off' };

export class ModesUsageError extends Error {
  override readonly name = 'ModesUsageError';
  constructor(
    readonly code: 'ARGUMENT_INVALID' | 'ARGUMENT_UNKNOWN',
    message: string,
  ) {
    super(message);
  }
}

const KEYS = { cards: 'MODES_BENCH_CARDS', rtt: 'MODES_BENCH_RTT', modes: 'MODES_BENCH_MODES', card: 'MODES_BENCH_CARD' } as const;
type Key = keyof typeof KEYS;

export function parseModesOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): ModesBenchOptions {
  const raw: Partial<Record<Key, string>> = {};
  for (const k of Object.keys(KEYS) as Key[]) if (env[KEYS[k]] !== undefined && env[KEYS[k]] !== '') raw[k] = env[KEYS[k]];
  for (const arg of argv) {
    const m = /^--(cards|rtt|modes|card)=(.*)$/.exec(arg);
    if (!m) throw new ModesUsageError('ARGUMENT_UNKNOWN', `unknown argument '${arg}' (use --cards=N --rtt=0,20,100 --modes=relay,sealed --card=off|reference)`);
    raw[m[1] as Key] = m[2]!;
  }
  const list = (text: string, what: string): string[] => {
    const parts = text.split(',').map((s) => s.trim());
    if (parts.length === 0 || parts.length > 8 || parts.some((p) => p === '')) throw new ModesUsageError('ARGUMENT_INVALID', `--${what} must list 1..8 values`);
    return parts;
  };
  const cards = raw.cards === undefined ? DEFAULTS.cards : Number(raw.cards);
  if (!Number.isInteger(cards) || cards < 2 || cards > 500) throw new ModesUsageError('ARGUMENT_INVALID', '--cards must be an integer 2..500');
  const rtts = raw.rtt === undefined ? DEFAULTS.rtts : list(raw.rtt, 'rtt').map(Number);
  if (rtts.some((r) => !Number.isInteger(r) || r < 0 || r > 2000)) throw new ModesUsageError('ARGUMENT_INVALID', '--rtt values must be integers 0..2000 (ms)');
  const modes = raw.modes === undefined ? DEFAULTS.modes : list(raw.modes, 'modes');
  if (modes.some((m) => m !== 'relay' && m !== 'sealed')) throw new ModesUsageError('ARGUMENT_INVALID', '--modes values must be relay or sealed');
  const card = raw.card ?? DEFAULTS.card;
  if (card !== 'off' && card !== 'reference') throw new ModesUsageError('ARGUMENT_INVALID', '--card must be off or reference');
  return { cards, rtts, modes: modes as Mode[], card };
}
