/**
 * What bench/modes.ts prints: one row per (mode, RTT), as Markdown so it
 * can go to docs/performance.md as is. Percentiles are nearest-rank
 * (bench/issue/report.ts); with 25 samples p95 is the 24th slowest.
 */
import { percentile } from '../issue/report.js';
import type { Mode } from './options.js';
import type { IssuanceSample } from './sample.js';

export interface ConfigResult {
  mode: Mode;
  rttMs: number;
  /** RTT through the proxy as measured (TCP echo, median). */
  measuredRttMs: number;
  samples: IssuanceSample[];
  /** TCP bytes through the proxy per issuance (request → issued), kiosk → broker and back. */
  tcpUp: number[];
  tcpDown: number[];
}

const ms = (x: number): string => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const p = (xs: number[], q: number): number => percentile(xs, q);
const pair = (xs: number[]): string => `${ms(p(xs, 50))} / ${ms(p(xs, 95))}`;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const kib = (x: number): string => `${(x / 1024).toFixed(1)} KiB`;

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function mainTable(results: readonly ConfigResult[]): string {
  const head = ['mode', 'RTT set / measured ms', 'cards', 'insert→card at gate p50 / p95 ms', 'request→issued p50 / p95 ms', 'round trips', 'write message', 'MQTT payload / issuance', 'TCP bytes / issuance (up + down)', 'kiosk CPU / issuance p50 / p95 ms'];
  return table(
    head,
    results.map((r) => {
      const s = r.samples;
      return [
        r.mode,
        `${r.rttMs} / ${ms(r.measuredRttMs)}`,
        String(s.length),
        pair(s.map((x) => x.insertToIssuedMs)),
        pair(s.map((x) => x.requestToIssuedMs)),
        mean(s.map((x) => x.roundTrips)).toFixed(2),
        `${s[0]?.writeType ?? '?'} ${kib(mean(s.map((x) => x.writeBytes)))}`,
        `${mean(s.map((x) => x.messages)).toFixed(1)} msgs, ${kib(mean(s.map((x) => x.payloadBytes)))}`,
        `${kib(mean(r.tcpUp))} + ${kib(mean(r.tcpDown))}`,
        pair(s.map((x) => x.cpuMs)),
      ];
    }),
  );
}

/** Where the insert → issued time goes, p50 per step. */
export function phaseTable(results: readonly ConfigResult[]): string {
  const head = ['mode', 'RTT ms', 'card sent → write msg received (center + 1 RTT)', 'write msg → result sent (kiosk: open, build, run)', 'result sent → issued received (center + 1 RTT)', 'issued received → issued event (eject: the card is at the gate)', 'rest (feed, SELECT, IU)'];
  return table(
    head,
    results.map((r) => {
      const s = r.samples;
      const rest = s.map((x) => x.insertToIssuedMs - x.cardToWriteMs - x.writeToResultMs - x.resultToIssuedMs - x.issuedToEventMs);
      return [r.mode, String(r.rttMs), ...[s.map((x) => x.cardToWriteMs), s.map((x) => x.writeToResultMs), s.map((x) => x.resultToIssuedMs), s.map((x) => x.issuedToEventMs), rest].map((xs) => ms(p(xs, 50)))];
    }),
  );
}
