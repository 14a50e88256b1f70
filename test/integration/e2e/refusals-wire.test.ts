/**
 * Issue 3 point 6, "Each refusal", on the wire (DESIGN §5, docs/protocol.md
 * "Receiving"): a replayed envelope, an expired deadline, a tampered
 * envelope and an unknown type at the center, and an expired script at the
 * kiosk. Envelopes are captured from the real agent or sealed by hand with
 * the real keys from the PKI directory, and published through the real
 * broker with the real certificates.
 *
 * Each refusal is asserted on both sides: the sender sees no answer (and
 * nothing happens: no reservation, no counted try, no card fed), and the
 * receiver logs 'wire refused' with the reason code (the center audits
 * 'wire.refused' too). A control message that differs only in what is being
 * tested is accepted, so each refusal is for that reason alone.
 *
 * Mode-aware (rig.ts rigMode): refusals-wire.sealed.test.ts runs it with the
 * kiosks in sealed mode, where the center writes with a `package` and the
 * late message at the kiosk is a package.
 */
import t from 'tap';
import { randomUUID } from 'node:crypto';
import { readKeyFile } from '../../../common/key-files.js';
import { currentSession } from '../../../center/sessions.js';
import { sealEnvelope, type Envelope } from '../../../wire/envelope.js';
import { downTopic, upTopic } from '../../../wire/topics.js';
import { connectClient, credsOf } from '../../fixtures/mqtt-clients.js';
import { RawKiosk } from '../../fixtures/raw-kiosk.js';
import { eventually, random, rigMode, startRig } from '../../fixtures/rig.js';
import { sealPackage } from '../../../wire/package.js';

const rig = await startRig(t, { kiosks: ['kiosk-1', 'kiosk-2'], cardsPerStation: 2 });
const { center } = rig;
const log = rig.logs.center;
/** What the center writes with in this mode (DESIGN §3 "Sealed mode"). */
const mode = rigMode();
const WRITE = mode === 'sealed' ? 'package' : 'script';

/** The envelope inside a payload, read without checking it (the test's own view). */
function peek(payload: Uint8Array): Envelope {
  const outer = JSON.parse(Buffer.from(payload).toString('utf8')) as { e: string };
  return JSON.parse(Buffer.from(outer.e, 'base64').toString('utf8')) as Envelope;
}

/** The center's 'wire refused' line for `kiosk` with `reason`, after log line `from`. */
function refusedLine(kiosk: string, reason: string, from: number): Promise<string> {
  return log.waitFor(new RegExp(`"msg":"wire refused","kiosk":"${kiosk}","reason":"${reason}"`), `the center refusing a message of ${kiosk} as ${reason}`, { from });
}

void t.test('a replayed envelope: a request the kiosk really sent, published again with its certificate', async (t) => {
  // A listener on the broker with the center's certificate: it sees every up message of kiosk-1.
  const spy = await connectClient(t, center.url, rig.ca, await credsOf(rig.pki, 'center'), 'cardline-center-spy');
  const captured: Uint8Array[] = [];
  spy.on('message', (_topic, payload) => captured.push(new Uint8Array(payload)));
  await spy.subscribeAsync(upTopic('kiosk-1'), { qos: 1 });

  const kiosk = await rig.startKiosk('kiosk-1');
  const [app] = await rig.addApps(1);
  const wrongCode = 'WrongCode1';
  t.same(await kiosk.request(app!.id, wrongCode), { outcome: 'refused', reason: 'bad-credentials' });
  const issued = await kiosk.request(app!.id, app!.code);
  t.match(issued, { outcome: 'issued' });
  const requests = (): Uint8Array[] => captured.filter((p) => peek(p).type === 'request');
  await eventually(() => requests().length === 2, 'the spy capturing both requests');
  const [wrongRequest, rightRequest] = requests();
  await rig.waitForAudit((e) => e.kind === 'card.ejected' && e.job === issued.job, 'the card ejected');
  t.ok((await rig.audit()).some((e) => e.kind === 'wire.out' && e.job === issued.job && e.detail.type === WRITE), `${mode} mode: the card was written with a ${WRITE}`);
  await kiosk.stop(); // its session stays the current one at the center: the replays are inside it

  const row = await rig.application(app!.id);
  const from = (await rig.audit()).length;
  const line = log.lines.length;
  const replayer = await connectClient(t, center.url, rig.ca, await credsOf(rig.pki, 'kiosk-1'), 'kiosk-1');
  await replayer.subscribeAsync(downTopic('kiosk-1'), { qos: 1 });
  const answers: string[] = [];
  replayer.on('message', (topic) => answers.push(topic));

  for (const [payload, what] of [
    [wrongRequest!, 'the wrong-code request'],
    [rightRequest!, 'the right-code request'],
  ] as const) {
    const mark = log.lines.length;
    await replayer.publishAsync(upTopic('kiosk-1'), Buffer.from(payload), { qos: 1 });
    const refused = await refusedLine('kiosk-1', 'replayed', mark);
    t.match(refused, new RegExp(`"type":"request","seq":${peek(payload).seq}`), `${what} is refused as replayed`);
  }
  await center.idle();
  const entries = await rig.audit(from);
  t.same(
    entries.map((e) => [e.kind, e.detail.reason, e.detail.type]),
    [
      ['wire.refused', 'replayed', 'request'],
      ['wire.refused', 'replayed', 'request'],
    ],
    'audited: two wire.refused (replayed) and nothing else: no wire.in, no job move',
  );
  t.same(answers, [], 'no answer went to the kiosk');
  t.equal((await rig.application(app!.id))?.failed_attempts, row?.failed_attempts, 'the replayed wrong code was not counted again');
  const jobs = await rig.jobsOf(app!.id);
  t.same(
    jobs.map((j) => j.state),
    ['ISSUED'],
    'no second job reservation: one job, ISSUED',
  );
  t.same(log.matching(/"msg":"message in"/, line), [], 'the bridge handled no message');
});

