/**
 * The setup and the end checks the kill-a-worker tests share (issue 6
 * point 3): a private PostgreSQL and Mosquitto 2 (the files of `cardline
 * broker config`), a site set up through the CLI, `cardline center
 * --worker wN` processes sharing `$share/center/kiosk/+/up`, and, at the
 * end, "ISSUED exactly once": one job ISSUED, one card at the gate that is
 * the job's and reads back equal, no card at the station or in the reject
 * bin, and an audit log that verifies.
 */
import type { Test } from 'tap';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBackCard } from '../../../cli/demo/read-back.js';
import { startMosquitto } from '../../fixtures/mosquitto.js';
import { startPostgres } from '../../fixtures/postgres-server.js';
import { freePort, inspectStore, runCardline, sameCard, setUpSite, spawnCardline, type CardlineProcess } from '../../fixtures/process-rig.js';
import { makeApps, type TestApplication } from '../e2e/local-rig.js';

export const LONG = 90_000;

export interface KillRig {
  site: Awaited<ReturnType<typeof setUpSite>>;
  pg: Awaited<ReturnType<typeof startPostgres>>;
  mosq: Awaited<ReturnType<typeof startMosquitto>>;
  /** The application the kiosk serves, and one that must stay untouched. */
  app: TestApplication;
  other: TestApplication;
  /** Every process started here is stopped at teardown. */
  procs: CardlineProcess[];
  lap: (what: string) => void;
  /** Starts worker `name` on the shared subscription; resolves once it listens. */
  worker(name: string): Promise<CardlineProcess>;
  /** `cardline kiosk --request <app> --once`; the code is written by the test. */
  kiosk(): CardlineProcess;
}

export async function startKillRig(t: Test, prefix: string): Promise<KillRig> {
  const started = Date.now();
  const lap = (what: string): void => t.comment(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const root = await mkdtemp(join(tmpdir(), `cardline-${prefix.toLowerCase()}-`));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const procs: CardlineProcess[] = [];
  t.teardown(async () => {
    for (const p of procs) await p.stop(5_000);
  });
  const pg = await startPostgres(t);
  const [app, other] = makeApps(2, prefix) as [TestApplication, TestApplication];
  const port = await freePort();
  const site = await setUpSite(root, { cards: 3, apps: [app, other], port, database: pg.url, lap });
  const mosq = await startMosquitto({ pkiDir: site.pki, store: { url: pg.url }, port, t });
  lap('site, PostgreSQL and mosquitto up');
  return {
    site,
    pg,
    mosq,
    app,
    other,
    procs,
    lap,
    async worker(name) {
      const p = spawnCardline(name, ['center', ...site.storeArgs, '--broker', mosq.centerUrl, '--broker-pid-file', mosq.pidFile, '--worker', name]);
      procs.push(p);
      await p.waitFor(/^center listening on mqtts:/, LONG, `${name} listening`);
      return p;
    },
    kiosk() {
      const p = spawnCardline('kiosk', [...site.kioskArgs, '--request', app.input.id, '--once']);
      procs.push(p);
      return p;
    },
  };
}

/** The 'message in' log lines of `type` a worker wrote (center/bridge.ts). */
export const messagesIn = (p: CardlineProcess, type: string): string[] => p.err.filter((l) => l.includes('"msg":"message in"') && l.includes(`"type":"${type}"`));

/** The cards (by file name) at one place of the simulated station. */
export async function place(stationDir: string, where: 'ic' | 'gate' | 'reject'): Promise<string[]> {
  return (await readdir(join(stationDir, where))).filter((n) => n.endsWith('.eeprom')).map((n) => n.slice(0, -'.eeprom'.length));
}

/** The kiosk's customer got the card (--once: it exits 0); resolves with its `Result:` line and whether it renewed its session. */
export async function kioskIssued(t: Test, kiosk: CardlineProcess): Promise<{ result: string; renewed: boolean }> {
  const kexit = await kiosk.waitExit(LONG, 'the kiosk ending its customer (--once)');
  const result = (kiosk.out.find((l) => /Result: /.test(l)) ?? '').trim();
  t.match(result, /Result: issued/, 'the customer got the card: no visible failure');
  t.equal(kexit.code, 0, 'the kiosk exits 0 (issued)');
  return { result, renewed: kiosk.err.some((l) => l.includes('the center is silent: opening a new session')) };
}

/** The store, the station and the audit log say ISSUED exactly once. */
export async function checkIssuedOnce(t: Test, rig: KillRig): Promise<void> {
  const { site, app, other, pg } = rig;
  const report = await inspectStore(site);
  const jobs = report.jobs.filter((j) => j.application_id === app.input.id);
  const issued = jobs.filter((j) => j.state === 'ISSUED');
  t.comment(`${app.input.id}: jobs ${jobs.map((j) => `${j.state}(attempt ${j.attempt}${j.reason ? `, ${j.reason}` : ''})`).join(', ')}`);
  t.equal(issued.length, 1, 'ISSUED exactly once');
  t.equal(report.applications.find((a) => a.id === app.input.id)?.status, 'issued', 'the application is issued');
  t.equal(report.applications.find((a) => a.id === other.input.id)?.status, 'pending', 'the other application untouched');
  const gate = await place(site.stationDir, 'gate');
  t.equal(gate.length, 1, 'exactly one card at the gate');
  t.ok(sameCard(issued[0]?.card_serial ?? null, gate[0] ?? ''), "it is the ISSUED job's card");
  if (gate[0]) t.same(await readBackCard(join(site.stationDir, 'gate', `${gate[0]}.eeprom`), app, () => undefined), [], 'it reads back equal to the application');
  t.same(await place(site.stationDir, 'ic'), [], 'no card left at the station');
  t.same(await place(site.stationDir, 'reject'), [], 'no card in the reject bin');
  t.ok(report.audit.ok, `the audit log verifies (${report.audit.entries} entries, ${report.audit.checkpoints} checkpoints)`);
  t.same(report.audit.problems, [], 'no audit problems');
  const verified = await runCardline(['audit', 'verify', '--database', pg.url, '--center-key', join(site.pki, 'center', 'signing.pub')]);
  t.match(verified.out, /^verified: every leaf hash/m, 'cardline audit verify exits 0 and says so');
}
