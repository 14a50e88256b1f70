/**
 * Issue 3 point 6, "Each refusal", where the customer and the card are:
 * a wrong one-time code with lockout after 5 tries, a counterfeit card
 * (wrong keys) and a tampered script. Real center, real agents, real
 * simulated cards; each refusal is asserted at the kiosk (outcome, screen
 * events, where the card went, what the card holds) and at the center (log
 * line and audit entries with the reason code, the job and application rows).
 *
 * Mode-aware (rig.ts rigMode): refusals-card.sealed.test.ts runs the same
 * cases with the kiosks in sealed mode, where the center sends a `package`
 * (the card's keys and data sealed to the kiosk) instead of the `script`,
 * and the kiosk builds the APDUs that the compromised line then tampers with.
 */
import t from 'tap';
import { toHex } from '../../../card/bytes.js';
import { MAX_CODE_ATTEMPTS } from '../../../center/applications.js';
import { readBackCard } from '../../../cli/demo/read-back.js';
import { SimStation } from '../../../hardware/sim/sim-station.js';
import { cardlineAppAnswers, inspectCardImage } from '../../fixtures/card-image.js';
import { random, rigMode, startRig } from '../../fixtures/rig.js';
import { tamperingStation } from '../../fixtures/tampering-station.js';

const APP_SELECTABLE = 0x07; // GPC v2.3.1 table 11-4: installed and selectable, not personalized
const SW_OK = 0x9000;
const SW_NOT_FOUND = 0x6a88; // referenced data not found (ISO 7816-4 §5.1.3)
const SW_FILE_NOT_FOUND = 0x6a82; // file or application not found: no record file yet

const rig = await startRig(t, { kiosks: ['kiosk-1', 'kiosk-2'], cardsPerStation: 2 });
const log = rig.logs.center;
/** What the center writes with in this mode (DESIGN §3), and what it must never send then. */
const mode = rigMode();
const [WRITE, NEVER] = mode === 'sealed' ? (['package', 'script'] as const) : (['script', 'package'] as const);

/** Codes no hex dump, ID or number in a log line can contain by chance ('R', 'W', 'x' are not hex digits). */
const code = (prefix: string) => (): string => `${prefix}x${toHex(random(5))}`;

void t.test('a wrong one-time code: 4 tries left, then 3, 2, 1; the fifth locks the application', async (t) => {
  const kiosk = await rig.startKiosk('kiosk-1');
  const [app] = await rig.addApps(1, { code: code('R') });
  const wrong = code('W');
  const station = rig.stations['kiosk-1']!;
  const hopper = await station.cards('hopper');
  const from = (await rig.audit()).length;
  const line = log.lines.length;
  const wrongCodes: string[] = [];

  for (let left = MAX_CODE_ATTEMPTS - 1; left >= 1; left--) {
    wrongCodes.push(wrong());
    const r = await kiosk.request(app!.id, wrongCodes.at(-1)!);
    t.same(r, { outcome: 'refused', reason: 'bad-credentials' }, `a wrong code is refused (${left} left)`);
    t.same(kiosk.events.at(-1), { type: 'request-refused', reason: 'bad-credentials', attemptsLeft: left }, `the screen says ${left} tries left`);
  }
  wrongCodes.push(wrong());
  t.same(await kiosk.request(app!.id, wrongCodes.at(-1)!), { outcome: 'refused', reason: 'locked' }, 'the fifth wrong code locks');
  t.same(kiosk.events.at(-1), { type: 'request-refused', reason: 'locked' });
  t.same(await kiosk.request(app!.id, app!.code), { outcome: 'refused', reason: 'locked' }, 'then even the right code is refused');

  // The center: the application is locked, its job never moved, no card was fed.
  const row = await rig.application(app!.id);
  t.match(row, { locked: true, failed_attempts: MAX_CODE_ATTEMPTS, status: 'pending' });
  t.equal((await rig.jobOf(app!.id))?.state, 'PENDING');
  t.same(await station.cards('hopper'), hopper, 'no card left the hopper');
  await rig.center.idle();
  const wrongs = (await rig.audit(from)).filter((e) => e.kind === 'application.code-wrong');
  t.same(
    wrongs.map((e) => e.detail),
    [1, 2, 3, 4, 5].map((failed) => ({ application: app!.id, failed, locked: failed === MAX_CODE_ATTEMPTS })),
    'one application.code-wrong entry per wrong code; the fifth says locked',
  );
  t.ok(wrongs.every((e) => e.kiosk === 'kiosk-1'));
  const refusals = log.matching(/"msg":"request refused"/, line).map((l) => /"reason":"([a-z-]+)"/.exec(l)?.[1]);
  t.same(refusals, ['bad-credentials', 'bad-credentials', 'bad-credentials', 'bad-credentials', 'locked', 'locked'], 'each refusal in the center log with its reason');

  // No code, right or wrong, in any log line or audit entry.
  const logs = rig.logs.all().join('');
  const audit = JSON.stringify(await rig.audit());
  for (const c of [app!.code, ...wrongCodes]) {
    t.notOk(logs.includes(c), 'the code is in no log line');
    t.notOk(audit.includes(c), 'the code is in no audit entry');
  }
  await kiosk.stop();
});

