/**
 * Sealed mode end to end (DESIGN §3 "Sealed mode", issue 4 point 3a): the
 * center sends a `package` — the card's static keys and the writing data
 * sealed to the kiosk's X25519 key (wire/package.ts) — and the kiosk opens
 * it, builds the script itself and runs it (kiosk/handlers/package.ts).
 *
 * (a) a card issued in sealed mode reads back equal to its application; the
 *     center sent `package` and never `script`; the kiosk ran it in sealed mode;
 * (b) a package sealed to another kiosk's key is refused (`sealed-elsewhere`)
 *     and answered with a `result` that ran nothing (error `package`): the
 *     card is captured with nothing written, the job never ISSUED;
 * (c) a package past its own deadline (bound into its AEAD) is refused as
 *     `late`, with the same effect;
 * (d) sealed mode without a sealing key is refused by the registry (what
 *     `cardline center kiosks mode --mode sealed` runs): KIOSK_INVALID.
 */
import t, { type Test } from 'tap';
import { addKiosk, setKioskMode, setSealingKey } from '../../../center/registry.js';
import { verifyAuditLog } from '../../../center/audit/verify.js';
import { readBackCard } from '../../../cli/demo/read-back.js';
import { readKeyFile } from '../../../common/key-files.js';
import { cardlineAppAnswers, inspectCardImage } from '../../fixtures/card-image.js';
import { random, startRig, type Rig } from '../../fixtures/rig.js';

const APP_SELECTABLE = 0x07; // GPC v2.3.1 table 11-4: installed and selectable, not personalized
const SW_OK = 0x9000;
const SW_NOT_FOUND = 0x6a88;
const SW_FILE_NOT_FOUND = 0x6a82;
const JOB_PATH = ['PENDING>RESERVED', 'RESERVED>CARD_AUTHENTICATED', 'CARD_AUTHENTICATED>WRITING', 'WRITING>VERIFYING', 'VERIFYING>ISSUED'];

const rig = await startRig(t, { mode: 'sealed', kiosks: ['kiosk-1', 'kiosk-2'], cardsPerStation: 2 });
const log = rig.logs.center;
const reg = { db: rig.center.deps.db, audit: rig.center.deps.audit, clock: rig.center.deps.clock };

void t.test('(a) a card issued in sealed mode: a package, never a script; the card reads back equal', async (t) => {
  const kiosk = await rig.startKiosk('kiosk-2');
  const klog = rig.logs.kiosk('kiosk-2');
  const station = rig.stations['kiosk-2']!;
  const [app] = await rig.addApps(1);
  const from = (await rig.audit()).length;
  const line = log.lines.length;
  const kline = klog.lines.length;

  const r = await kiosk.request(app!.id, app!.code);
  t.match(r, { outcome: 'issued' }, 'the customer is told the card is issued');
  const gate = await station.cards('gate');
  t.equal(gate.length, 1, 'one card at the gate');
  t.same(await readBackCard(station.imagePath('gate', gate[0]!), app!, () => undefined), [], 'it holds exactly the application data (secret DGIs refused, KCVs match)');
  t.equal((await rig.jobOf(app!.id))?.state, 'ISSUED');

  await rig.waitForAudit((e) => e.kind === 'card.ejected' && e.job === r.job, 'the card ejected', { from });
  await rig.center.idle();
  const entries = await rig.audit(from);
  t.same(entries.filter((e) => e.kind === 'wire.out').map((e) => e.detail.type), ['insert-card', 'package', 'issued'], 'wire.out: a package where relay mode sends the script');
  t.notOk(entries.some((e) => e.kind === 'wire.out' && e.detail.type === 'script'), 'no script was ever sent for the job');
  t.same(entries.filter((e) => e.kind === 'wire.in').map((e) => e.detail.type), ['request', 'card', 'result', 'card-done'], 'wire.in: the same exchange as relay mode');
  t.same(entries.filter((e) => e.kind === 'job.move' && e.job === r.job).map((e) => `${String(e.detail.from)}>${String(e.detail.to)}`), JOB_PATH, 'the job went through the state machine once');
  t.match(entries.find((e) => e.kind === 'job.move' && e.detail.to === 'WRITING'), { detail: { mode: 'sealed' } }, 'audited: WRITING in sealed mode');
  t.equal(log.matching(new RegExp(`"msg":"package sent","job":"${r.job!}"`), line).length, 1, 'the center logged one package sent');
  t.same(log.matching(/"msg":"script sent"/, line), [], 'and no script sent');
  const runs = klog.matching(/"msg":"script run"/, kline);
  t.equal(runs.length, 1, 'the kiosk ran one script');
  t.match(runs[0], new RegExp(`"job":"${r.job!}","attempt":1,"kind":"write","mode":"sealed"`), 'in sealed mode, the script it built itself');
  const report = await verifyAuditLog(rig.center.deps.db, rig.center.deps.keys.signingPublic);
  t.equal(report.ok, true, 'the audit log verifies');
  // Nothing personal in any log line, though the kiosk held the plain data.
  const all = rig.logs.all().join('');
  t.notOk(all.includes(app!.code), 'the one-time code is in no log line');
  for (const d of app!.dgis) t.notOk(all.toUpperCase().includes(Buffer.from(d.value).toString('hex').toUpperCase()), `DGI ${d.tag.toString(16)} is in no log line`);
  await kiosk.stop();
});