void t.test('sealed by hand with kiosk-2’s key: late, tampered, unknown type, replayed hello', async (t) => {
  const raw = await RawKiosk.connect(t, center.url, rig.pki, 'kiosk-2');
  const reader = rig.stations['kiosk-2']!.identity.id;
  const hello = await raw.hello(reader);
  await raw.waitDown('welcome');
  t.pass('control: a hand-sealed hello opens a session (welcome)');
  const [app] = await rig.addApps(1);
  const request = { application: app!.id, code: app!.code };
  const from = (await rig.audit()).length;
  const downs = raw.downs.length;

  await t.test('a request whose deadline has passed: late', async (t) => {
    const mark = log.lines.length;
    await raw.send('request', request, { deadline: Date.now() - 1000 });
    // openEnvelope refuses before it returns the envelope: the log says which message in its error text only.
    t.match(await refusedLine('kiosk-2', 'late', mark), /"error":"late: request seq 2: deadline passed \d+ ms ago"/);
    const e = await rig.waitForAudit((e) => e.kind === 'wire.refused' && e.detail.reason === 'late', 'wire.refused late', { from });
    t.match(e, { kiosk: 'kiosk-2', detail: { reason: 'late' } });
  });

  await t.test('a request with a byte flipped inside the signed part: bad-signature', async (t) => {
    const mark = log.lines.length;
    const payload = raw.seal('request', request);
    const outer = JSON.parse(Buffer.from(payload).toString('utf8')) as { e: string; s: string };
    const signed = Buffer.from(outer.e, 'base64');
    const at = signed.indexOf(app!.code);
    signed[at] = signed[at]! ^ 0x01; // one character of the code, still valid JSON
    await raw.publish(Buffer.from(JSON.stringify({ e: signed.toString('base64'), s: outer.s })));
    await refusedLine('kiosk-2', 'bad-signature', mark);
    const e = await rig.waitForAudit((e) => e.kind === 'wire.refused' && e.detail.reason === 'bad-signature', 'wire.refused bad-signature', { from });
    t.match(e, { kiosk: 'kiosk-2', detail: { type: null, seq: null } }, 'nothing of an unverified envelope is taken into the audit');
  });

  await t.test('a well-signed envelope of a type the protocol does not know: unknown-type', async (t) => {
    const mark = log.lines.length;
    await raw.send('teleport', { application: app!.id });
    await refusedLine('kiosk-2', 'unknown-type', mark);
    const e = await rig.waitForAudit((e) => e.kind === 'wire.refused' && e.detail.reason === 'unknown-type', 'wire.refused unknown-type', { from });
    t.match(e, { kiosk: 'kiosk-2', session: raw.session });
  });

  await t.test('the hello published again: replayed (a session opens once)', async (t) => {
    const mark = log.lines.length;
    await raw.publish(hello);
    t.match(await refusedLine('kiosk-2', 'replayed', mark), /"type":"hello","seq":1/);
  });

  await t.test('none of them had an effect; the same request, in time, reserves the job', async (t) => {
    await center.idle();
    t.same(raw.downs.slice(downs), [], 'the center answered none of them');
    t.equal((await rig.jobOf(app!.id))?.state, 'PENDING', 'the job was not reserved');
    t.equal((await rig.application(app!.id))?.failed_attempts, 0, 'no try was counted');
    t.same(
      (await rig.audit(from)).map((e) => `${e.kind} ${String(e.detail.reason)}`),
      ['wire.refused late', 'wire.refused bad-signature', 'wire.refused unknown-type', 'wire.refused replayed'],
      'audited: the four refusals and nothing else',
    );
    // Control: the request as sealed above, only in time and in sequence.
    await raw.send('request', request);
    const insert = await raw.waitDown('insert-card', downs);
    t.match(insert.body, { job: (await rig.jobOf(app!.id))?.id, attempt: 1, recover: false });
    t.equal((await rig.jobOf(app!.id))?.state, 'RESERVED');
  });
});

