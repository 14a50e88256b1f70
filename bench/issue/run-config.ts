/**
 * One measured configuration of bench/issue.ts: a fresh fleet (K kiosks,
 * one latency model, one scrypt cost), one warm-up card per kiosk (TLS
 * sessions, the first PGlite pages, JIT), then every kiosk serves its
 * customers one after another while the kiosks run concurrently. Set-up
 * (PKI, PGlite migrations, stocking hoppers, hashing codes) is not timed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ScryptParams } from '../../center/code-hash.js';
import type { Clock } from '../../common/clock.js';
import type { Logger } from '../../common/log.js';
import type { LatencyModel } from '../../hardware/sim/card/index.js';
import { meterDb } from './db-meter.js';
import { startFleet, type BenchKiosk, type Customer } from './fleet.js';
import type { CardSample } from './timeline.js';

export interface ConfigSpec {
  kiosks: number;
  /** Measured cards in all (rounded up to a multiple of `kiosks`). */
  cards: number;
  latencyName: string;
  latency?: LatencyModel;
  scryptName: string;
  scrypt: ScryptParams;
  requestsPerMinute: number;
}

export interface ConfigResult {
  spec: ConfigSpec;
  samples: CardSample[];
  /** First measured request to the last card issued. */
  wallMs: number;
  /** Process CPU (user + system, every thread: scrypt runs on libuv's pool) over the measured phase. */
  cpuMs: number;
  /** Event-loop utilization over the measured phase (0..1): the one JS thread runs center, broker, kiosks and cards. */
  elu: number;
  dbCalls: number;
  dbBusyMs: number;
  auditEntries: number;
}

export interface RunDeps {
  clock: Clock;
  logger: Logger;
  random: (n: number) => Uint8Array;
}

export class BenchRunError extends Error {
  override readonly name = 'BenchRunError';
  constructor(
    readonly code: 'NOT_ISSUED',
    message: string,
  ) {
    super(message);
  }
}

export async function runConfig(spec: ConfigSpec, deps: RunDeps): Promise<ConfigResult> {
  const perKiosk = Math.ceil(spec.cards / spec.kiosks);
  const dir = await mkdtemp(join(tmpdir(), 'cardline-bench-issue-'));
  try {
    const fleet = await startFleet({ dir, kiosks: spec.kiosks, cardsPerKiosk: perKiosk + 1, scrypt: spec.scrypt, requestsPerMinute: spec.requestsPerMinute, ...(spec.latency ? { latency: spec.latency } : {}), ...deps });
    try {
      await Promise.all(fleet.kiosks.map((k) => serve(k, k.customers.slice(0, 1))));
      await fleet.center.idle();
      const auditBefore = await countAudit(fleet.center.deps.db);
      const meter = meterDb(fleet.center.deps.db);
      const cpu0 = process.cpuUsage();
      const elu0 = performance.eventLoopUtilization();
      const t0 = performance.now();
      const samples = (await Promise.all(fleet.kiosks.map((k) => serve(k, k.customers.slice(1))))).flat();
      const wallMs = performance.now() - t0;
      const elu = performance.eventLoopUtilization(elu0).utilization;
      const cpu = process.cpuUsage(cpu0);
      await fleet.center.idle();
      const dbCalls = meter.calls();
      const dbBusyMs = meter.busyMs();
      meter.stop();
      const auditEntries = (await countAudit(fleet.center.deps.db)) - auditBefore;
      return { spec, samples, wallMs, cpuMs: (cpu.user + cpu.system) / 1000, elu, dbCalls, dbBusyMs, auditEntries };
    } finally {
      await fleet.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One customer after another at one kiosk; any customer not served is a failed run. */
async function serve(k: BenchKiosk, customers: Customer[]): Promise<CardSample[]> {
  const samples: CardSample[] = [];
  for (const c of customers) {
    k.timeline.beginRequest();
    const r = await k.agent.request(c.application, c.code);
    if (r.outcome !== 'issued') throw new BenchRunError('NOT_ISSUED', `${k.id}: ${r.outcome} (${r.reason ?? 'no reason'})`);
    samples.push(k.timeline.take());
  }
  return samples;
}

async function countAudit(db: { query<T>(text: string): Promise<{ rows: T[] }> }): Promise<number> {
  const r = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_entries');
  return r.rows[0]?.n ?? 0;
}