/** The refusal at the kiosk and its effect: reason logged each attempt, a result that ran nothing, the card captured unwritten, the job FAILED. */
async function refusedEveryAttempt(t: Test, r: Rig, kioskId: string, reason: string, code: 'package' | 'late'): Promise<void> {
  const kiosk = await r.startKiosk(kioskId);
  const klog = r.logs.kiosk(kioskId);
  const station = r.stations[kioskId]!;
  const [app] = await r.addApps(1);
  const from = (await r.audit()).length;
  const kline = klog.lines.length;

  const out = await kiosk.request(app!.id, app!.code);
  t.match(out, { outcome: 'failed', reason: 'attempts-exhausted' }, 'the customer is told it failed');
  const attempts = r.center.deps.limits.maxAttempts;
  const refusals = klog.matching(new RegExp(`"msg":"wire refused","reason":"${reason}","type":"package"`), kline);
  t.equal(refusals.length, attempts, `the kiosk refused every package (${attempts} attempts) as ${reason}`);
  t.same(klog.matching(/"msg":"script run"/, kline), [], 'and ran no script');

  // The card: captured, nothing written.
  t.same(await station.cards('gate'), [], 'no card reached the customer');
  const reject = await station.cards('reject');
  t.equal(reject.length, 1, 'the card is in the reject bin');
  const inspected = await inspectCardImage(station.imagePath('reject', reject[0]!));
  t.same(inspected.apps.map((a) => ({ lifeCycle: a.lifeCycle, dgiTags: a.dgiTags, secretDgiTags: a.secretDgiTags })), [{ lifeCycle: APP_SELECTABLE, dgiTags: [], secretDgiTags: [] }], 'its application is not personalized and holds no DGI');
  t.same(await cardlineAppAnswers(station.imagePath('reject', reject[0]!)), { select: SW_OK, getData0101: SW_NOT_FOUND, readRecord11: SW_FILE_NOT_FOUND }, 'an ordinary reader finds no record on it');

  // The center: every result said `<code>` at APDU 0; the job FAILED, never ISSUED.
  await r.waitForAudit((e) => e.kind === 'card.captured' && e.job === out.job, 'the card captured', { from });
  await r.center.idle();
  const entries = await r.audit(from);
  const moves = entries.filter((e) => e.kind === 'job.move' && e.job === out.job);
  const verifying = moves.filter((e) => e.detail.to === 'VERIFYING');
  t.equal(verifying.length, attempts, 'one result per attempt');
  t.ok(verifying.every((e) => e.detail.error === `${code}@0` && e.detail.responses === 0), `each answered with error ${code} at APDU 0, no response`);
  t.equal(entries.filter((e) => e.kind === 'wire.out' && e.job === out.job && e.detail.type === 'package').length, attempts, 'the center sent a package each attempt');
  t.notOk(moves.some((e) => e.detail.to === 'ISSUED'), 'no move to ISSUED');
  t.match(await r.jobOf(app!.id), { id: out.job, state: 'FAILED', reason: 'attempts-exhausted' });
  t.equal((await r.application(app!.id))?.status, 'pending', 'the application is still pending');
  await kiosk.stop();
}

void t.test("(b) a package sealed to another kiosk's key: sealed-elsewhere, nothing written, never ISSUED", async (t) => {
  // The center's registry now holds kiosk-2's sealing key for kiosk-1: every package for kiosk-1 is sealed to kiosk-2.
  await setSealingKey(reg, 'kiosk-1', await readKeyFile(rig.pki.kiosks['kiosk-2']!.sealingPub, 32));
  await refusedEveryAttempt(t, rig, 'kiosk-1', 'sealed-elsewhere', 'package');
});

void t.test('(d) sealed mode needs a sealing key: KIOSK_INVALID from the registry', async (t) => {
  const kiosk = { id: 'kiosk-nokey', signingPublicKey: random(32), certFingerprint: 'AA:BB' };
  await t.rejects(addKiosk(reg, { ...kiosk, mode: 'sealed' }), { code: 'KIOSK_INVALID' }, 'a kiosk added in sealed mode without its sealing key is refused');
  await addKiosk(reg, kiosk);
  await t.rejects(setKioskMode(reg, kiosk.id, 'sealed'), { code: 'KIOSK_INVALID', message: /no sealing public key/ }, '`center kiosks mode --mode sealed` on a kiosk without a sealing key is refused');
  const row = await rig.center.deps.db.query<{ mode: string }>('SELECT mode FROM kiosks WHERE id = $1', [kiosk.id]);
  t.same(row.rows, [{ mode: 'relay' }], 'the kiosk stays in relay mode');
  await setSealingKey(reg, kiosk.id, random(32));
  await setKioskMode(reg, kiosk.id, 'sealed');
  t.pass('control: with a sealing key registered, the switch is accepted');
});

void t.test('(c) a package past its own deadline: late, nothing written, never ISSUED', async (t) => {
  // packageDeadlineMs 1: the package's AEAD-bound deadline has passed before any kiosk can open it; its envelope lives scriptDeadlineMs.
  const late = await startRig(t, { mode: 'sealed', cardsPerStation: 1, limits: { packageDeadlineMs: 1 } });
  await refusedEveryAttempt(t, late, 'kiosk-1', 'late', 'late');
});
