/**
 * Issue 6 point 3, the center's side of "a worker died holding the kiosk's
 * `card`": the job is RESERVED, the card fed for it is at the station, and
 * the kiosk opens a new session (its silence watch). The hello recovery
 * (center/handlers/hello.ts) resumes the reservation: a new attempt with a
 * fresh host challenge bound to the new session, and an `insert-card` with
 * recover=false (the kiosk still decides whether a customer waits). The
 * card handler then authenticates the card as on any first attempt: a card
 * bound to another job is refused, and a kiosk with nobody waiting gets
 * the job released, nothing written.
 *
 * A raw kiosk (test/fixtures/raw-kiosk.ts) speaks for the agent; the cards
 * are the rig's simulated stock, read through the station's transport as
 * the agent reads them (kiosk/card-auth-step.ts).
 */
import t from 'tap';
import { toHex, hex } from '../../../card/bytes.js';
import { memoryLogger } from '../../../common/log.js';
import { readCardForAuth } from '../../../kiosk/card-auth-step.js';
import { RawKiosk } from '../../fixtures/raw-kiosk.js';
import { startRig } from '../../fixtures/rig.js';

const rig = await startRig(t, { kiosks: ['kiosk-2', 'kiosk-3'], cardsPerStation: 2, mode: 'relay' });
const reader = (id: string): string => rig.stations[id]!.identity.id;
type InsertCard = { job: string; attempt: number; challenge: string; sdAid: string; kvn: number; recover: boolean };

/** A raw session of kiosk `id` that said hello (card at the station or not) and got its welcome. */
async function session(id: string, present: boolean): Promise<RawKiosk> {
  const raw = await RawKiosk.connect(t, rig.center.url, rig.pki, id);
  await raw.send('hello', { agent: 'raw-test-kiosk/0', readers: [{ id: reader(id), kind: 'sim' }], card: { present } });
  await raw.waitDown('welcome');
  return raw;
}

/** The card at kiosk `id`'s station answering INITIALIZE UPDATE to `ic`'s challenge, as the agent reads it. */
async function readCard(id: string, ic: InsertCard): Promise<string> {
  const station = rig.stations[id]!;
  if (!(await station.cardAtStation())) await station.feed();
  const read = await readCardForAuth(station.transport, { sdAid: hex(ic.sdAid), kvn: ic.kvn, challenge: hex(ic.challenge) }, { timeoutMs: 5_000, logger: memoryLogger('test') });
  if (!read.ok) throw new Error(`card read failed: ${JSON.stringify(read.error)}`);
  await station.transport.powerOff();
  return toHex(read.iu);
}

/** A customer's request in a first session: reserved, a card fed and read; its `card` is lost (the worker died). */
async function reservedWithCard(id: string): Promise<{ app: string; first: RawKiosk; ic: InsertCard; iu: string }> {
  const [app] = await rig.addApps(1);
  const first = await session(id, false);
  await first.send('request', { application: app!.id, code: app!.code });
  const ic = (await first.waitDown('insert-card')).body as InsertCard;
  const iu = await readCard(id, ic);
  first.client.end(true);
  return { app: app!.id, first, ic, iu };
}

