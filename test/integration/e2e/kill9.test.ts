/**
 * Issue 3 point 6, "kill -9 of the kiosk or the center mid-session: the
 * same guarantee after restart" — with real processes, set up through the
 * CLI as an operator would (test/fixtures/process-rig.ts):
 *
 * (a) the kiosk is killed with SIGKILL while it writes the script; a new
 *     `cardline kiosk` (no --request: it stays up for customers) reconnects,
 *     says a card is at the station, and the center recovers the job on
 *     that same card;
 * (b) the center is killed with SIGKILL while the kiosk writes; it is
 *     restarted on the same port and data directory, the kiosk reconnects
 *     by itself, and its customer's job is recovered.
 *
 * Either way the application ends ISSUED exactly once with exactly one card
 * at the gate that reads back equal to it (or FAILED with its card in the
 * reject bin), and the audit log verifies.
 */
import t from 'tap';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { readBackCard } from '../../../cli/demo/read-back.js';
import { SimCard } from '../../../hardware/sim/card/index.js';
import { inspectStore, runCardline, sameCard, setUpSite, spawnCardline, startCenterProcess, type CardlineProcess } from '../../fixtures/process-rig.js';
import { makeApps, type TestApplication } from './local-rig.js';

/**
 * The kill lands while the card is being written: EXTERNAL AUTHENTICATE is
 * step 1 of the write script and the STORE DATA blocks (each an EEPROM
 * write with fsync) follow, so the test's reaction to this line comes
 * before the last block commits.
 */
const KILL_AFTER = /step 1\/\d+/;
const LONG = 60_000;
/** Time for the kiosk's mqtt client to write the result to the socket after it logged the script's end. */
const RESULT_IN_FLIGHT_MS = 300;

async function place(stationDir: string, where: 'ic' | 'gate' | 'reject'): Promise<string[]> {
  return (await readdir(join(stationDir, where))).filter((n) => n.endsWith('.eeprom')).map((n) => n.slice(0, -'.eeprom'.length));
}

