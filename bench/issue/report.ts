/**
 * What bench/issue.ts prints: the machine, then tables of its figures.
 * Percentiles are nearest-rank (the smallest sample with at least p % of the
 * samples at or below it); with 40 samples p99 is the slowest card.
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import type { ConfigResult } from './run-config.js';
import type { CardSample } from './timeline.js';

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** CPU model (from /proc/cpuinfo when there is one), cores, memory, Node version and the load averages now. */
export function machineLine(): string {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m?.[1]) model = m[1].trim();
  } catch {
    // Not Linux: os.cpus() named it.
  }
  return `${model}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}

export function loadLine(): string {
  return `load average ${loadavg().map((x) => x.toFixed(2)).join(', ')} (1, 5, 15 min) on ${cpus().length} cores`;
}

const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const pair = (values: number[]): string => `${ms(percentile(values, 50))} / ${ms(percentile(values, 99))}`;
const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** Throughput and latency, one row per configuration (Markdown, so it can go to docs/performance.md as is). */
export function throughputTable(results: readonly ConfigResult[]): string {
  const head = ['card latency', 'scrypt', 'K', 'cards', 'issued/s', 'insert→issued p50 / p99 ms', 'request→issued p50 / p99 ms', 'CPU', 'event loop busy', 'store busy'];
  return table(
    head,
    results.map((r) => {
      const s = r.samples;
      return [
        r.spec.latencyName,
        r.spec.scryptName,
        String(r.spec.kiosks),
        String(s.length),
        ((s.length * 1000) / r.wallMs).toFixed(2),
        pair(s.map((x) => x.insertToIssuedMs)),
        pair(s.map((x) => x.requestToIssuedMs)),
        `${((r.cpuMs / r.wallMs) * 100).toFixed(0)} % (${ms(r.cpuMs / s.length)} ms/card)`,
        `${(r.elu * 100).toFixed(0)} %`,
        `${((r.dbBusyMs / r.wallMs) * 100).toFixed(0)} %`,
      ];
    }),
  );
}

const PHASES: [string, (s: CardSample) => number][] = [
  ['S230 request → insert-card (code check, job)', (s) => s.s230Ms],
  ['insert-card → card sent (feed, SELECT, INITIALIZE UPDATE)', (s) => s.feedAndReadMs],
  ['card sent → script received (center: card auth, script)', (s) => s.cardAuthMs],
  ['script received → result sent (relay to the card)', (s) => s.relayMs],
  ['result sent → issued received (center: verify, ISSUED)', (s) => s.verifyMs],
  ['issued received → issued event (eject, card-done)', (s) => s.ejectMs],
];

/** Where one card's time goes, p50 / p99 per step, one column per configuration given. */
export function phaseTable(results: readonly ConfigResult[]): string {
  const head = ['step', ...results.map((r) => `${r.spec.latencyName}, ${r.spec.scryptName}, K=${r.spec.kiosks} (ms)`)];
  return table(
    head,
    PHASES.map(([name, f]) => [name, ...results.map((r) => pair(r.samples.map(f)))]),
  );
}

/** Messages per card, from the first configuration's samples (the protocol does not depend on timing). */
export function messageLines(r: ConfigResult): string[] {
  const s = r.samples;
  const up: Record<string, number> = {};
  for (const x of s) for (const [t, n] of Object.entries(x.upInWindow)) up[t] = (up[t] ?? 0) + n;
  const upList = Object.entries(up).map(([t, n]) => `${t} ×${(n / s.length).toFixed(2)}`).join(', ');
  const perCard = (f: (x: CardSample) => number): string => mean(s.map(f)).toFixed(2);
  return [
    `round trips per card (insert-card → issued, kiosk waits on the center): ${perCard((x) => x.roundTrips)}`,
    `kiosk → center messages per card in that window: ${perCard((x) => Object.values(x.upInWindow).reduce((a, b) => a + b, 0))} (${upList})`,
    `protocol messages per card, request → issued: ${perCard((x) => x.upTotal)} up + ${perCard((x) => x.downTotal)} down = ${perCard((x) => x.upTotal + x.downTotal)}`,
    `center store calls per card: ${(r.dbCalls / s.length).toFixed(1)} (top-level queries and transactions); audit entries per card: ${(r.auditEntries / s.length).toFixed(1)}`,
  ];
}
