/**
 * The fleet at scale (issue 6 point 5): K kiosks, each with its own
 * certificate from the fleet's issuing CA and its own mutual-TLS MQTT
 * connection, issuing cards against Mosquitto 2 + PostgreSQL + W center
 * worker processes (`cardline center --broker … --database … --worker wN`).
 * The bench starts its own PostgreSQL (initdb, random port) and Mosquitto
 * (generated config, random port) and stops them; never the system's.
 *
 * Phases:
 * 1. set-up (not measured): dev PKI, K issuing kiosks' identities and
 *    stocked simulated stations plus the reconnect phase's light kiosks
 *    (bench/fleet/kiosk-fleet.ts, its own process), all registered in
 *    PostgreSQL with one application per customer (lowered scrypt);
 * 2. load: the K kiosks connected; customers offered at R/s for S s;
 *    issuances/s, latency p50/p99, CPU and memory per component;
 * 3. reconnect (N > 0): N kiosks connected (K issuing + N − K light), load
 *    offered again, the broker restarted 3 s in; time for every kiosk to be
 *    back, then jobs lost or duplicated, from the database.
 *
 * Run: node --import tsx bench/fleet.ts [--kiosks=N] [--workers=W]
 *      [--duration=S] [--reconnect-kiosks=N] [--rate=R]
 *      [--cards-per-kiosk=N] [--profile]   (or FLEET_BENCH_* variables,
 *      bench/fleet/options.ts). The defaults take a few minutes; the
 *      issue's targets: --kiosks=1000 --rate=200 --reconnect-kiosks=10000.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../common/clock.js';
import { silentLogger } from '../common/log.js';
import { sealDevKiosk } from '../kiosk/keystore/index.js';
import { initDevPki } from '../provisioning/pki/dev-pki.js';
import { startMosquitto, type RunningMosquitto } from '../test/fixtures/mosquitto.js';
import { startPostgres, type PostgresServer } from '../test/fixtures/postgres-server.js';
import { loadLine, machineLine } from './issue/report.js';
import { accountJobs, waitQuiet } from './fleet/db-check.js';
import { ensureOpenFiles } from './fleet/fd-limit.js';
import { connectionsTo, FleetProcess } from './fleet/fleet-process.js';
import { FleetBenchUsageError, parseFleetOptions, RESTART_AFTER_S, RESTART_LOAD_S, type FleetBenchOptions } from './fleet/options.js';
import { Meter, processTree, singleProcess, type Component } from './fleet/proc-meter.js';
import { PgWaits, waitLines } from './fleet/pg-waits.js';
import { profilesIn, postgresPid } from './fleet/site.js';
import { LOW_SCRYPT, provisionSite } from './fleet/provision.js';
import { loadLines, reconnectLines, usageTable } from './fleet/report.js';
import { startWorker, type Worker } from './fleet/workers.js';
import { profileLines, summarizeProfile } from './fleet/profile-summary.js';
import type { RequestSample } from './fleet/protocol.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const say = (line = ''): void => console.log(line);
const secs = (t0: number): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

async function run(o: FleetBenchOptions, cleanups: (() => Promise<unknown>)[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-bench-fleet-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const profileDir = o.profile ? await mkdtemp(join(tmpdir(), 'cardline-fleet-profiles-')) : undefined;
  let t = performance.now();
  const pkiDir = join(dir, 'pki');
  await initDevPki(pkiDir, { kiosks: [], random, clock: systemClock, sealKiosk: sealDevKiosk });
  const pg: PostgresServer = await startPostgres();
  cleanups.push(() => pg.stop());
  const fleet = new FleetProcess(profileDir);
  cleanups.push(() => fleet.stop());
  const light = o.reconnectKiosks > 0 ? o.reconnectKiosks - o.kiosks : 0;
  const prov = await fleet.ask({ type: 'provision', dir, pkiDir, issuing: o.kiosks, light, cardsPerKiosk: o.cardsPerKiosk + 1 }, 'provisioned');
  say(`set-up: ${o.kiosks + light} kiosk identities (P-256 key, certificate from the issuing CA, Ed25519, X25519) in ${(prov.identityMs / 1000).toFixed(1)} s; ${o.kiosks} stations × ${o.cardsPerKiosk + 1} prepared cards in ${(prov.stationMs / 1000).toFixed(1)} s`);
  t = performance.now();
  const customers = await provisionSite({ pkiDir, databaseUrl: pg.url, clock: systemClock, logger: silentLogger, random, progress: (l) => process.stderr.write(`  ${l}\n`) }, prov.kiosks, o.cardsPerKiosk);
  say(`set-up: registered in PostgreSQL (kiosks, readers, batches, ${o.kiosks * o.cardsPerKiosk} applications at scrypt logN ${LOW_SCRYPT.logN}) in ${secs(t)}`);
  t = performance.now();
  const mosq: RunningMosquitto = await startMosquitto({ pkiDir, store: { url: pg.url } });
  cleanups.push(() => mosq.dispose());
  const workers: Worker[] = [];
  cleanups.push(async () => {
    for (const w of workers) await w.stop();
  });
  for (let i = 1; i <= o.workers; i++) {
    const wo = { name: `w${i}`, pkiDir, databaseUrl: pg.url, brokerUrl: mosq.centerUrl, brokerPidFile: mosq.pidFile, dbPool: o.dbPool, dbLockConnections: o.dbLockConnections, ...(profileDir && i === 1 ? { cpuProfDir: profileDir } : {}) };
    // A worker reads the broker's dynsec client list at start (5 s limit): with 10,000 clients on a loaded machine it can time out. Said, and tried again.
    for (let attempt = 1; ; attempt++) {
      try {
        workers.push(await startWorker(wo));
        break;
      } catch (e) {
        if (attempt === 3) throw e;
        say(`set-up: worker ${wo.name} did not start (attempt ${attempt}): ${(e instanceof Error ? e.message : String(e)).split('\n').slice(0, 2).join(' ')}`);
      }
    }
  }
  say(`set-up: mosquitto (pid ${mosq.pid}, ${mosq.url}) and ${o.workers} workers up in ${secs(t)}`);
  const components: Component[] = [
    { name: 'mosquitto', pids: () => [mosq.pid] },
    processTree('postgresql (all its processes)', await postgresPid(pg.url)),
    ...workers.map((w) => singleProcess(`center worker ${w.name}`, w.pid)),
    singleProcess('kiosk fleet (kiosks + simulated cards)', fleet.pid),
  ];

  t = performance.now();
  const conn = await fleet.ask({ type: 'connect', brokerUrl: mosq.url, light: false }, 'connected');
  const tcp = connectionsTo(mosq.port, fleet.pid);
  const held = tcp.from;
  say(`\n## Load: ${o.kiosks} kiosks, ${o.workers} workers, ${o.rate}/s offered for ${o.durationS} s\n`);
  say(`connected and ready (reader authenticated) in ${(conn.ms / 1000).toFixed(1)} s; not ready: ${conn.notReady.length}`);
  say(`connections held: ${held} established TCP connections from the kiosk-fleet process to the broker; the broker's kiosk listener holds ${tcp.server}`);
  const waits = await PgWaits.start(pg.url);
  const meter = new Meter(components);
  const sampler = setInterval(() => meter.sample(), 1000);
  const loaded = await fleet.ask({ type: 'load', customers, rate: o.rate, durationS: o.durationS }, 'loaded');
  clearInterval(sampler);
  const usage = meter.end();
  const load = loadLines(loaded.result, { kiosks: o.kiosks, rate: o.rate, durationS: o.durationS, held });
  for (const l of [...load.lines, ...waitLines(await waits.stop(), load.issued)]) say(`- ${l}`);
  say('\nCPU and memory over the load phase:\n');
  say(usageTable(usage));
  const samples: RequestSample[] = [...loaded.result.samples];

  if (o.reconnectKiosks > 0) {
    t = performance.now();
    const conn2 = await fleet.ask({ type: 'connect', brokerUrl: mosq.url, light: true }, 'connected');
    const tcp2 = connectionsTo(mosq.port, fleet.pid);
    say(`\n## Broker restart: ${o.reconnectKiosks} kiosks (${o.kiosks} issuing + ${light} light), load ${o.rate}/s for ${RESTART_LOAD_S} s, restart ${RESTART_AFTER_S} s in\n`);
    say(`${light} light kiosks connected (welcome received) in ${(conn2.ms / 1000).toFixed(1)} s; not back: ${conn2.notReady.length}; connections held: ${tcp2.from} from the fleet process (the kiosk listener holds ${tcp2.server})`);
    const reconnected = fleet.expect('reconnected');
    await fleet.ask({ type: 'watch-reconnect', timeoutS: o.reconnectKiosks > 1000 ? 300 : 120 }, 'watching');
    const loading = fleet.ask({ type: 'load', rate: o.rate, durationS: RESTART_LOAD_S }, 'loaded');
    await new Promise((r) => setTimeout(r, RESTART_AFTER_S * 1000));
    const waits2 = await PgWaits.start(pg.url);
    const meter2 = new Meter(components);
    const sampler2 = setInterval(() => meter2.sample(), 1000);
    const down0 = performance.now();
    await mosq.restart();
    const brokerDownMs = performance.now() - down0;
    const rec = await reconnected;
    clearInterval(sampler2);
    const usage2 = meter2.end();
    const waited2 = await waits2.stop();
    const loaded2 = await loading;
    samples.push(...loaded2.result.samples);
    const live = await waitQuiet(pg.url, 60_000);
    const jobs = await accountJobs(pg.url, samples);
    for (const l of reconnectLines(rec.result, jobs, { brokerDownMs })) say(`- ${l}`);
    say(`- load around the restart: ${outcomeLine(loaded2.result.samples)}; ${live} jobs still live after up to 60 s of waiting for quiet`);
    for (const l of waitLines(waited2, 0)) say(`- from the restart until all were back: ${l}`);
    say('\nCPU and memory from the restart until every kiosk was back:\n');
    say(usageTable(usage2));
  } else {
    const jobs = await accountJobs(pg.url, samples);
    say(`\n- jobs: lost ${jobs.stuckLive + jobs.seenIssuedNotIssued}, duplicated ${jobs.duplicatedApplications + jobs.duplicatedCards} (no broker restart: --reconnect-kiosks=0)`);
  }
  if (profileDir) {
    // The profiles are written when the processes exit.
    await fleet.stop();
    for (const w of workers) await w.stop();
    say(`\n## CPU profiles (${profileDir})\n`);
    for (const [label, pid] of [['center worker w1', workers[0]!.pid], ['kiosk fleet', fleet.pid]] as const) {
      const file = (await profilesIn(profileDir)).find((f) => f.pid === pid);
      if (!file) say(`${label}: no profile written`);
      else for (const l of profileLines(`${label} (${file.path})`, await summarizeProfile(file.path))) say(l);
    }
  }
}

/** Requests by outcome (and reason), e.g. `issued ×60, timeout ×1`. */
function outcomeLine(samples: readonly RequestSample[]): string {
  const n = new Map<string, number>();
  for (const s of samples) n.set(`${s.outcome}${s.reason ? ` (${s.reason})` : ''}`, (n.get(`${s.outcome}${s.reason ? ` (${s.reason})` : ''}`) ?? 0) + 1);
  return `${samples.length} requests: ${[...n].map(([k, v]) => `${k} ×${v}`).join(', ')}`;
}

