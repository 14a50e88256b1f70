/**
 * The center's stock gate (docs/provisioning.md §6, issue 7 point 6): a card
 * that authenticates (it was prepared from the right stock master key) but
 * whose KDD is in no active batch is refused with `card-not-in-stock` before
 * anything is bound or written; the kiosk captures it and the job goes on
 * with the next card. A withdrawn batch's cards are refused the same way.
 * Real center, agent and simulated station (test/fixtures/rig.ts).
 */
import t from 'tap';
import { readBackCard } from '../../../cli/demo/read-back.js';
import { withdrawBatch, isStockCard, listBatches } from '../../../center/stock.js';
import { inspectCardImage } from '../../fixtures/card-image.js';
import { startRig } from '../../fixtures/rig.js';

const APP_SELECTABLE = 0x07; // GPC v2.3.1 table 11-4: not personalized

const rig = await startRig(t, { kiosks: ['kiosk-1'], cardsPerStation: 2, unregisteredCards: 1 });
const log = rig.logs.center;
const station = rig.stations['kiosk-1']!;

void t.test('an unregistered card first in the hopper: refused card-not-in-stock, captured with nothing written, the next card issued', async (t) => {
  const [stray, ...registered] = await station.cards('hopper');
  t.match(stray, /^CA4C/, 'the unregistered card is fed first');
  t.equal(await isStockCard(rig.center.deps.db, stray!.padStart(20, '0')), false);
  t.equal(await isStockCard(rig.center.deps.db, registered[0]!.padStart(20, '0')), true);
  const kiosk = await rig.startKiosk('kiosk-1');
  const [app] = await rig.addApps(1);
  const from = (await rig.audit()).length;
  const line = log.lines.length;

  const r = await kiosk.request(app!.id, app!.code);
  t.match(r, { outcome: 'issued' }, 'the customer still gets a card');
  t.match(
    kiosk.events.filter((e) => e.type === 'card-refused' || e.type === 'card-captured'),
    [
      { type: 'card-refused', job: r.job, reason: 'card-not-in-stock' },
      { type: 'card-captured', job: r.job, ok: true },
    ],
    'the kiosk: refused and captured',
  );
  t.same(await station.cards('reject'), [stray], 'the unregistered card is in the reject bin');
  const gate = await station.cards('gate');
  t.same(gate, [registered[0]], 'the next (registered) card was issued');
  t.same(await readBackCard(station.imagePath('gate', gate[0]!), app!, () => undefined), [], 'and holds the application');

  const inspected = await inspectCardImage(station.imagePath('reject', stray!));
  t.equal(inspected.lifeCycleName, 'SECURED', 'the refused card is genuine prepared stock');
  t.same(
    inspected.apps.map((a) => ({ lifeCycle: a.lifeCycle, dgiTags: a.dgiTags, secretDgiTags: a.secretDgiTags })),
    [{ lifeCycle: APP_SELECTABLE, dgiTags: [], secretDgiTags: [] }],
    'nothing was written to it',
  );

  await log.waitFor(/"msg":"card refused".*"reason":"card-not-in-stock"/, 'the refusal in the center log', { from: line });
  await rig.waitForAudit((e) => e.kind === 'card.ejected' && e.job === r.job, 'the card ejected', { from });
  await rig.center.idle();
  const entries = await rig.audit(from);
  const moves = entries.filter((e) => e.kind === 'job.move' && e.job === r.job);
  t.match(moves[1], { detail: { from: 'RESERVED', to: 'RESERVED', reason: 'card-not-in-stock', card: null } }, 'audited: refused before anything was bound');
  t.equal(moves.at(-1)?.detail.to, 'ISSUED');
  t.ok(entries.some((e) => e.kind === 'card.captured' && e.job === r.job && e.detail.ok === true), 'audited: captured');
  t.equal((await rig.jobOf(app!.id))?.card_serial, gate[0]!.padStart(20, '0'), 'the job holds the registered card');
  await kiosk.stop();
});

void t.test('a withdrawn batch: its cards are refused card-not-in-stock; the job ends without a card', async (t) => {
  const d = rig.center.deps;
  await withdrawBatch({ db: d.db, audit: d.audit, clock: d.clock }, 'rig-kiosk-1', 'test');
  t.match(await listBatches(d.db), [{ id: 'rig-kiosk-1', status: 'withdrawn', cardCount: 2 }]);
  const [left] = await station.cards('hopper');
  const kiosk = await rig.startKiosk('kiosk-1');
  const [app] = await rig.addApps(1);
  const r = await kiosk.request(app!.id, app!.code);
  t.match(r, { outcome: 'failed' }, 'no card of an active batch is left');
  t.match(kiosk.events.filter((e) => e.type === 'card-refused'), [{ type: 'card-refused', reason: 'card-not-in-stock' }]);
  t.ok((await station.cards('reject')).includes(left!), 'captured');
  t.equal((await rig.jobOf(app!.id))?.card_serial ?? null, null, 'no card was bound to the job');
  const withdrawn = (await rig.audit()).filter((e) => e.kind === 'stock.withdrawn');
  t.match(withdrawn, [{ detail: { batch: 'rig-kiosk-1', reason: 'test' } }], 'the withdrawal audited');
  await kiosk.stop();
});