void t.test('kill -9 of the kiosk, then of the center, mid-script: each job recovers, one card each', async (t) => {
  const started = Date.now();
  const lap = (what: string): void => t.comment(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const root = await mkdtemp(join(tmpdir(), 'cardline-kill9-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const procs: CardlineProcess[] = [];
  // Whatever happens, no process of ours outlives the test.
  t.teardown(async () => {
    for (const p of procs) await p.stop(5_000);
  });
  const [appA, appB] = makeApps(2, 'KILL') as [TestApplication, TestApplication];
  const site = await setUpSite(root, { cards: 4, apps: [appA, appB], lap });
  lap('site set up through the CLI');
  let center = await startCenterProcess(site);
  procs.push(center);
  lap('center listening');

  await t.test('(a) kill -9 of the kiosk while it writes; a restarted kiosk lets the center recover the card', async (t) => {
    const kiosk = spawnCardline('kiosk', [...site.kioskArgs, '--request', appA.input.id, '--once']);
    procs.push(kiosk);
    kiosk.write(`${appA.input.code}\n`);
    // EOF at once: with stdin left open, `kiosk --once` does not exit after its customer (see the report).
    kiosk.endInput();
    const step = await kiosk.waitFor(KILL_AFTER, LONG, 'the kiosk running APDU 1 of the write script');
    const exit = await kiosk.kill9();
    t.equal(exit.signal, 'SIGKILL', 'the kiosk was killed');
    t.comment(`kiosk killed after "${step.trim()}"; its last line: "${kiosk.out.at(-1)?.trim() ?? ''}"`);
    t.same(await place(site.stationDir, 'gate'), [], 'nothing reached the gate');
    const [atStation] = await place(site.stationDir, 'ic');
    t.ok(atStation, 'the card is still at the station');
    if (atStation) {
      // Read from its image, no APDU: nobody holds the station now.
      const app = (await SimCard.open({ statePath: join(site.stationDir, 'ic', `${atStation}.eeprom`) })).inspect().apps[0];
      t.comment(`card at the station: application ${app?.lifeCycleName ?? 'missing'}, DGIs ${[...(app?.dgiTags ?? []), ...(app?.secretDgiTags ?? [])].join(' ') || 'none'}`);
      t.not(app?.lifeCycleName, 'PERSONALIZED', 'the kill came mid-script: its application is not personalized');
    }

    // No --request: the restarted kiosk waits for customers on stdin and stays up for the recovery.
    const again = spawnCardline('kiosk (restarted)', site.kioskArgs);
    procs.push(again);
    await again.waitFor(/Resuming the card at the station/, LONG, 'the center resuming the job on the card at the station');
    const end = await again.waitFor(/Done: please take your card\.|Issuance failed/, LONG, 'the recovered job ending');
    t.comment(`restarted kiosk: ${end.replace(/^.*?(Done|Issuance)/, '$1')}`);
    again.endInput();
    t.equal((await again.waitExit(LONG, 'EOF on stdin')).code, 0, 'the restarted kiosk exits 0 at EOF');
    lap('(a) done');
  });

  await t.test('(b) kill -9 of the center while the kiosk writes; restarted, it recovers the job', async (t) => {
    const kiosk = spawnCardline('kiosk', [...site.kioskArgs, '--request', appB.input.id, '--once']);
    procs.push(kiosk);
    kiosk.write(`${appB.input.code}\n`);
    // EOF at once: with stdin left open, `kiosk --once` does not exit after its customer (see the report).
    kiosk.endInput();
    const step = await kiosk.waitFor(KILL_AFTER, LONG, 'the kiosk running APDU 1 of the write script');
    // The center freezes mid-script and then dies: the kiosk finishes the script and its result goes out but is never
    // acknowledged, the worst instant for the center to go (a frozen center reads and answers nothing; its sockets stay open).
    center.freeze();
    await kiosk.waitFor(/"msg":"script run"/, LONG, 'the kiosk finishing the script and sending its result', { stream: 'err' });
    await sleep(RESULT_IN_FLIGHT_MS);
    const exit = await center.kill9();
    t.equal(exit.signal, 'SIGKILL', 'the center was killed');
    t.comment(`center frozen when the kiosk showed "${step.trim()}", killed once its result was in flight`);
    const lost = kiosk.out.length;
    await kiosk.waitFor(/Connection to the issuing center lost/, LONG, 'the kiosk noticing the center is gone');
    center = await startCenterProcess(site, 'center (restarted)');
    procs.push(center);
    lap('(b) center restarted');
    await kiosk.waitFor(/Connected to the issuing center\./, LONG, 'the kiosk reconnecting by itself', { from: lost });
    const kexit = await kiosk.waitExit(LONG, 'the kiosk ending its customer (--once)');
    const result = kiosk.out.find((l) => /Result: /.test(l)) ?? '';
    t.comment(`kiosk after the center's restart: ${result.trim()}`);
    if (kiosk.err.some((l) => /"msg":"wire refused","reason":"unknown-session","type":"issued"/.test(l))) {
      // Diagnosis for the reader of a failure: the result the kiosk thought unsent was re-sent by mqtt.js after the
      // reconnect, under the old session; the restarted center issued on it and answered on that dead session.
      t.comment('the kiosk refused an `issued` addressed to its previous session: its unacknowledged result was re-sent after the reconnect');
    }
    t.match(result, /Result: (issued|failed)/, 'the customer is told the job ended (issued or failed), not left to time out');
    t.equal(kexit.code, /Result: issued/.test(result) ? 0 : 1, 'the kiosk exit code matches its result');
    lap('(b) done');
  });

  const stopped = await center.stop();
  t.equal(stopped.code, 0, 'the center stops cleanly on SIGTERM');
  const report = await inspectStore(site);
  lap('store inspected');
  const gate = await place(site.stationDir, 'gate');
  const reject = await place(site.stationDir, 'reject');
  const stuck = await place(site.stationDir, 'ic');
  const stuckIssued = report.jobs.filter((j) => j.state === 'ISSUED' && stuck.some((s) => sameCard(j.card_serial, s)));
  t.same(stuckIssued.map((j) => j.application_id), [], 'no ISSUED job whose card never left the station (it would be captured with the next customer)');
  t.same(stuck, [], 'no card is left at the station');
  for (const app of [appA, appB]) {
    const id = app.input.id;
    const jobs = report.jobs.filter((j) => j.application_id === id);
    const issued = jobs.filter((j) => j.state === 'ISSUED');
    const status = report.applications.find((a) => a.id === id)?.status;
    t.comment(`${id}: jobs ${jobs.map((j) => `${j.state}(attempt ${j.attempt}${j.reason ? `, ${j.reason}` : ''})`).join(', ')}; application ${status ?? 'missing'}`);
    t.ok(jobs.every((j) => ['ISSUED', 'FAILED', 'VOIDED'].includes(j.state)), `${id}: every job ended`);
    t.ok(issued.length <= 1, `${id}: ISSUED at most once`);
    const mine = gate.filter((s) => jobs.some((j) => sameCard(j.card_serial, s)));
    if (issued.length === 1) {
      t.equal(status, 'issued', `${id}: the application is issued`);
      t.equal(mine.length, 1, `${id}: exactly one card at the gate`);
      t.ok(sameCard(issued[0]!.card_serial, mine[0] ?? ''), `${id}: the gate card is the ISSUED job's card`);
      if (mine[0]) t.same(await readBackCard(join(site.stationDir, 'gate', `${mine[0]}.eeprom`), app, () => undefined), [], `${id}: the card reads back equal to the application`);
    } else {
      t.equal(mine.length, 0, `${id}: not issued, so no card at the gate`);
      for (const j of jobs) t.ok(j.card_serial === null || reject.some((s) => sameCard(j.card_serial, s)), `${id}: the failed job's card is in the reject bin`);
    }
  }
  t.equal(gate.length, report.jobs.filter((j) => j.state === 'ISSUED').length, 'every card at the gate belongs to an ISSUED job');
  t.ok(report.audit.ok, `the audit log verifies (${report.audit.entries} entries, ${report.audit.checkpoints} checkpoints)`);
  t.same(report.audit.problems, [], 'no audit problems');
  // runCardline rejects on any exit code but 0: the operator's own check agrees.
  const verified = await runCardline(['audit', 'verify', '--data', site.dataDir, '--center-key', join(site.pki, 'center', 'signing.pub')]);
  t.match(verified.out, /^verified: every leaf hash/m, 'cardline audit verify exits 0 and says so');
  lap('total');
});
