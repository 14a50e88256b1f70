/**
 * Issue 3 point 6, "Power cut at every APDU index of a personalization
 * (loop over all of them), then recovery": one center, one kiosk agent and
 * one simulated station, all real, for the whole file. For every command
 * APDU the card sees in a personalization — SELECT and INITIALIZE UPDATE
 * (which the kiosk sends before the script) and each APDU of the write
 * script — and for both tearing phases ('before-commit': the command's
 * writes are lost; 'after-commit': they land but no response leaves the
 * card), a new customer is served while the card that is fed loses power
 * during that APDU. Each run must end:
 *
 * - issued: ISSUED exactly once, on exactly one new card at the gate, that
 *   card is the job's and reads back equal to the application; or
 * - failed: the job FAILED or VOIDED, no new card at the gate, the job's
 *   card in the reject bin.
 *
 * After every run, every card at the gate is read back against its own
 * application (a half-written card never reaches a customer) and no
 * application has more than one ISSUED job (never two cards).
 */
import t from 'tap';
import { readBackCard } from '../../../cli/demo/read-back.js';
import type { DemoApplication } from '../../../cli/demo/sample-apps.js';
import type { PowerCutPhase } from '../../../hardware/sim/card/index.js';
import type { KioskOutcome } from '../../../kiosk/agent.js';
import { sameCard } from '../../fixtures/process-rig.js';
import { startLocalRig, within } from './local-rig.js';

/** SELECT ISD and INITIALIZE UPDATE come before the script: script APDU k is the card's APDU 2 + k. */
const BEFORE_SCRIPT = 2;
const PHASES: readonly PowerCutPhase[] = ['before-commit', 'after-commit'];
/** Bound on one customer, recovery included (each exchange is milliseconds; the kiosk gives up after 15 s of silence). */
const RUN_MS = 40_000;

interface JobRecord {
  id: string;
  state: string;
  card_serial: string | null;
  attempt: number;
  reason: string | null;
}

interface Run {
  outcome: KioskOutcome;
  jobs: JobRecord[];
  newGate: string[];
  newReject: string[];
  kinds: string[];
}