void t.test(`kiosk side: a ${WRITE} signed by the center but past its deadline is dropped as late`, async (t) => {
  const kiosk = await rig.startKiosk('kiosk-1');
  const klog = rig.logs.kiosk('kiosk-1');
  const station = rig.stations['kiosk-1']!;
  const session = await currentSession(center.deps.db, 'kiosk-1');
  t.ok(session, 'the agent has a session at the center');
  // The center's own key and certificate, as a second center process would hold them.
  const centerKey = await readKeyFile(rig.pki.center.signingKey, 32, { secret: true });
  t.teardown(() => centerKey.fill(0));
  const fakeCenter = await connectClient(t, center.url, rig.ca, await credsOf(rig.pki, 'center'), 'cardline-center-test');
  const sealingPub = await readKeyFile(rig.pki.kiosks['kiosk-1']!.sealingPub, 32);
  /** A script (relay mode), or a package really sealed to kiosk-1 (sealed mode), for a job the kiosk does not hold. */
  const body = (deadline: number): Record<string, unknown> => {
    const job = randomUUID();
    if (WRITE === 'script') return { job, attempt: 1, kind: 'write', stop: 'first-error', apdus: ['00A4040000'], summary: { storeDataBlocks: 0, dgis: 0 } };
    const bound = { job, attempt: 1, kind: 'write', profile: 'cardline-basic', deadline } as const;
    return { ...bound, sealed: sealPackage(random(64), sealingPub, { kiosk: 'kiosk-1', ...bound }, random) };
  };
  const script = (seq: number, deadline: number): Buffer =>
    Buffer.from(sealEnvelope({ v: 1, kiosk: 'kiosk-1', from: 'center', session: session!, seq, deadline, type: WRITE, body: body(deadline) }, centerKey));
  const events = kiosk.events.length;
  const hopper = await station.cards('hopper');

  const mark = klog.lines.length;
  await fakeCenter.publishAsync(downTopic('kiosk-1'), script(1000, Date.now() - 1000), { qos: 1 });
  await klog.waitFor(/"ns":"kiosk-1:kiosk:link","msg":"wire refused","reason":"late"/, `the kiosk refusing the ${WRITE} as late`, { from: mark });
  t.same(klog.matching(/"msg":"down"/, mark), [], 'it never reached the session runner');

  // Control: the same message in time passes the link and is refused by the runner for its own reason (no such job).
  const mark2 = klog.lines.length;
  await fakeCenter.publishAsync(downTopic('kiosk-1'), script(1001, Date.now() + 30_000), { qos: 1 });
  await klog.waitFor(new RegExp(`"msg":"wire refused","reason":"wrong-job","type":"${WRITE}"`), `the runner refusing the timely ${WRITE} (wrong job)`, { from: mark2 });
  t.same(kiosk.events.slice(events), [], 'nothing on the screen');
  t.same(await station.cards('hopper'), hopper, 'no card was touched');
  t.equal(kiosk.state(), 'ready');
  // The control took sequence 1001 of this session at the kiosk: the center's own next messages would now look replayed.
  await kiosk.stop();
});
