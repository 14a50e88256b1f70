/**
 * Relay mode against sealed mode (issue 4; DESIGN §3 and §3 "Sealed mode")
 * with 0, 20 and 100 ms of network round-trip time between the kiosk and
 * the center.
 *
 * - The center (Aedes with mutual TLS on loopback, PGlite) runs in this
 *   process; the kiosk runs in its own (modes/kiosk-child.ts), over a
 *   simulated station, so that its CPU time is measured alone.
 * - The RTT is injected honestly, on the wire: the kiosk connects to a TCP
 *   proxy (modes/delay-proxy.ts) that holds every chunk RTT/2 in each
 *   direction, in order, before passing it to the broker or back. TLS and
 *   MQTT (PUBACKs included) run through it unchanged. The setting's real RTT
 *   is measured with a TCP echo through the same proxy and printed.
 * - Per configuration: the kiosk is switched to the mode at the center
 *   (center/registry.ts setKioskMode), a fresh kiosk process connects
 *   through a fresh proxy, serves one warm-up card (TLS, JIT) and then N
 *   customers back to back. Configurations run interleaved (relay 0,
 *   sealed 0, relay 20, …) on one center.
 *
 * Prints per configuration: insert-card → card at the gate, insert-card →
 * issued (the screen) and request → issued p50/p95, round trips the kiosk waits on in insert → issued, the write
 * message (script or package) and all MQTT payload bytes per issuance,
 * TCP bytes per issuance through the proxy, and the kiosk process's CPU per
 * issuance (which includes the simulated card, the same in both modes);
 * then the CPU of what differs between the modes, measured alone
 * (modes/kiosk-work.ts).
 *
 * Run: node --import tsx bench/modes.ts [--cards=25] [--rtt=0,20,100]
 *      [--modes=relay,sealed] [--card=off|reference]; `make bench` runs it with the defaults.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../common/clock.js';
import { silentLogger } from '../common/log.js';
import { loadLine, machineLine } from './issue/report.js';
import { startDelayProxy } from './modes/delay-proxy.js';
import { KioskProcess } from './modes/kiosk-process.js';
import { ModesUsageError, parseModesOptions, type Mode, type ModesBenchOptions } from './modes/options.js';
import { mainTable, phaseTable, type ConfigResult } from './modes/report.js';
import { measureKioskWork } from './modes/kiosk-work.js';
import { measureRtt } from './modes/rtt-probe.js';
import { startSite, type Site } from './modes/site.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const LOW_SCRYPT = { logN: 10, r: 8, p: 1 };

async function runConfig(site: Site, o: ModesBenchOptions, mode: Mode, rttMs: number): Promise<ConfigResult> {
  await site.setMode(mode);
  const measuredRttMs = await measureRtt(rttMs);
  const proxy = await startDelayProxy({ host: '127.0.0.1', port: site.brokerPort }, rttMs);
  const customers = await site.addCustomers(o.cards + 1);
  try {
    const kiosk = await KioskProcess.start({
      identityDir: site.kiosk.dir,
      machineSecretFile: site.kiosk.machineSecret,
      brokerUrl: `mqtts://127.0.0.1:${proxy.port}`,
      stationDir: site.stationDir,
      cardLatency: o.card,
    });
    try {
      const [warm, ...measured] = customers;
      await kiosk.request(warm!.application, warm!.code);
      const result: ConfigResult = { mode, rttMs, measuredRttMs, samples: [], tcpUp: [], tcpDown: [] };
      for (const c of measured) {
        const before = proxy.bytes();
        const sample = await kiosk.request(c.application, c.code);
        const after = proxy.bytes();
        if (sample.writeType !== (mode === 'relay' ? 'script' : 'package')) throw new Error(`${mode} mode, but the center sent a ${sample.writeType}`);
        result.samples.push(sample);
        result.tcpUp.push(after.up - before.up);
        result.tcpDown.push(after.down - before.down);
      }
      return result;
    } finally {
      await kiosk.stop();
    }
  } finally {
    await proxy.close();
  }
}

async function main(): Promise<void> {
  let o: ModesBenchOptions;
  try {
    o = parseModesOptions(process.argv.slice(2), process.env);
  } catch (e) {
    if (!(e instanceof ModesUsageError)) throw e;
    console.error(`bench/modes.ts: ${e.message}`);
    process.exitCode = 2;
    return;
  }
  const started = performance.now();
  console.log('Relay mode against sealed mode, with injected network round-trip time (TCP delay proxy between the kiosk and the broker, RTT/2 each way)');
  console.log(`machine: ${machineLine()}`);
  console.log(`before: ${loadLine()}`);
  console.log(`${o.cards} measured issuances per configuration after one warm-up; card latency model '${o.card}'; scrypt logN ${LOW_SCRYPT.logN} for the codes (S230 is outside insert → issued); the per-kiosk request limit is lifted`);
  const dir = await mkdtemp(join(tmpdir(), 'cardline-bench-modes-'));
  const configs = o.rtts.flatMap((rtt) => o.modes.map((mode) => ({ mode, rtt })));
  try {
    const site = await startSite({ dir, cards: configs.length * (o.cards + 1) + 2, scrypt: LOW_SCRYPT, requestsPerMinute: 1_000_000, clock: systemClock, logger: silentLogger, random });
    const results: ConfigResult[] = [];
    try {
      for (const c of configs) {
        const t0 = performance.now();
        const r = await runConfig(site, o, c.mode, c.rtt);
        results.push(r);
        console.log(`  ${c.mode}, RTT ${c.rtt} ms (measured ${r.measuredRttMs.toFixed(1)}): ${r.samples.length} cards in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      }
    } finally {
      await site.stop();
    }
    console.log('\nPer issuance (p50 / p95, nearest rank; kiosk CPU = its process, user + system, simulated card included)\n');
    console.log(mainTable(results));
    console.log('\nWhere insert → issued goes (p50 ms)\n');
    console.log(phaseTable(results));
    const w = measureKioskWork();
    console.log('\nCPU per card of what differs between the modes, measured alone (modes/kiosk-work.ts, 300 cards, one thread)\n');
    console.log('| mode | center | kiosk |\n|---|---|---|');
    console.log(`| relay: center builds the script / kiosk decodes its hex | ${w.relayCenter.toFixed(2)} ms | ${w.relayKiosk.toFixed(2)} ms |`);
    console.log(`| sealed: center derives keys, seals / kiosk opens, builds, wipes | ${w.sealedCenter.toFixed(2)} ms | ${w.sealedKiosk.toFixed(2)} ms |`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  console.log(`\nafter: ${loadLine()}`);
  console.log(`total ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

await main();