void t.test('power cut at every APDU of a personalization, then recovery', async (t) => {
  const started = Date.now();
  const rig = await startLocalRig({ cards: 60 });
  t.teardown(() => rig.close());
  const agent = rig.agent!;
  /** Which application each card at the gate was issued for. */
  const issuedFor = new Map<string, DemoApplication>();

  const serve = async (label: string, cut?: { afterApdus: number; phase: PowerCutPhase }): Promise<Run & { app: DemoApplication }> => {
    const [app] = await rig.addApps(1, label);
    const gate = new Set(await rig.station.cards('gate'));
    const reject = new Set(await rig.station.cards('reject'));
    const firstEvent = rig.events.length;
    let armed = false;
    const off = rig.station.onCardLoaded((card) => {
      // Only the first card of this run: a card fed after a refusal is a new, healthy one.
      if (cut === undefined || armed) return;
      armed = true;
      card.setPowerCut(cut);
    });
    let outcome: KioskOutcome;
    try {
      outcome = await within(agent.request(app!.input.id, app!.input.code), RUN_MS, `${label}: the customer's request`);
    } finally {
      off();
    }
    await within(rig.center.idle(), RUN_MS, `${label}: the center's queue`);
    const jobs = await rig.center.deps.db.query<JobRecord>('SELECT id, state, card_serial, attempt, reason FROM jobs WHERE application_id = $1', [app!.input.id]);
    const kinds = rig.events.slice(firstEvent).flatMap((e) => (e.type === 'card-authenticated' ? [`${e.kind}(${e.apdus})`] : []));
    if (cut !== undefined && !armed) t.fail(`${label}: no card was fed, the cut was never armed`);
    return {
      app: app!,
      outcome,
      jobs: jobs.rows,
      newGate: (await rig.station.cards('gate')).filter((s) => !gate.has(s)),
      newReject: (await rig.station.cards('reject')).filter((s) => !reject.has(s)),
      kinds,
    };
  };

  /** The invariants after any run: every gate card equals its application; at most one ISSUED job per application. */
  let checkMs = 0;
  const checkInvariants = async (label: string): Promise<void> => {
    const from = Date.now();
    for (const serial of await rig.station.cards('gate')) {
      const app = issuedFor.get(serial);
      if (!app) {
        t.fail(`${label}: card ${serial} at the gate was not issued for any application`);
        continue;
      }
      const problems = await readBackCard(rig.station.imagePath('gate', serial), app, () => undefined);
      if (problems.length > 0) t.fail(`${label}: card ${serial} at the gate does not read back as ${app.input.id}`, { problems });
    }
    const twice = await rig.center.deps.db.query<{ application_id: string; n: number }>(
      "SELECT application_id, count(*)::int AS n FROM jobs WHERE state = 'ISSUED' GROUP BY application_id HAVING count(*) > 1",
    );
    t.same(twice.rows, [], `${label}: no application has two ISSUED jobs`);
    checkMs += Date.now() - from;
  };

  // A clean run first: it must issue, and it tells the length of the write script.
  const clean = await serve('CLEAN');
  t.equal(clean.outcome.outcome, 'issued', 'the clean run issues');
  t.equal(clean.newGate.length, 1, 'the clean run puts one card at the gate');
  if (clean.newGate[0]) issuedFor.set(clean.newGate[0], clean.app);
  const write = rig.events.find((e) => e.type === 'card-authenticated' && e.kind === 'write');
  const scriptLength = write?.type === 'card-authenticated' ? write.apdus : 0;
  t.ok(scriptLength >= 3, `the write script has ${scriptLength} APDUs`);
  await checkInvariants('clean');

  for (const phase of PHASES) {
    for (let k = 1 - BEFORE_SCRIPT; k <= scriptLength; k++) {
      const label = `k${k < 0 ? `m${-k}` : k}-${phase === 'before-commit' ? 'before' : 'after'}`;
      const where = k === -1 ? 'SELECT ISD' : k === 0 ? 'INITIALIZE UPDATE' : `script APDU ${k}/${scriptLength}`;
      const r = await serve(label, { afterApdus: BEFORE_SCRIPT + k, phase });
      const job = r.jobs.find((j) => j.id === r.outcome.job) ?? r.jobs[0];
      t.comment(
        `cut at ${where} (${phase}): ${r.outcome.outcome}${r.outcome.reason ? ` (${r.outcome.reason})` : ''}; job ${job?.state ?? 'none'} after ${job?.attempt ?? 0} attempt(s) [${r.kinds.join(', ')}]; gate +${r.newGate.length}, reject +${r.newReject.length}`,
      );
      t.ok(r.outcome.outcome === 'issued' || r.outcome.outcome === 'failed', `${label}: ends issued or failed, not ${r.outcome.outcome}`);
      t.equal(r.jobs.length, 1, `${label}: one job for the application`);
      if (!job) continue;
      const appStatus = (await rig.center.deps.db.query<{ status: string }>('SELECT status FROM applications WHERE id = $1', [r.app.input.id])).rows[0]?.status;

      if (r.outcome.outcome === 'issued') {
        t.equal(job.state, 'ISSUED', `${label}: the job is ISSUED`);
        t.equal(appStatus, 'issued', `${label}: the application is issued`);
        t.equal(r.newGate.length, 1, `${label}: exactly one new card at the gate`);
        const serial = r.newGate[0];
        if (serial !== undefined) {
          issuedFor.set(serial, r.app);
          t.ok(sameCard(job.card_serial, serial), `${label}: the card at the gate is the job's card (${job.card_serial ?? 'none'})`);
          t.same(await readBackCard(rig.station.imagePath('gate', serial), r.app, () => undefined), [], `${label}: the issued card reads back equal to the application`);
        }
      } else {
        t.ok(job.state === 'FAILED' || job.state === 'VOIDED', `${label}: the job is FAILED or VOIDED, not ${job.state}`);
        t.equal(appStatus, 'pending', `${label}: the application is not issued`);
        t.equal(r.newGate.length, 0, `${label}: no card reached the gate`);
        t.ok(r.newReject.length > 0, `${label}: a card went to the reject bin`);
        t.ok(job.card_serial === null || r.newReject.some((s) => sameCard(job.card_serial, s)), `${label}: the job's card ${job.card_serial ?? '(none)'} is in the reject bin`);
      }

      if (k >= 1) {
        // The cut hit the bound card mid-script: the job went on with that same card (a re-run).
        t.ok(job.attempt >= 2, `${label}: the cut forced a re-run (attempt ${job.attempt})`);
      } else {
        // The cut hit the card before it was authenticated: it is refused, captured unbound, and another card is fed.
        t.equal(r.newReject.length, 1, `${label}: the card cut before authentication was captured`);
        const refused = r.newReject[0];
        if (refused !== undefined) {
          t.notOk(sameCard(job.card_serial, refused), `${label}: the captured card is not the job's`);
          const plain = r.app.input.dgis.filter((d) => !r.app.secretTags.includes(d.tag)).length;
          // A card that cannot even SELECT the application holds none of it.
          const leftover = await readBackCard(rig.station.imagePath('reject', refused), r.app, () => undefined).catch(() => null);
          const differing = leftover === null ? plain : leftover.filter((p) => /^DGI [0-9A-F]{4} read back/.test(p)).length;
          t.equal(differing, plain, `${label}: the captured card holds none of the application's data`);
        }
      }
      await checkInvariants(label);
    }
  }
  t.comment(`power-cut sweep: ${2 * (scriptLength + BEFORE_SCRIPT) + 1} runs in ${((Date.now() - started) / 1000).toFixed(1)} s (${(checkMs / 1000).toFixed(1)} s of it reading gate cards back)`);
});
