/**
 * A message waiting for its predecessor neither keeps a backpressure slot
 * nor gives up after a fixed 2 s (issue 6, workers). Worker A is full (one
 * slot, a slow handler): message N of a kiosk waits in the broker behind
 * it (the PUBACK held, mqtt.js reads nothing more). N+1 reaches worker B
 * and waits for N — bounded by its own deadline, not by the default
 * gapWaitMs — so N, handled 3 s later, goes first and nothing is refused.
 * Meanwhile B, also with one slot, keeps taking other kiosks' messages:
 * the waiting message gave its slot back.
 */
import t from 'tap';
import { openStore } from '../../../center/store/open.js';
import { memoryLogger } from '../../../common/log.js';
import { startPostgres } from '../../fixtures/postgres-server.js';
import { auditedSeqs, FakeClient, makeBridge, recordingDispatch, register, TestKiosk, type Handled } from './bridge-rig.js';

const pg = await startPostgres(t);
const [dbA, dbB] = await Promise.all([openStore({ url: pg.url }, memoryLogger()), openStore({ url: pg.url }, memoryLogger())]);
t.teardown(() => Promise.all([dbA.close(), dbB.close()]));

void t.test('N held behind a full worker, N+1 at another: N then N+1, nothing refused; the waiting one holds no slot', async (t) => {
  const [kiosk, filler, other] = [new TestKiosk('kiosk-gap-bp'), new TestKiosk('kiosk-filler'), new TestKiosk('kiosk-other')];
  for (const k of [kiosk, filler, other]) await register(dbA, k);
  const handled: Handled[] = [];
  const [logA, logB] = [memoryLogger('a'), memoryLogger('b')];
  const [ca, cb] = [new FakeClient(), new FakeClient()];
  // A's handler is slow for the filler: a database under load, 3 s.
  const slowFiller = (ctx: { kiosk: { id: string } }): Promise<void> => new Promise((r) => setTimeout(r, ctx.kiosk.id === filler.id ? 3_000 : 0));
  const a = makeBridge(dbA, ca, recordingDispatch('a', handled, { hold: slowFiller }), logA, { publisher: new FakeClient(), maxInFlight: 1 });
  const b = makeBridge(dbB, cb, recordingDispatch('b', handled), logB, { publisher: new FakeClient(), maxInFlight: 1 });
  await Promise.all([a.start(), b.start()]);
  cb.deliver(kiosk.hello());
  await b.idle();
  const [n, n1] = [kiosk.report(), kiosk.report()];
  ca.deliver(filler.hello()); // fills A's only slot: its PUBACK is held
  ca.deliver(n); // stays in the broker until A reads again
  cb.deliver(n1); // waits at B for N
  await new Promise((r) => setTimeout(r, 300));
  cb.deliver(other.hello()); // B must still take it
  await Promise.all([a.idle(), b.idle()]);
  const lines = [...logA.lines, ...logB.lines];
  t.same(await auditedSeqs(dbA, 'wire.in', kiosk.id), [1, 2, 3], 'N, then N+1: the kiosk order');
  t.notOk(lines.some((l) => l.includes('"wire refused"')), 'nothing refused');
  t.notOk(lines.some((l) => l.includes('message handled without its predecessor')), 'N+1 did not give up on N');
  const order = handled.map((h) => `${h.kiosk}:${h.type}`);
  t.ok(order.indexOf(`${other.id}:hello`) < order.indexOf(`${kiosk.id}:reader-report`), `B took another kiosk's message while N+1 waited (${order.join(', ')})`);
});
