/**
 * Personalization of one simulated card, end to end on the host side
 * (SELECT, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE, INSTALL, STORE DATA,
 * GET STATUS, power cycle, read-back): APDUs per card and time per card,
 * with the latency model off (CPU and EEPROM-image cost only) and with the
 * reference preset (what a real contact card would take).
 *
 * Run: npx tsx bench/card-perso.ts [cards]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemoFlow } from '../cli/card-demo/flow.js';
import { REFERENCE_LATENCY, type LatencyModel } from '../hardware/sim/card/index.js';
import { Hopper } from '../hardware/sim/hopper.js';
import { SimReader } from '../hardware/sim/sim-reader.js';

const CARDS = Number(process.argv[2] ?? 20);
const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function run(label: string, cards: number, latency?: LatencyModel): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-bench-'));
  const kmc = random(16);
  try {
    const hopper = await Hopper.create({ dir, count: cards, stockMasterKey: kmc.slice(), ...(latency ? { latency } : {}) });
    const times: number[] = [];
    let apdus = 0;
    for (let i = 0; i < cards; i++) {
      const card = (await hopper.take())!;
      const reader = new SimReader();
      reader.insert(card);
      const t0 = performance.now();
      const r = await runDemoFlow({ transport: reader, stockMasterKey: kmc, securityLevel: 0x33, random, report: () => undefined });
      times.push(performance.now() - t0);
      if (!r.ok) throw new Error(`card ${card.serial}: ${r.failures.join('; ')}`);
      apdus = r.apdus;
      await reader.close();
    }
    times.sort((a, b) => a - b);
    const total = times.reduce((a, b) => a + b, 0);
    console.log(
      `${label.padEnd(24)} ${cards} cards, ${apdus} APDUs/card: p50 ${percentile(times, 50).toFixed(1)} ms, ` +
        `p99 ${percentile(times, 99).toFixed(1)} ms, ${((cards * 1000) / total).toFixed(1)} cards/s (one reader)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

console.log(`Simulated card personalization at SL 33, node ${process.version}`);
await run('latency model off', CARDS);
await run('reference latency', Math.min(CARDS, 5), REFERENCE_LATENCY);
