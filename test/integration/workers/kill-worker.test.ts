/**
 * Issue 6 point 3, "kill a worker mid-session: the session completes on
 * another worker, and the job is ISSUED exactly once", and point 4's "a
 * test inspects Mosquitto's persistence file after a run", with real
 * processes: a private Mosquitto 2 (test/fixtures/mosquitto.ts, the files
 * of `cardline broker config`), a private PostgreSQL, two `cardline center
 * --broker … --worker wN` processes sharing `$share/center/kiosk/+/up`, and
 * a `cardline kiosk` serving one customer.
 *
 * The kill: once the kiosk runs the write script, the worker that will
 * take its `result` is frozen (SIGSTOP: it reads and answers nothing, its
 * socket stays open, so the broker still hands it the message), and killed
 * (-9) once the result is in flight. Mosquitto's shared subscription hands
 * messages round robin, so with two workers the result goes to the worker
 * that did not take `card`; if it went to the other after all, the job
 * simply completes there. Either way the kiosk must end with its card:
 * when the center stays silent (answerTimeoutMs) it opens a new session and
 * the live worker's hello recovery resumes the job on the card at the
 * station.
 */
import t from 'tap';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkIssuedOnce, kioskIssued, LONG, messagesIn, startKillRig } from './kill-rig.js';
import { makeApps, type TestApplication } from '../e2e/local-rig.js';
import { personalDataIn } from './personal-data.js';

const KILL_AFTER = /step 1\/\d+/;
/** Time for the kiosk's mqtt client to write the result to the socket after it logged the script's end. */
const RESULT_IN_FLIGHT_MS = 300;

void t.test('kill -9 of the worker holding a session mid-script: the other worker completes it, ISSUED once; the broker keeps no personal data', async (t) => {
  const rig = await startKillRig(t, 'KILLW');
  const { site, mosq, app, other, lap } = rig;
  const workers = [await rig.worker('w1'), await rig.worker('w2')];
  lap('two workers listening');

  const kiosk = rig.kiosk();
  kiosk.write(`${app.input.code}\n`);
  kiosk.endInput();
  await kiosk.waitFor(KILL_AFTER, LONG, 'the kiosk running APDU 1 of the write script');
  const cardAt = workers.find((w) => messagesIn(w, 'card').length > 0);
  t.ok(cardAt, 'one worker took the card message and sent the script');
  const [victim, survivor] = cardAt === workers[0] ? [workers[1]!, workers[0]!] : [workers[0]!, workers[1]!];
  t.comment(`handled so far: w1 ${workers[0]!.err.filter((l) => l.includes('"msg":"message in"')).length}, w2 ${workers[1]!.err.filter((l) => l.includes('"msg":"message in"')).length} messages; ${victim.name} should take the result`);
  victim.freeze();
  await kiosk.waitFor(/"msg":"script run"/, LONG, 'the kiosk finishing the script and sending its result', { stream: 'err' });
  await sleep(RESULT_IN_FLIGHT_MS);
  const exit = await victim.kill9();
  t.equal(exit.signal, 'SIGKILL', `${victim.name} was killed mid-session`);
  lap(`${victim.name} killed`);

  const { result, renewed } = await kioskIssued(t, kiosk);
  t.comment(`kiosk: ${result}; ${renewed ? 'the result was lost with the killed worker: the kiosk opened a new session and the survivor recovered the job' : `the result reached ${survivor.name} directly`}`);
  t.equal(messagesIn(victim, 'result').length, 0, `${victim.name} never handled the result`);
  t.ok(messagesIn(survivor, 'result').length >= 1, `${survivor.name} handled the result`);
  if (renewed) t.ok(messagesIn(survivor, 'hello').length >= 1, `${survivor.name} handled the new session's hello (its recovery)`);
  lap('kiosk done');

  t.equal((await survivor.stop()).code, 0, `${survivor.name} stops cleanly on SIGTERM`);
  await checkIssuedOnce(t, rig);

  // The broker's persistence file, written when it stops: the state messages, nothing of the customer.
  await mosq.stop();
  const persisted = await readFile(mosq.persistencePath);
  t.ok(persisted.length > 0, `mosquitto saved its state (${persisted.length} bytes)`);
  t.ok(persisted.includes(Buffer.from(`kiosk/${site.kioskId}/state`)), 'it holds the retained state message (the file is what we think it is)');
  t.same(personalDataIn(persisted, [app, other]), [], 'no personal data and no protocol message in the persistence file');
  lap('total');
});

void t.test('the persistence check finds personal data where there is some', async (t) => {
  const [app] = makeApps(1, 'PROBE') as [TestApplication];
  const { sealEnvelope } = await import('../../../wire/envelope.js');
  const sk = new Uint8Array(32).fill(7);
  const env = sealEnvelope({ v: 1, kiosk: 'kiosk-1', from: 'kiosk', session: '0'.repeat(32), seq: 2, deadline: Date.now(), type: 'request', body: { application: app.input.id, code: app.input.code } }, sk);
  const file = Buffer.concat([Buffer.from('\0\0mosquitto db\0kiosk/kiosk-1/up\0'), Buffer.from(env), Buffer.from(app.cardholder)]);
  t.match(personalDataIn(file, [app]), ['PROBE-1: cardholder name', 'PROBE-1: one-time code', 'a protocol envelope'], 'a request envelope (its code in base64) and a name in clear are found');
  t.same(personalDataIn(Buffer.from('kiosk/kiosk-1/state {"online":false}'), [app]), [], 'a state message is not personal data');
});