void t.test('RESERVED with its card at the station: a new attempt in the new session, the card authenticated, the script sent', async (t) => {
  const { app, first, ic, iu } = await reservedWithCard('kiosk-2');
  const mark = (await rig.audit()).length;
  const second = await session('kiosk-2', true);
  const resumed = (await second.waitDown('insert-card')).body as InsertCard;
  t.match(resumed, { job: ic.job, attempt: 2, recover: false }, 'insert-card for the same job, a new attempt; the kiosk checks its customer');
  t.not(resumed.challenge, ic.challenge, 'a fresh host challenge');
  t.notOk(second.downs.some((e) => e.type === 'failed'), 'no failure told to the kiosk');
  const job = await rig.jobOf(app);
  t.match(job, { state: 'RESERVED', attempt: 2, session_id: second.session, kiosk_id: 'kiosk-2', card_serial: null }, 'still reserved, bound to the new session');
  const move = (await rig.audit(mark)).find((e) => e.kind === 'job.move' && e.job === ic.job);
  t.match(move, { detail: { from: 'RESERVED', to: 'RESERVED', attempt: 2, reason: 'recovery', card: null } }, 'audited as a recovery');

  const from = second.downs.length;
  await second.send('card', { job: ic.job, attempt: 2, iu: await readCard('kiosk-2', resumed) });
  const script = await second.waitDown('script', from);
  t.match(script.body, { job: ic.job, attempt: 2, kind: 'write' }, 'the same card passed card authentication: the write script follows');
  t.match(await rig.jobOf(app), { state: 'WRITING' }, 'the card is bound and being written');

  // The lost `card` of the first session, delivered late (redelivered by the broker, say): refused, nothing said.
  const late = (await rig.audit()).length;
  const answers = second.downs.length;
  const stale = await RawKiosk.connect(t, rig.center.url, rig.pki, 'kiosk-2');
  await stale.publish(first.seal('card', { job: ic.job, attempt: 1, iu }, { seq: 3 }));
  const refused = await rig.waitForAudit((e) => e.kind === 'wire.refused' && e.session === first.session, 'the late card refused', { from: late });
  t.match(refused, { detail: { reason: 'unknown-session', type: 'card' } }, 'refused: its session is no longer current');
  t.equal(second.downs.length, answers, 'no answer to it');
  t.match(await rig.jobOf(app), { state: 'WRITING', attempt: 2 }, 'the job goes on');
  stale.client.end(true);
  second.client.end(true);
});

void t.test('RESERVED without a card at the station: the reservation is released, as before', async (t) => {
  const [app] = await rig.addApps(1);
  const first = await session('kiosk-3', false);
  await first.send('request', { application: app!.id, code: app!.code });
  const ic = (await first.waitDown('insert-card')).body as InsertCard;
  first.client.end(true);
  const second = await session('kiosk-3', false);
  t.same((await second.waitDown('failed')).body, { job: ic.job, reason: 'voided' });
  t.match(await rig.jobOf(app!.id), { state: 'PENDING', kiosk_id: null });
  t.notOk(second.downs.some((e) => e.type === 'insert-card'), 'nothing asked of the station');
  second.client.end(true);
});

void t.test('the resumed attempt keeps the card checks: a card bound to another job is refused; no customer releases the job', async (t) => {
  // kiosk-2's card (left bound to the job of the first test, WRITING) answers kiosk-3's resumed reservation.
  const bound = (await rig.center.deps.db.query<{ card_serial: string }>("SELECT card_serial FROM jobs WHERE state = 'WRITING'")).rows[0]?.card_serial;
  t.ok(bound, 'a card bound to a live job');
  const { app, ic } = await reservedWithCard('kiosk-3');
  await rig.stations['kiosk-3']!.capture(); // kiosk-3's own card is not the one answering
  const second = await session('kiosk-3', true);
  const resumed = (await second.waitDown('insert-card')).body as InsertCard;
  t.match(resumed, { job: ic.job, attempt: 2 });
  let from = second.downs.length;
  await second.send('card', { job: ic.job, attempt: 2, iu: await readCard('kiosk-2', resumed) });
  t.match((await second.waitDown('card-refused', from)).body, { job: ic.job, attempt: 2, reason: 'wrong-card' }, 'refused: bound to another job');
  const next = (await second.waitDown('insert-card', from)).body as InsertCard;
  t.match(next, { job: ic.job, attempt: 3, recover: false }, 'another card asked for');
  t.match(await rig.jobOf(app), { state: 'RESERVED', card_serial: null }, 'nothing bound');
  t.ok(rig.logs.center.lines.some((l) => l.includes('card already bound to another job')), 'the refusal logged with its reason');

  // The kiosk has nobody waiting (kiosk/handlers/insert-card.ts refuses `no-customer`): released, nothing written.
  from = second.downs.length;
  await second.send('card', { job: ic.job, attempt: 3, error: { code: 'no-card' } });
  t.same((await second.waitDown('failed', from)).body, { job: ic.job, reason: 'no-valid-card' });
  t.match(await rig.jobOf(app), { state: 'PENDING', kiosk_id: null, card_serial: null }, 'the reservation released');
  second.client.end(true);
});