async function main(): Promise<void> {
  let o: FleetBenchOptions;
  try {
    o = parseFleetOptions(process.argv.slice(2), process.env);
  } catch (e) {
    if (!(e instanceof FleetBenchUsageError)) throw e;
    console.error(`bench/fleet.ts: ${e.message}`);
    process.exitCode = 2;
    return;
  }
  // One socket per kiosk in the broker and in the fleet process, plus files, PostgreSQL and the workers.
  const fds = ensureOpenFiles(Math.max(o.reconnectKiosks, o.kiosks) + 4096);
  const started = performance.now();
  say('Fleet at scale: K kiosks (own certificate, own mutual-TLS MQTT connection) → Mosquitto 2 → W center workers → PostgreSQL, on this machine');
  say(`machine: ${machineLine()}; date ${new Date().toISOString().slice(0, 10)}; open files ${fds.soft}${fds.raised ? ' (raised by prlimit)' : ''}`);
  say(`before: ${loadLine()}`);
  say(`kiosks ${o.kiosks}, workers ${o.workers}, offered ${o.rate}/s for ${o.durationS} s, ${o.cardsPerKiosk} customers per kiosk, reconnect kiosks ${o.reconnectKiosks}${o.profile ? ', CPU profiles' : ''}; per worker: PostgreSQL pool ${o.dbPool || 'default (10)'}, lock connections ${o.dbLockConnections || 'default (10)'}`);
  say(`settings: scrypt logN ${LOW_SCRYPT.logN} for the one-time codes (default 15); simulated cards with no latency model; PostgreSQL with fsync off (the test server's settings)`);
  const cleanups: (() => Promise<unknown>)[] = [];
  // Interrupted (Ctrl-C, make's SIGTERM): the bench's own servers and processes are stopped, never left behind.
  const interrupted = (signal: NodeJS.Signals): void => {
    console.error(`bench/fleet.ts: ${signal}: stopping its processes`);
    void (async () => {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
      process.exit(130);
    })();
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    await run(o, cleanups);
  } catch (e) {
    console.error(`bench/fleet.ts: the run failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  } finally {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error(`cleanup: ${e instanceof Error ? e.message : String(e)}`));
  }
  say(`\nafter: ${loadLine()}`);
  say(`total ${secs(started)}`);
}

await main();
