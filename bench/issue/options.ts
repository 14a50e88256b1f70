/**
 * The options of bench/issue.ts, from argv and the environment (argv wins),
 * checked once: `--cards=N` (or a bare N, as bench/card-perso.ts takes it)
 * or ISSUE_BENCH_CARDS; `--kiosks=1,4,16` or ISSUE_BENCH_KIOSKS.
 */

export interface IssueBenchOptions {
  /** Measured cards per configuration (spread over the kiosks, rounded up to a multiple of K). */
  cards: number;
  /** The fleet sizes K to measure, in order. */
  kiosks: number[];
}

export const DEFAULT_CARDS = 40;
export const DEFAULT_KIOSKS: readonly number[] = [1, 4, 16];
const MAX_CARDS = 1000;
/** `cardline demo` allows 50 kiosks; so does the bench. */
const MAX_KIOSKS = 50;

export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
  constructor(
    readonly code: 'CARDS_INVALID' | 'KIOSKS_INVALID' | 'ARGUMENT_UNKNOWN',
    message: string,
  ) {
    super(message);
  }
}

export function parseOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): IssueBenchOptions {
  let cards = env.ISSUE_BENCH_CARDS;
  let kiosks = env.ISSUE_BENCH_KIOSKS;
  let cardsFrom = 'ISSUE_BENCH_CARDS';
  let kiosksFrom = 'ISSUE_BENCH_KIOSKS';
  for (const arg of argv) {
    if (arg.startsWith('--cards=')) [cards, cardsFrom] = [arg.slice('--cards='.length), '--cards'];
    else if (arg.startsWith('--kiosks=')) [kiosks, kiosksFrom] = [arg.slice('--kiosks='.length), '--kiosks'];
    else if (/^\d+$/.test(arg)) [cards, cardsFrom] = [arg, 'the cards argument'];
    else throw new BenchUsageError('ARGUMENT_UNKNOWN', `unknown argument '${arg}' (use --cards=N --kiosks=1,4,16)`);
  }
  return {
    cards: cards === undefined ? DEFAULT_CARDS : count(cards, cardsFrom, MAX_CARDS, 'CARDS_INVALID'),
    kiosks: kiosks === undefined ? [...DEFAULT_KIOSKS] : kioskList(kiosks, kiosksFrom),
  };
}

function count(text: string, from: string, max: number, code: 'CARDS_INVALID' | 'KIOSKS_INVALID'): number {
  const n = Number(text);
  if (!/^\d{1,4}$/.test(text) || n < 1 || n > max) throw new BenchUsageError(code, `${from} must be an integer 1..${max}`);
  return n;
}

function kioskList(text: string, from: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  if (parts.length === 0 || parts.length > 8) throw new BenchUsageError('KIOSKS_INVALID', `${from} must list 1..8 fleet sizes, e.g. 1,4,16`);
  return parts.map((p) => count(p, from, MAX_KIOSKS, 'KIOSKS_INVALID'));
}
