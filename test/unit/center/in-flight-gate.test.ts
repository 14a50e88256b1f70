/** The bridge's backpressure gate (center/bridge-intake.ts), driven as mqtt.js drives it: 'message' (enter) then handleMessage (admit). */
import t from 'tap';
import { InFlightGate } from '../../../center/bridge-intake.js';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';

void t.test('PUBACKs go at once below the bound; the one that fills it waits for a slot; one log line each way', (t) => {
  const clock = new FakeClock(1_000);
  const log = memoryLogger();
  const gate = new InFlightGate(2, clock, log);
  const acked: number[] = [];
  const arrive = (n: number): void => {
    gate.enter();
    gate.admit(() => acked.push(n));
  };
  arrive(1);
  t.same(acked, [1], 'first: acknowledged at once');
  arrive(2);
  t.same(acked, [1], 'second fills the bound: its PUBACK is held (mqtt.js reads nothing more meanwhile)');
  t.equal(gate.inFlight, 2);
  clock.advance(50);
  gate.leave();
  t.same(acked, [1, 2], 'a slot freed: the held PUBACK goes');
  arrive(3);
  t.same(acked, [1, 2], 'the next one fills the bound again: held');
  gate.leave();
  gate.leave();
  t.same(acked, [1, 2, 3]);
  arrive(4);
  t.same(acked, [1, 2, 3, 4], 'slack again: at once');
  t.equal(gate.peak, 2, 'never more than the bound in flight');
  t.equal(gate.deferrals, 2);
  const msgs = log.lines.map((l) => (JSON.parse(l) as { msg: string }).msg);
  t.same(msgs, ['backpressure on: no more messages taken until one is handled', 'backpressure off'], 'one episode: one line on, one off');
  const off = JSON.parse(log.lines[1]!) as { heldMs: number; held: number };
  t.same([off.heldMs, off.held], [50, 2], 'the off line says how long and how many');
  t.end();
});

void t.test('a bound below 1 is refused', (t) => {
  t.throws(() => new InFlightGate(0, new FakeClock(0), memoryLogger()), RangeError);
  t.end();
});
