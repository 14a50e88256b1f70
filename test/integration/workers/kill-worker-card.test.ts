/**
 * Issue 6 point 3 again, the kill at the other delicate moment: the worker
 * that takes the kiosk's `card` (job RESERVED, the card fed and read at the
 * kiosk) dies with it. Real processes, as kill-worker.test.ts
 * (kill-rig.ts): Mosquitto 2, PostgreSQL, two `cardline center --worker`
 * processes and a `cardline kiosk` serving one customer.
 *
 * Mosquitto hands the messages of the shared subscription round robin, one
 * worker after the other. The moment one worker logs the customer's
 * request (it reserves the job and sends insert-card), the other is frozen
 * (SIGSTOP: its socket stays open, so the broker still hands it messages)
 * and gets the kiosk's `card`; it is killed (-9) once that is in flight. The kiosk hears nothing for
 * answerTimeoutMs, opens a new session, and the survivor's hello recovery
 * resumes the reservation (center/handlers/hello.ts): the kiosk reads the
 * card at its station again for its waiting customer, and it is issued.
 * Before that fix the reservation was released and the card captured.
 */
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
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
  // The worker that handles the request reserves the job and sends insert-card; the broker hands the next
  // up message (the kiosk's `card`) to the other worker, frozen the moment the request is seen.
  const requestAt = Promise.race(
    workers.map((w) => w.waitFor(/"msg":"message in".*"type":"request"/, LONG, `${w.name} handling the request`, { stream: 'err' }).then(() => w)),
  );
  kiosk.write(`${app.input.code}\n`);
  kiosk.endInput();
  const survivor = await requestAt;
  const victim = survivor === workers[0] ? workers[1]! : workers[0]!;
  victim.freeze();
  t.comment(`handled so far: w1 ${handled(workers[0]!.err)}, w2 ${handled(workers[1]!.err)}; ${survivor.name} took the request, so the card goes to ${victim.name}`);

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