void t.test('a counterfeit card first in the hopper: refused, captured with nothing written, the next card issued', async (t) => {
  const station = rig.stations['kiosk-1']!;
  // Made with another master key; the prefix 0BAD sorts before the hopper's CA4D…: it is fed first.
  const [fake] = await SimStation.addCards(station.dir, { count: 1, stockMasterKey: random(16), serialPrefix: '0BAD' });
  t.equal((await station.cards('hopper'))[0], fake, 'the counterfeit is next in the hopper');
  const kiosk = await rig.startKiosk('kiosk-1');
  const [app] = await rig.addApps(1);
  const from = (await rig.audit()).length;
  const line = log.lines.length;

  const r = await kiosk.request(app!.id, app!.code);
  t.match(r, { outcome: 'issued' }, 'the customer still gets a card');
  t.match(
    kiosk.events.filter((e) => e.type === 'card-refused' || e.type === 'card-captured'),
    [
      { type: 'card-refused', job: r.job, reason: 'card-authentication' },
      { type: 'card-captured', job: r.job, ok: true },
    ],
    'the screen: the card was refused and captured',
  );

  // Where the cards went.
  t.same(await station.cards('reject'), [fake], 'the counterfeit is in the reject bin');
  const gate = await station.cards('gate');
  t.equal(gate.length, 1, 'one card at the gate');
  t.not(gate[0], fake);
  t.same(await readBackCard(station.imagePath('gate', gate[0]!), app!, () => undefined), [], 'the next card holds the application');

  // Nothing was written to the counterfeit.
  const fakePath = station.imagePath('reject', fake!);
  const inspected = await inspectCardImage(fakePath);
  t.same(
    inspected.apps.map((a) => ({ lifeCycle: a.lifeCycle, dgiTags: a.dgiTags, secretDgiTags: a.secretDgiTags })),
    [{ lifeCycle: APP_SELECTABLE, dgiTags: [], secretDgiTags: [] }],
    'its Cardline application is not personalized and holds no DGI',
  );
  const fakeAnswers = await cardlineAppAnswers(fakePath);
  const genuineAnswers = await cardlineAppAnswers(station.imagePath('gate', gate[0]!));
  t.same(fakeAnswers, { select: SW_OK, getData0101: SW_NOT_FOUND, readRecord11: SW_FILE_NOT_FOUND }, 'SELECT works; GET DATA 0101 after it: 6A88; READ RECORD 1.1: 6A82');
  t.same(genuineAnswers, { select: SW_OK, getData0101: SW_OK, readRecord11: SW_OK }, '(where the issued card answers both)');

  // The center: refused with the reason, the job bound to the genuine card only.
  await log.waitFor(/"msg":"card refused".*"reason":"card-authentication"/, 'the card refusal in the center log', { from: line });
  await rig.waitForAudit((e) => e.kind === 'card.ejected' && e.job === r.job, 'the card ejected', { from });
  await rig.center.idle();
  const entries = await rig.audit(from);
  const moves = entries.filter((e) => e.kind === 'job.move' && e.job === r.job);
  t.match(moves[1], { detail: { from: 'RESERVED', to: 'RESERVED', reason: 'card-authentication', card: null } }, 'audited: the card refused before anything was bound');
  t.equal(moves.at(-1)?.detail.to, 'ISSUED');
  t.ok(
    entries.some((e) => e.kind === 'card.captured' && e.job === r.job && e.detail.ok === true),
    'audited: the counterfeit captured',
  );
  t.equal((await rig.jobOf(app!.id))?.card_serial, gate[0]!.padStart(20, '0'), "the job holds the genuine card's KDD");
  const sent = entries.filter((e) => e.kind === 'wire.out' && e.job === r.job).map((e) => e.detail.type);
  t.ok(sent.includes(WRITE) && !sent.includes(NEVER), `${mode} mode: the center wrote the genuine card with a ${WRITE}, never a ${NEVER}`);
  t.equal(rig.logs.kiosk('kiosk-1').matching(new RegExp(`"msg":"script run".*"mode":"${mode}"`)).length, 1, `the kiosk ran one script, in ${mode} mode`);
  await kiosk.stop();
});

