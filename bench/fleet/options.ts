/**
 * The options of bench/fleet.ts, from argv and the environment (argv wins),
 * checked once, each error naming the flag or variable it came from:
 * `--kiosks=N` (FLEET_BENCH_KIOSKS), `--workers=W` (FLEET_BENCH_WORKERS),
 * `--duration=S` (FLEET_BENCH_DURATION), `--reconnect-kiosks=N`
 * (FLEET_BENCH_RECONNECT_KIOSKS), `--rate=R` (FLEET_BENCH_RATE),
 * `--cards-per-kiosk=N` (FLEET_BENCH_CARDS_PER_KIOSK), `--profile`
 * (FLEET_BENCH_PROFILE=1: node --cpu-prof of worker 1 and of the kiosk fleet),
 * `--db-pool=N` (FLEET_BENCH_DB_POOL), `--db-lock-connections=N`
 * (FLEET_BENCH_DB_LOCK_CONNECTIONS): the workers' `cardline center` flags
 * (0, the default: not passed, the center's own defaults).
 */

export interface FleetBenchOptions {
  /** Issuing kiosks: full kiosks (link + session runner + simulated station), all connected during the load phase. */
  kiosks: number;
  /** Center worker processes sharing `$share/center/kiosk/+/up`. */
  workers: number;
  /** Seconds of offered load. */
  durationS: number;
  /** Kiosks connected when the broker restarts (the issuing ones plus light ones); 0 skips the restart phase. */
  reconnectKiosks: number;
  /** Customers a second offered to the whole fleet (open loop, spread over idle kiosks). */
  rate: number;
  /** Prepared cards in each issuing kiosk's hopper. */
  cardsPerKiosk: number;
  /** Take CPU profiles (node --cpu-prof) of worker 1 and of the kiosk-fleet process. */
  profile: boolean;
  /** Each worker's `--db-pool` (0: not passed). */
  dbPool: number;
  /** Each worker's `--db-lock-connections` (0: not passed). */
  dbLockConnections: number;
}

export const DEFAULTS = { kiosks: 20, workers: 2, durationS: 20, reconnectKiosks: 200, rate: 20 } as const;
/** Hopper size when not given: enough for the offered load plus a tenth, capped (card preparation costs ~28 ms a card here). */
export const MAX_DEFAULT_CARDS = 20;
/** Seconds of load offered around the broker's restart (it restarts RESTART_AFTER_S into it). */
export const RESTART_LOAD_S = 20;
export const RESTART_AFTER_S = 3;

const LIMITS: Record<NumericKey, [min: number, max: number]> = {
  kiosks: [1, 20_000],
  workers: [1, 16],
  durationS: [1, 3600],
  reconnectKiosks: [0, 50_000],
  rate: [1, 10_000],
  cardsPerKiosk: [1, 200],
  dbPool: [0, 1000],
  dbLockConnections: [0, 1000],
};

type NumericKey = 'kiosks' | 'workers' | 'durationS' | 'reconnectKiosks' | 'rate' | 'cardsPerKiosk' | 'dbPool' | 'dbLockConnections';

const FLAGS: Record<string, NumericKey> = {
  '--kiosks': 'kiosks',
  '--workers': 'workers',
  '--duration': 'durationS',
  '--reconnect-kiosks': 'reconnectKiosks',
  '--rate': 'rate',
  '--cards-per-kiosk': 'cardsPerKiosk',
  '--db-pool': 'dbPool',
  '--db-lock-connections': 'dbLockConnections',
};

const ENV: Record<NumericKey, string> = {
  kiosks: 'FLEET_BENCH_KIOSKS',
  workers: 'FLEET_BENCH_WORKERS',
  durationS: 'FLEET_BENCH_DURATION',
  reconnectKiosks: 'FLEET_BENCH_RECONNECT_KIOSKS',
  rate: 'FLEET_BENCH_RATE',
  cardsPerKiosk: 'FLEET_BENCH_CARDS_PER_KIOSK',
  dbPool: 'FLEET_BENCH_DB_POOL',
  dbLockConnections: 'FLEET_BENCH_DB_LOCK_CONNECTIONS',
};

export class FleetBenchUsageError extends Error {
  override readonly name = 'FleetBenchUsageError';
  constructor(
    readonly code: 'ARGUMENT_UNKNOWN' | 'VALUE_INVALID' | 'COMBINATION_INVALID',
    message: string,
  ) {
    super(message);
  }
}

export const USAGE = 'node --import tsx bench/fleet.ts [--kiosks=N] [--workers=W] [--duration=S] [--reconnect-kiosks=N] [--rate=R] [--cards-per-kiosk=N] [--profile] [--db-pool=N] [--db-lock-connections=N]';

export function parseFleetOptions(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): FleetBenchOptions {
  const raw = new Map<NumericKey, { text: string; from: string }>();
  for (const key of Object.keys(ENV) as NumericKey[]) {
    const v = env[ENV[key]];
    if (v !== undefined && v !== '') raw.set(key, { text: v, from: ENV[key] });
  }
  let profile = env.FLEET_BENCH_PROFILE === '1';
  for (const arg of argv) {
    if (arg === '--profile') {
      profile = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const key = eq > 0 ? FLAGS[arg.slice(0, eq)] : undefined;
    if (key === undefined) throw new FleetBenchUsageError('ARGUMENT_UNKNOWN', `unknown argument '${arg}' (usage: ${USAGE})`);
    raw.set(key, { text: arg.slice(eq + 1), from: arg.slice(0, eq) });
  }
  const num = (key: NumericKey, dflt: number): number => {
    const r = raw.get(key);
    if (r === undefined) return dflt;
    const [min, max] = LIMITS[key];
    const n = Number(r.text);
    if (!/^\d{1,6}$/.test(r.text) || n < min || n > max) throw new FleetBenchUsageError('VALUE_INVALID', `${r.from} must be an integer ${min}..${max}, not '${r.text}'`);
    return n;
  };
  const kiosks = num('kiosks', DEFAULTS.kiosks);
  const durationS = num('durationS', DEFAULTS.durationS);
  const rate = num('rate', DEFAULTS.rate);
  const reconnectKiosks = num('reconnectKiosks', Math.max(DEFAULTS.reconnectKiosks, kiosks));
  if (reconnectKiosks !== 0 && reconnectKiosks < kiosks) {
    throw new FleetBenchUsageError('COMBINATION_INVALID', `the reconnect phase includes the ${kiosks} issuing kiosks: --reconnect-kiosks must be 0 or at least --kiosks (${kiosks})`);
  }
  const cardsPerKiosk = num('cardsPerKiosk', Math.min(MAX_DEFAULT_CARDS, Math.ceil((rate * (durationS + (reconnectKiosks > 0 ? RESTART_LOAD_S : 0)) * 1.1) / kiosks) + 1));
  return { kiosks, workers: num('workers', DEFAULTS.workers), durationS, reconnectKiosks, rate, cardsPerKiosk, profile, dbPool: num('dbPool', 0), dbLockConnections: num('dbLockConnections', 0) };
}
