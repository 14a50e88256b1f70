/**
 * Issue 6 point 3 again, the kill at the other delicate moment: the worker
 * that takes the kiosk's `card` (job RESERVED, the card fed and read at the
 * kiosk) dies with it. Real processes, as kill-worker.test.ts
 * (kill-rig.ts): Mosquitto 2, PostgreSQL, two `cardline center --worker`
 * processes and a `cardline kiosk` serving one customer.
 *
 * Mosquitto hands the messages of the shared subscription round robin, one
 * worker after the other. Once the kiosk's hello and reader report are
 * handled, the worker that took the last of them is frozen (SIGSTOP: its
 * socket stays open, so the broker still hands it messages): the request
 * goes to the other worker, which reserves the job, and the `card` to the
 * frozen one, killed (-9) once it is in flight. The kiosk hears nothing for
 * answerTimeoutMs, opens a new session, and the survivor's hello recovery
 * resumes the reservation (center/handlers/hello.ts): the kiosk reads the
 * card at its station again for its waiting customer, and it is issued.
 * Before that fix the reservation was released and the card captured.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from '../../fixtures/rig.js';
import { checkIssuedOnce, kioskIssued, LONG, messagesIn, startKillRig } from './kill-rig.js';

/** Time for the kiosk's mqtt client to write `card` to the socket after it logged the feed (a read is a few APDUs). */
const CARD_IN_FLIGHT_MS = 500;
const handled = (lines: string[]): number => lines.filter((l) => l.includes('"msg":"message in"')).length;

void t.test('kill -9 of the worker holding the card message: the other worker resumes the reservation, ISSUED once, no card captured', async (t) => {
  const rig = await startKillRig(t, 'KILLC');
  const { app, lap } = rig;
  const workers = [await rig.worker('w1'), await rig.worker('w2')];
  lap('two workers listening');

  const kiosk = rig.kiosk();
  await kiosk.waitFor(/authenticated\. Ready\./, LONG, 'the kiosk ready for its customer');
  await eventually(() => workers.some((w) => messagesIn(w, 'reader-report').length > 0), 'a worker handling the reader report', LONG);
  const last = workers.find((w) => messagesIn(w, 'reader-report').length > 0);
  const [victim, survivor] = last === workers[0] ? [workers[0]!, workers[1]!] : [workers[1]!, workers[0]!];
  t.comment(`handled so far: w1 ${handled(workers[0]!.err)}, w2 ${handled(workers[1]!.err)}; ${victim.name} took the last, so the request goes to ${survivor.name} and the card to ${victim.name}`);
  victim.freeze();

  kiosk.write(`${app.input.code}\n`);
  kiosk.endInput();
  await kiosk.waitFor(/"msg":"card fed"/, LONG, 'the kiosk feeding a card for the reserved job', { stream: 'err' });
  await sleep(CARD_IN_FLIGHT_MS);
  const exit = await victim.kill9();
  t.equal(exit.signal, 'SIGKILL', `${victim.name} was killed holding the card`);
  lap(`${victim.name} killed`);

  const { result, renewed } = await kioskIssued(t, kiosk);
  t.comment(`kiosk: ${result}`);
  t.equal(messagesIn(survivor, 'request').length, 1, `${survivor.name} handled the request (the reservation)`);
  t.ok(renewed, 'the card was lost with the killed worker: the kiosk opened a new session');
  t.ok(messagesIn(survivor, 'hello').length >= 1, `${survivor.name} handled the new session's hello`);
  t.ok(survivor.err.some((l) => l.includes('"msg":"reservation resumed"')), `${survivor.name} resumed the reservation`);
  t.equal(messagesIn(survivor, 'card').length, 1, `${survivor.name} handled one card: the same card read again in the new session`);
  t.notOk(kiosk.err.some((l) => l.includes('unexpected card at the station')), 'the kiosk did not capture its card to feed another');
  lap('kiosk done');

  t.equal((await survivor.stop()).code, 0, `${survivor.name} stops cleanly on SIGTERM`);
  await checkIssuedOnce(t, rig);
  lap('total');
});
