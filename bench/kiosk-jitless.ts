/**
 * The kiosk process with and without `node --jitless` (issue 4 point 5):
 * MemoryDenyWriteExecute=yes (systemd.exec(5)) forbids the writable and
 * executable memory V8's JIT needs, so the kiosk unit can have it only if
 * the kiosk runs jitless. bench/issue.ts cannot answer this: it runs the
 * center in the same process, and the center's PGlite is WebAssembly,
 * which --jitless disables. Here the center is its own (JIT) process and
 * only the kiosk process changes, as on the Pi.
 *
 * A site is set up through the CLI (test/fixtures/process-rig.ts), the
 * center started, then for each mode one `cardline kiosk` process serves
 * customers back to back over stdin (one warm-up customer, then N
 * measured). Printed per mode: request → "Result: issued" p50/p99 and the
 * kiosk process's CPU (user + system from /proc/<pid>/stat) per card.
 * Customers are paced to the center's request limit (30 a minute); the
 * kiosk is idle between them, and the idle costs no CPU.
 * Card latency is off (the simulated station as the CLI opens it), so the
 * kiosk's own CPU is as large a share of a card as it can be. Both issuance
 * modes: relay (the kiosk relays the center's script; its crypto is TLS and
 * Ed25519) and sealed (the kiosk opens an X25519 + XChaCha20-Poly1305
 * package and runs SCP03 itself, in JavaScript: what --jitless slows most).
 *
 * The jitless mode also has --no-experimental-fetch (see main), as the unit does.
 *
 * Run: node --import tsx bench/kiosk-jitless.ts [--cards=N] [--modes=relay,sealed]   (defaults 20, both)
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { demoApplications, type DemoApplication } from '../cli/demo/sample-apps.js';
import { setKioskMode, setUpSite, spawnCardline, startCenterProcess, type CardlineProcess, type Site } from '../test/fixtures/process-rig.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const CLK_TCK = 100;
/** The center allows a kiosk 30 requests a minute (center/deps.ts, a fixed window): customers start at most every 2.1 s. */
const PACE_MS = 2100;

function cardsOption(argv: string[]): number {
  const arg = argv.find((a) => a.startsWith('--cards='));
  const n = arg === undefined ? 20 : Number(arg.slice('--cards='.length));
  if (!Number.isInteger(n) || n < 1 || n > 500) throw new RangeError('--cards=N takes 1..500');
  return n;
}

type IssuanceMode = 'relay' | 'sealed';

function modesOption(argv: string[]): IssuanceMode[] {
  const arg = argv.find((a) => a.startsWith('--modes='));
  const modes = arg === undefined ? ['relay', 'sealed'] : arg.slice('--modes='.length).split(',');
  if (modes.length === 0 || modes.some((m) => m !== 'relay' && m !== 'sealed')) throw new RangeError('--modes= takes relay, sealed or both');
  return modes as IssuanceMode[];
}

/** utime + stime of a process, in ms (proc(5) /proc/<pid>/stat fields 14 and 15). */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface ModeResult {
  issuance: IssuanceMode;
  mode: string;
  latencies: number[];
  cpuPerCard: number;
  rssMb: number;
}

/** One customer: writes the application ID and code, resolves with ms until the kiosk prints its result. */
async function serve(kiosk: CardlineProcess, app: DemoApplication, n: number): Promise<number> {
  // Lines from here on are this customer's (the previous one's result is already in).
  const from = kiosk.out.length;
  const t0 = performance.now();
  kiosk.write(`${app.input.id}\n${app.input.code}\n`);
  const line = await kiosk.waitFor(/Result: /, 60_000, `the result of customer ${n}`, { from });
  if (!/Result: issued/.test(line)) throw new Error(`customer ${n} not issued: ${line}`);
  return performance.now() - t0;
}

async function runMode(site: Site, issuance: IssuanceMode, mode: string, nodeOptions: string, apps: DemoApplication[]): Promise<ModeResult> {
  const env = { ...process.env, NODE_OPTIONS: nodeOptions };
  const kiosk = spawnCardline(`kiosk (${issuance}, ${mode})`, site.kioskArgs, { env, logLevel: 'warn' });
  try {
    await kiosk.waitFor(/authenticated\. Ready\./, 60_000, 'the kiosk ready');
    await serve(kiosk, apps[0]!, 0);
    await sleep(PACE_MS);
    const cpu0 = await cpuMs(kiosk.pid);
    const latencies: number[] = [];
    for (let i = 1; i < apps.length; i++) {
      const started = performance.now();
      latencies.push(await serve(kiosk, apps[i]!, i));
      await sleep(Math.max(0, PACE_MS - (performance.now() - started)));
    }
    const cpu = (await cpuMs(kiosk.pid)) - cpu0;
    const status = await readFile(`/proc/${kiosk.pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { issuance, mode, latencies: latencies.sort((a, b) => a - b), cpuPerCard: cpu / latencies.length, rssMb: rssKb / 1024 };
  } finally {
    kiosk.endInput();
    await kiosk.stop(10_000);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const cards = cardsOption(argv);
  const modes = modesOption(argv);
  const root = await mkdtemp(join(tmpdir(), 'cardline-bench-jitless-'));
  let center: CardlineProcess | undefined;
  try {
    // Per issuance mode and node mode: one warm-up and `cards` measured customers, each with its own application.
    const per = cards + 1;
    const apps = demoApplications(modes.length * 2 * per, random, 'JITB');
    const site = await setUpSite(root, { cards: apps.length + 2, apps });
    const store = ['--pki', site.pki, '--data', site.dataDir];
    console.log('The kiosk as a process (tsx loader), center in its own process (JIT), loopback mutual TLS, simulated station (card latency off)');
    console.log(`machine: ${(await readFile('/proc/loadavg', 'utf8')).split(' ').slice(0, 3).join(' ')} load, node ${process.version}; ${cards} measured customers per row after 1 warm-up`);
    const results: ModeResult[] = [];
    let next = 0;
    const take = (): DemoApplication[] => apps.slice(next, (next += per));
    for (const issuance of modes) {
      // PGlite admits one process at a time: the mode is set while the center is down.
      await setKioskMode(store, site.kioskId, issuance);
      center = await startCenterProcess(site);
      results.push(await runMode(site, issuance, 'jit', '', take()));
      // --no-experimental-fetch: under --jitless the first touch of the fetch globals (pg checks `typeof Response` at load)
      // makes Node's bundled undici compile its WebAssembly HTTP parser, and WebAssembly does not exist jitless.
      results.push(await runMode(site, issuance, 'jitless', '--jitless --no-experimental-fetch', take()));
      await center.stop(10_000);
      center = undefined;
    }
    console.log('| issuance | kiosk node | customers | request→issued p50 / p99 ms | kiosk CPU per card ms | kiosk RSS MB |');
    console.log('|---|---|---|---|---|---|');
    for (const r of results) {
      console.log(`| ${r.issuance} | ${r.mode} | ${r.latencies.length} | ${pct(r.latencies, 50).toFixed(0)} / ${pct(r.latencies, 99).toFixed(0)} | ${r.cpuPerCard.toFixed(1)} | ${r.rssMb.toFixed(0)} |`);
    }
  } finally {
    await center?.stop(10_000);
    await rm(root, { recursive: true, force: true });
  }
}

await main();
