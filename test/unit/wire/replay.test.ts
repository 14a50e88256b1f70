// The per-session replay guard (wire/replay.ts).
import t from 'tap';
import { SequenceWindow } from '../../../wire/replay.js';

const A = 'a'.repeat(32);
const B = 'b'.repeat(32);

void t.test('replays are refused, gaps are allowed', (t) => {
  const w = new SequenceWindow();
  t.equal(w.highest(A), undefined);
  w.check(A, 1);
  w.accept(A, 1);
  t.throws(() => w.check(A, 1), { name: 'WireError', reason: 'replayed' }, 'same seq again');
  w.accept(A, 5); // a gap
  t.equal(w.highest(A), 5);
  t.throws(() => w.check(A, 3), { name: 'WireError', reason: 'replayed' }, 'a seq inside the gap, after a higher one');
  t.throws(() => w.check(A, 5), { name: 'WireError', reason: 'replayed' });
  w.check(A, 6);
  t.equal(w.highest(A), 5, 'check records nothing');
  w.check(B, 1); // sessions are independent
  t.end();
});

void t.test('accept checks again (two copies that both passed check)', (t) => {
  const w = new SequenceWindow();
  w.check(A, 2);
  w.check(A, 2);
  w.accept(A, 2);
  t.throws(() => w.accept(A, 2), { name: 'WireError', reason: 'replayed' });
  t.equal(w.highest(A), 2);
  t.end();
});

void t.test('forget drops a session', (t) => {
  const w = new SequenceWindow();
  w.accept(A, 9);
  w.forget(A);
  t.equal(w.highest(A), undefined);
  w.accept(A, 1);
  t.equal(w.highest(A), 1);
  t.end();
});

void t.test('the least recently used session is evicted', (t) => {
  const w = new SequenceWindow({ maxSessions: 2 });
  w.accept('s1', 1);
  w.accept('s2', 1);
  w.check('s1', 2); // s1 used: s2 is now the oldest
  w.accept('s3', 1);
  t.equal(w.size, 2);
  t.equal(w.highest('s2'), undefined, 's2 evicted');
  t.equal(w.highest('s1'), 1);
  t.equal(w.highest('s3'), 1);
  w.accept('s1', 2);
  w.accept('s4', 1);
  t.equal(w.highest('s3'), undefined, 's3 evicted');
  t.same([w.highest('s1'), w.highest('s4')], [2, 1]);

  const big = new SequenceWindow();
  for (let i = 0; i < 1500; i++) big.accept(`s${i}`, 1);
  t.equal(big.size, 1024, 'default bound');
  t.equal(big.highest('s0'), undefined);
  t.equal(big.highest('s1499'), 1);
  t.end();
});

void t.test('programming errors', (t) => {
  t.throws(() => new SequenceWindow({ maxSessions: 0 }), RangeError);
  const w = new SequenceWindow();
  for (const seq of [0, -1, 1.5, 2 ** 31, Number.NaN]) t.throws(() => w.check(A, seq), RangeError, String(seq));
  t.end();
});
