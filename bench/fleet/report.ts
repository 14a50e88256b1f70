/**
 * What bench/fleet.ts prints: Markdown tables (they go into
 * docs/performance.md as printed) and lines. Percentiles are nearest-rank
 * (bench/issue/report.ts). Each target is printed with `met` or `MISSED`
 * beside the figure; the figures are never adjusted to the target.
 */
import { percentile } from '../issue/report.js';
import type { JobAccount } from './db-check.js';
import type { Usage } from './proc-meter.js';
import type { LoadResult, ReconnectResult } from './protocol.js';

const ms = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;
const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function usageTable(usage: readonly Usage[]): string {
  return table(
    ['component', 'processes', 'CPU (100 % = one core)', 'CPU s', 'memory (PSS) at end', 'peak'],
    usage.map((u) => [u.name, String(u.processes), `${(u.cores * 100).toFixed(0)} %`, u.cpuS.toFixed(1), mib(u.rssBytes), mib(u.peakRssBytes)]),
  );
}

export interface LoadSummary {
  issued: number;
  issuedPerS: number;
  p50: number;
  p99: number;
  lines: string[];
}

/** The load phase: offered and issued rates, outcomes, latencies, and the 1,000-kiosk target's verdicts. */
export function loadLines(r: LoadResult, o: { kiosks: number; rate: number; durationS: number; held: number }): LoadSummary {
  const issued = r.samples.filter((s) => s.outcome === 'issued');
  const others: Record<string, number> = {};
  for (const s of r.samples) if (s.outcome !== 'issued') others[`${s.outcome}${s.reason ? ` (${s.reason})` : ''}`] = (others[`${s.outcome}${s.reason ? ` (${s.reason})` : ''}`] ?? 0) + 1;
  const req = issued.map((s) => s.requestMs);
  const ins = issued.flatMap((s) => (s.insertToIssuedMs === undefined ? [] : [s.insertToIssuedMs]));
  // Sustained: issued cards whose request started in the offered window, over that window.
  const inWindow = issued.filter((s) => s.at < o.durationS * 1000).length;
  const issuedPerS = inWindow / o.durationS;
  const p50 = percentile(req, 50);
  const p99 = percentile(req, 99);
  const target = o.kiosks >= 1000;
  return {
    issued: issued.length,
    issuedPerS,
    p50,
    p99,
    lines: [
      `offered: ${o.rate}/s for ${o.durationS} s over ${o.kiosks} kiosks = ${Math.floor(o.rate * o.durationS)} arrivals; missed (every kiosk busy): ${r.missed}; out of stock (no kiosk with cards left): ${r.noStock}`,
      `requests: ${r.samples.length}; issued ${issued.length}; other outcomes: ${Object.entries(others).map(([k, n]) => `${k} ×${n}`).join(', ') || 'none'}`,
      `issuances/s (requests started in the window, issued): ${issuedPerS.toFixed(1)}; wall until the last request ended ${(r.wallMs / 1000).toFixed(1)} s`,
      `latency request → issued (the customer's wait: S230 code check, card, two round trips, eject) p50 / p99: ${ms(p50)} / ${ms(p99)} ms`,
      `latency insert-card → issued (the card's part) p50 / p99: ${ms(percentile(ins, 50))} / ${ms(percentile(ins, 99))} ms`,
      ...(target
        ? [
            `target 1,000 kiosks connected: ${o.held} held — ${verdict(o.held >= 1000)}`,
            `target ≥ 200 issuances/s sustained: ${issuedPerS.toFixed(1)} — ${verdict(issuedPerS >= 200)}`,
            `target p99 < 250 ms (request → issued): ${ms(p99)} ms — ${verdict(p99 < 250)}`,
          ]
        : [`(targets apply at 1,000 kiosks; this run has ${o.kiosks})`]),
    ],
  };
}

export function reconnectLines(r: ReconnectResult, jobs: JobAccount, o: { brokerDownMs: number }): string[] {
  const lost = jobs.stuckLive + jobs.seenIssuedNotIssued;
  const dup = jobs.duplicatedApplications + jobs.duplicatedCards;
  const target = r.kiosks >= 10_000;
  return [
    `kiosks: ${r.kiosks}; links dropped: ${r.down}; back: ${r.back}; broker down (stop → listening again): ${ms(o.brokerDownMs)} ms`,
    `time from the first drop to all back: ${r.allBackMs === undefined ? `not all back (${r.kiosks - r.back} missing, e.g. ${r.notBack.slice(0, 5).join(', ')})` : `${(r.allBackMs / 1000).toFixed(1)} s`}; p50 / p99 kiosk back after ${ms(r.p50BackMs)} / ${ms(r.p99BackMs)} ms`,
    `jobs of the requested applications (newest job each): ${Object.entries(jobs.states).map(([s, n]) => `${s} ${n}`).join(', ')} of ${jobs.requested} requested (PENDING: a reservation released when its kiosk's link dropped before a card was bound; nothing was written, the customer may ask again)`,
    `failed/voided by reason: ${Object.entries(jobs.failReasons).map(([s, n]) => `${s} ×${n}`).join(', ') || 'none'}`,
    `lost: ${lost} (still live after the fleet went quiet: ${jobs.stuckLive}; issued at the kiosk but not ISSUED: ${jobs.seenIssuedNotIssued}); duplicated: ${dup} (applications with two ISSUED jobs: ${jobs.duplicatedApplications}; cards on two ISSUED jobs: ${jobs.duplicatedCards}); ISSUED while the customer saw another outcome: ${jobs.issuedUnseen}`,
    ...(target
      ? [`target 10,000 kiosks back within 60 s, zero jobs lost or duplicated: ${r.allBackMs === undefined ? 'not all back' : `${(r.allBackMs / 1000).toFixed(1)} s`}, lost ${lost}, duplicated ${dup} — ${verdict(r.allBackMs !== undefined && r.allBackMs <= 60_000 && lost === 0 && dup === 0)}`]
      : [`(the target applies at 10,000 kiosks; this run has ${r.kiosks})`]),
  ];
}