void t.test(`a tampered ${WRITE === 'script' ? 'script' : 'script the kiosk built from its package'} (a compromised line flips a byte of every STORE DATA): never ISSUED`, async (t) => {
  const station = rig.stations['kiosk-2']!;
  const tampering = tamperingStation(station);
  const kiosk = await rig.startKiosk('kiosk-2', { station: tampering });
  const [app] = await rig.addApps(1);
  const from = (await rig.audit()).length;
  const line = log.lines.length;

  const r = await kiosk.request(app!.id, app!.code);
  t.match(r, { outcome: 'failed', reason: 'attempts-exhausted' }, 'the customer is told it failed');
  t.ok(tampering.transport.tampered > 0, `the line altered ${tampering.transport.tampered} STORE DATA command(s)`);

  // The card: captured, not personalized.
  t.same(await station.cards('gate'), [], 'no card reached the customer');
  const reject = await station.cards('reject');
  t.equal(reject.length, 1, 'the card is in the reject bin');
  const inspected = await inspectCardImage(station.imagePath('reject', reject[0]!));
  t.same(inspected.apps.map((a) => ({ lifeCycle: a.lifeCycle, dgiTags: a.dgiTags })), [{ lifeCycle: APP_SELECTABLE, dgiTags: [] }], 'the card refused every tampered block: nothing written');

  // The center: FAILED, never ISSUED; the application is still pending.
  const job = await rig.jobOf(app!.id);
  t.match(job, { id: r.job, state: 'FAILED', reason: 'attempts-exhausted' });
  t.equal((await rig.application(app!.id))?.status, 'pending', 'the application is still pending');
  await rig.waitForAudit((e) => e.kind === 'card.captured' && e.job === r.job, 'the card captured', { from });
  await rig.center.idle();
  const moves = (await rig.audit(from)).filter((e) => e.kind === 'job.move' && e.job === r.job);
  t.notOk(
    moves.some((e) => e.detail.to === 'ISSUED'),
    'no move to ISSUED',
  );
  t.match(moves.at(-1), { detail: { from: 'VERIFYING', to: 'FAILED' } }, 'audited: the move to FAILED');
  t.ok(
    moves.filter((e) => e.detail.reason === 're-run').length >= 2,
    'audited: the center re-ran the job (inspect, write again) before giving up',
  );
  t.equal(moves.at(-1)?.detail.attempt, rig.center.deps.limits.maxAttempts, 'every attempt was spent');
  t.ok(
    log.matching(/"msg":"result verified"/, line).every((l) => !l.includes('"outcome":"issued"')),
    'no result verified as issued',
  );
  const writes = log.matching(/"msg":"(?:script|package) sent"/, line);
  t.ok(writes.length >= 2 && writes.every((l) => l.includes(`"msg":"${WRITE} sent"`)), `${mode} mode: every attempt was a ${WRITE} (${writes.length})`);
  await kiosk.stop();
});
