/**
 * Issuance end to end: the embedded center (Aedes with mutual TLS on
 * loopback, PGlite) and K kiosk agents, each with its own simulated station,
 * in one process, composed as `cardline demo` composes them (cli/demo/run.ts).
 *
 * Prints, per configuration (K kiosks × card latency model × scrypt cost):
 * - issuance latency p50/p99, measured at the kiosk from its 'insert-card'
 *   event (the card is fed) to its 'issued' event (the card is at the gate);
 * - the customer's wait, request → issued, which adds S230 (the one-time
 *   code check, a deliberately slow scrypt) before the card is inserted;
 * - issuances per second with every kiosk serving customers back to back;
 * - where a card's time goes, step by step, and the messages per card
 *   (round trips the kiosk waits on, and all protocol messages).
 *
 * Throughput rows use scrypt { logN: 10, r: 8, p: 1 } (said so in the
 * output); one row at K = 4 uses the default cost, for honesty.
 *
 * Run: node --import tsx bench/issue.ts [--cards=N] [--kiosks=1,4,16]
 *      (or ISSUE_BENCH_CARDS, ISSUE_BENCH_KIOSKS; defaults 40 and 1,4,16;
 *      ISSUE_BENCH_LOG=warn prints the components' logs to stderr)
 */
import { randomBytes } from 'node:crypto';
import { DEFAULT_SCRYPT, type ScryptParams } from '../center/code-hash.js';
import { DEFAULT_LIMITS } from '../center/deps.js';
import { systemClock } from '../common/clock.js';
import { jsonLogger, parseLogLevel, silentLogger, type Logger } from '../common/log.js';
import { REFERENCE_LATENCY } from '../hardware/sim/card/index.js';
import { BenchUsageError, parseOptions, type IssueBenchOptions } from './issue/options.js';
import { loadLine, machineLine, messageLines, phaseTable, throughputTable } from './issue/report.js';
import { runConfig, type ConfigResult, type ConfigSpec, type RunDeps } from './issue/run-config.js';

const LOW_SCRYPT: ScryptParams = { logN: 10, r: 8, p: 1 };
const scryptName = (p: ScryptParams): string => `logN ${p.logN}`;
/** The K of the default-scrypt row (the brief: "one run with the default scrypt cost, at K=4"). */
const HONEST_K = 4;
/**
 * The center's per-kiosk request limit is 30 a minute by default (center/deps.ts): one kiosk
 * serving customers back to back asks faster than that, so the bench lifts it.
 */
const REQUESTS_PER_MINUTE = 1_000_000;

/** ISSUE_BENCH_LOG=warn (or info, debug) sends the components' JSON logs to stderr; silent by default. */
function benchLogger(level: string | undefined): Logger {
  if (level === undefined || level === '') return silentLogger;
  const parsed = parseLogLevel(level);
  if (parsed === undefined) throw new BenchUsageError('ARGUMENT_UNKNOWN', 'ISSUE_BENCH_LOG must be debug, info, warn or error');
  return jsonLogger({ write: (line) => process.stderr.write(line), level: parsed, ns: 'bench' });
}

function specs(o: IssueBenchOptions): ConfigSpec[] {
  const low = { scryptName: scryptName(LOW_SCRYPT), scrypt: LOW_SCRYPT, cards: o.cards, requestsPerMinute: REQUESTS_PER_MINUTE };
  return [
    ...o.kiosks.map((k) => ({ ...low, kiosks: k, latencyName: 'off' })),
    ...o.kiosks.map((k) => ({ ...low, kiosks: k, latencyName: 'reference', latency: REFERENCE_LATENCY })),
    { scryptName: `${scryptName(DEFAULT_SCRYPT)} (default)`, scrypt: DEFAULT_SCRYPT, cards: o.cards, kiosks: HONEST_K, latencyName: 'off', requestsPerMinute: REQUESTS_PER_MINUTE },
  ];
}

async function main(): Promise<void> {
  let opts: IssueBenchOptions;
  let deps: RunDeps;
  try {
    opts = parseOptions(process.argv.slice(2), process.env);
    deps = { clock: systemClock, logger: benchLogger(process.env.ISSUE_BENCH_LOG), random: (n) => new Uint8Array(randomBytes(n)) };
  } catch (e) {
    if (!(e instanceof BenchUsageError)) throw e;
    console.error(`bench/issue.ts: ${e.message}`);
    process.exitCode = 2;
    return;
  }
  const started = performance.now();
  console.log('Issuance end to end: embedded center (Aedes mTLS on loopback + PGlite) and K kiosks with simulated stations, one process');
  console.log(`machine: ${machineLine()}`);
  console.log(`before: ${loadLine()}`);
  console.log(`${opts.cards} measured cards per configuration (after one warm-up card per kiosk); K = ${opts.kiosks.join(', ')}`);
  console.log(
    `scrypt: rows marked '${scryptName(LOW_SCRYPT)}' store and check one-time codes at { logN: ${LOW_SCRYPT.logN}, r: ${LOW_SCRYPT.r}, p: ${LOW_SCRYPT.p} } ` +
      `instead of the default { logN: ${DEFAULT_SCRYPT.logN}, r: ${DEFAULT_SCRYPT.r}, p: ${DEFAULT_SCRYPT.p} }. The code check (S230) runs before the card ` +
      `is inserted: it is outside insert→issued, inside request→issued and issued/s.`,
  );
  console.log(
    `rate limit: the center's per-kiosk request limit (default ${DEFAULT_LIMITS.requestsPerMinute} a minute) is lifted to ${REQUESTS_PER_MINUTE} ` +
      `for the bench: kiosks here serve customers back to back.`,
  );
  console.log("card latency: 'off' = simulator CPU and EEPROM-image writes only; 'reference' = REFERENCE_LATENCY (hardware/sim/card/latency.ts)\n");

  const warm = await runConfig({ kiosks: 2, cards: 4, latencyName: 'off', scryptName: 'low', scrypt: LOW_SCRYPT, requestsPerMinute: REQUESTS_PER_MINUTE }, deps);
  console.log(`warm-up (discarded): ${warm.samples.length} cards at K=2 in ${(warm.wallMs / 1000).toFixed(1)} s`);
  const results: ConfigResult[] = [];
  for (const spec of specs(opts)) {
    const r = await runConfig(spec, deps);
    results.push(r);
    console.log(`  ${spec.latencyName}, ${spec.scryptName}, K=${spec.kiosks}: ${r.samples.length} cards in ${(r.wallMs / 1000).toFixed(1)} s`);
  }

  console.log('\nThroughput and latency (p50 / p99, nearest rank; CPU = process CPU over wall time, all threads)\n');
  console.log(throughputTable(results));
  const byLatency = (name: string): ConfigResult[] => results.filter((r) => r.spec.latencyName === name && r.spec.scrypt === LOW_SCRYPT);
  const ends = (rs: ConfigResult[]): ConfigResult[] => (rs.length > 1 ? [rs[0]!, rs.at(-1)!] : rs);
  console.log('\nWhere a card\'s time goes (p50 / p99 ms per step, measured at the kiosk)\n');
  console.log(phaseTable([...ends(byLatency('off')), ...ends(byLatency('reference')), results.at(-1)!]));
  console.log('\nMessages per card (first configuration)\n');
  for (const line of messageLines(results[0]!)) console.log(`- ${line}`);
  console.log(`\nafter: ${loadLine()}`);
  console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

await main();
