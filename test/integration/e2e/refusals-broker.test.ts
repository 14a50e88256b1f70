/**
 * Issue 3 point 6, "Each refusal", at the broker and the registry, against
 * the whole center (not the broker alone, as test/integration/broker/ does):
 * an unknown certificate, a certificate from another CA, a kiosk the
 * registry does not know, a kiosk on another kiosk's topics, a revoked
 * kiosk (at connect and mid-session).
 *
 * Each case is asserted on both sides: what the client sees (no CONNACK,
 * CONNACK 5, SUBACK 0x80, a disconnect, an S310 `refused`), and the
 * center's log line and audit entry with the reason code.
 *
 * refusals-broker.sealed.test.ts runs it with the kiosks registered in
 * sealed mode (rig.ts rigMode): none of these refusals depends on the mode.
 */
import t from 'tap';
import { join } from 'node:path';
import { getKiosk, setKioskStatus } from '../../../center/registry.js';
import { sealDevKiosk } from '../../../kiosk/keystore/index.js';
import { initDevPki } from '../../../provisioning/pki/dev-pki.js';
import { upTopic } from '../../../wire/topics.js';
import { attemptConnect, connectClient, credsOf, selfSignedCreds } from '../../fixtures/mqtt-clients.js';
import { RawKiosk } from '../../fixtures/raw-kiosk.js';
import { random, rigMode, startRig } from '../../fixtures/rig.js';

// kiosk-1: misbehaves on topics; kiosk-2: an honest neighbour; kiosk-3: revoked before it connects;
// kiosk-4: revoked mid-session; kiosk-9: a certificate from the fleet CA, but not in the registry.
// No fleet watcher (fleetPollMs 0): a status set behind the center's back (setKioskStatus, as another process would) is then
// never followed by a kick, so the mid-session case sees the handlers' own refusal. The kick: test/integration/fleet/revoke.test.ts.
const rig = await startRig(t, { kiosks: ['kiosk-1', 'kiosk-2', 'kiosk-3', 'kiosk-4'], unregistered: ['kiosk-9'], cardsPerStation: 1, limits: { fleetPollMs: 0 } });
const { center } = rig;
const log = rig.logs.center;
const reg = { db: center.deps.db, audit: center.deps.audit, clock: center.deps.clock };

/** Where the center's log and audit log stand now: what a case finds must come after. */
async function mark(): Promise<{ line: number; entry: number }> {
  return { line: log.lines.length, entry: (await rig.audit()).length };
}

void t.test(`the kiosks are registered in ${rigMode()} mode`, async (t) => {
  for (const id of ['kiosk-1', 'kiosk-2', 'kiosk-3', 'kiosk-4']) t.equal((await getKiosk(center.deps.db, id))?.mode, rigMode(), `${id}: ${rigMode()}`);
});

void t.test('TLS: a certificate no fleet CA vouches for is refused before MQTT', async (t) => {
  await t.test('a self-signed certificate with the CN of a registered kiosk', async (t) => {
    const m = await mark();
    const a = await attemptConnect(center.url, rig.ca, await selfSignedCreds('kiosk-1'), 'kiosk-1');
    t.equal(a.connected, false, 'no CONNACK: the handshake fails');
    // OpenSSL's last verify error: with the CRL configured, CRL checking finds no CRL from the forged "issuer".
    const line = await log.waitFor(/"msg":"tls refused"/, 'the TLS refusal in the center log', { from: m.line });
    t.match(line, /"stage":"tls","reason":"UNABLE_TO_GET_CRL"/);
    const e = await rig.waitForAudit((e) => e.kind === 'broker.refused', 'broker.refused', { from: m.entry });
    t.same(e.detail, { stage: 'tls', reason: 'UNABLE_TO_GET_CRL', topic: null });
    t.equal(e.kiosk, null, 'a CN from a refused certificate is never taken as a kiosk ID');
    t.same(log.matching(/"msg":"client connected"/, m.line), [], 'no client was admitted');
  });

  await t.test('a kiosk certificate from another CA (a second development PKI)', async (t) => {
    const foreign = await initDevPki(join(rig.dir, 'foreign-pki'), { kiosks: ['kiosk-1'], random, sealKiosk: sealDevKiosk });
    const m = await mark();
    const a = await attemptConnect(center.url, rig.ca, await credsOf(foreign, 'kiosk-1'), 'kiosk-1');
    t.equal(a.connected, false, 'no CONNACK: the handshake fails');
    // Its tls.crt carries the foreign issuing CA: the chain stops at an untrusted root, and CRL checking of
    // the whole chain then finds no CRL from the foreign CAs, OpenSSL's last verify error (docs/pki.md).
    const line = await log.waitFor(/"msg":"tls refused"/, 'the TLS refusal in the center log', { from: m.line });
    t.match(line, /"stage":"tls","reason":"UNABLE_TO_GET_CRL"/);
    const e = await rig.waitForAudit((e) => e.kind === 'broker.refused', 'broker.refused', { from: m.entry });
    t.same(e.detail, { stage: 'tls', reason: 'UNABLE_TO_GET_CRL', topic: null });
  });

  await t.test('the genuine kiosk-1 certificate still connects (the refusals were about the certificates)', async (t) => {
    const a = await attemptConnect(center.url, rig.ca, await credsOf(rig.pki, 'kiosk-1'), 'kiosk-1');
    t.equal(a.connected, true);
  });
});

void t.test('a valid certificate of a kiosk the registry does not know: CONNACK 5, kiosk-unknown', async (t) => {
  const m = await mark();
  const a = await attemptConnect(center.url, rig.ca, await credsOf(rig.pki, 'kiosk-9'), 'kiosk-9');
  t.equal(a.connected, false);
  t.equal(a.error?.code, 5, 'CONNACK return code 5: not authorized (MQTT 3.1.1 §3.2.2.3)');
  await log.waitFor(/"msg":"connect refused","stage":"connect","reason":"kiosk-unknown","kiosk":"kiosk-9"/, 'the refusal in the center log', { from: m.line });
  const e = await rig.waitForAudit((e) => e.kind === 'broker.refused', 'broker.refused', { from: m.entry });
  t.match(e, { kiosk: 'kiosk-9', detail: { stage: 'connect', reason: 'kiosk-unknown' } });
});

void t.test("a kiosk on another kiosk's topics (a raw client with kiosk-1's certificate)", async (t) => {
  const honest = await RawKiosk.connect(t, center.url, rig.pki, 'kiosk-2');
  const reader2 = rig.stations['kiosk-2']!.identity.id;

  await t.test("publishing to kiosk-2's up topic: dropped, disconnected, never handled by the center", async (t) => {
    const m = await mark();
    const rogue = await RawKiosk.connect(t, center.url, rig.pki, 'kiosk-1');
    const closed = new Promise<void>((resolve) => rogue.client.once('close', () => resolve()));
    // A well-formed envelope that claims to be kiosk-2's, on kiosk-2's topic.
    const forged = rogue.seal('hello', { agent: 'forged/0', readers: [{ id: reader2, kind: 'sim' }], card: { present: false } });
    rogue.client.publish(upTopic('kiosk-2'), Buffer.from(forged), { qos: 1 });
    await closed;
    t.pass('kiosk-1 was disconnected');
    await log.waitFor(/"msg":"publish refused","stage":"publish","reason":"topic-not-allowed","kiosk":"kiosk-1","topic":"kiosk\/kiosk-2\/up"/, 'the refusal in the center log', { from: m.line });
    const e = await rig.waitForAudit((e) => e.kind === 'broker.refused', 'broker.refused', { from: m.entry });
    t.match(e, { kiosk: 'kiosk-1', detail: { stage: 'publish', reason: 'topic-not-allowed', topic: 'kiosk/kiosk-2/up' } });
    // A marker through the same broker and bridge after the refusal: once the center answered it, the forged hello would have been handled too.
    await honest.hello(reader2);
    await honest.waitDown('welcome');
    await center.idle();
    const wire = (await rig.audit(m.entry)).filter((x) => x.kind.startsWith('wire.') && x.kiosk === 'kiosk-2');
    t.same(
      wire.map((x) => `${x.kind} ${String(x.detail.type)}`),
      ['wire.in hello', 'wire.out welcome'],
      'the center handled only the honest hello of kiosk-2',
    );
    t.same(log.matching(/"msg":"(message in|wire refused)".*"kiosk":"kiosk-2"/, m.line).length, 1, 'one message of kiosk-2 in the bridge log');
  });

  await t.test("subscribing to kiosk-2's down topic: SUBACK 0x80, and nothing for kiosk-2 reaches kiosk-1", async (t) => {
    const m = await mark();
    const snoop = await connectClient(t, center.url, rig.ca, await credsOf(rig.pki, 'kiosk-1'), 'kiosk-1');
    const snooped: string[] = [];
    snoop.on('message', (topic) => snooped.push(topic));
    await t.rejects(snoop.subscribeAsync('kiosk/kiosk-2/down', { qos: 1 }), { name: 'ErrorWithSubackPacket' }, 'SUBACK 0x80 (MQTT 3.1.1 §3.9.3)');
    await log.waitFor(/"msg":"subscribe refused","stage":"subscribe","reason":"topic-not-allowed","kiosk":"kiosk-1","topic":"kiosk\/kiosk-2\/down"/, 'the refusal in the center log', { from: m.line });
    const e = await rig.waitForAudit((e) => e.kind === 'broker.refused', 'broker.refused', { from: m.entry });
    t.match(e, { kiosk: 'kiosk-1', detail: { stage: 'subscribe', reason: 'topic-not-allowed', topic: 'kiosk/kiosk-2/down' } });
    // The center now writes to kiosk-2: kiosk-2 gets it, kiosk-1 does not.
    const before = honest.downs.length;
    await honest.send('request', { application: 'NO-SUCH-APP', code: '000000' });
    t.match((await honest.waitDown('request-refused', before)).body, { reason: 'bad-credentials' });
    t.same(snooped, [], 'kiosk-1 received nothing');
  });
});

void t.test('a kiosk marked revoked in the registry', async (t) => {
  await t.test('before it connects: CONNACK 5, kiosk-revoked', async (t) => {
    const creds = await credsOf(rig.pki, 'kiosk-3');
    t.equal((await attemptConnect(center.url, rig.ca, creds, 'kiosk-3')).connected, true, 'while active, kiosk-3 connects');
    await setKioskStatus(reg, 'kiosk-3', 'revoked', 'test');
    const m = await mark();
    const a = await attemptConnect(center.url, rig.ca, creds, 'kiosk-3');
    t.equal(a.connected, false);
    t.equal(a.error?.code, 5, 'CONNACK return code 5: not authorized');
    await log.waitFor(/"msg":"connect refused","stage":"connect","reason":"kiosk-revoked","kiosk":"kiosk-3"/, 'the refusal in the center log', { from: m.line });
    const e = await rig.waitForAudit((e) => e.kind === 'broker.refused', 'broker.refused', { from: m.entry });
    t.match(e, { kiosk: 'kiosk-3', detail: { stage: 'connect', reason: 'kiosk-revoked' } });
    // The real agent too: refused at CONNACK, it never opens a session.
    const line = log.lines.length;
    const agent = await rig.startKiosk('kiosk-3', { ready: false });
    await rig.logs.kiosk('kiosk-3').waitFor(/"msg":"link error","err":\{"name":"ErrorWithReasonCode","code":5/, "the agent's connection refused with CONNACK 5");
    await log.waitFor(/"msg":"connect refused","stage":"connect","reason":"kiosk-revoked","kiosk":"kiosk-3"/, 'the agent refused in the center log', { from: line });
    t.equal(agent.state(), 'offline', 'the agent stays offline');
    t.same(agent.events, [], 'no session, nothing on the screen');
    await agent.stop();
  });

  await t.test('mid-session: the next message is answered `refused`, and nothing is issued', async (t) => {
    const kiosk = await rig.startKiosk('kiosk-4');
    const [app] = await rig.addApps(1);
    const station = rig.stations['kiosk-4']!;
    const hopper = await station.cards('hopper');
    await setKioskStatus(reg, 'kiosk-4', 'revoked', 'test');
    const m = await mark();
    const r = await kiosk.request(app!.id, app!.code);
    t.same(r, { outcome: 'refused', reason: 'kiosk-revoked' }, 'the customer is told issuance is not possible here');
    t.match(kiosk.events.at(-1), { type: 'refused', reason: 'kiosk-revoked' }, 'S310 on the screen');
    await log.waitFor(/"ns":"[a-z:]*:registry","msg":"message from a revoked kiosk refused","kiosk":"kiosk-4","type":"request","reason":"kiosk-revoked"/, 'the refusal in the center log', { from: m.line });
    await center.idle();
    const entries = await rig.audit(m.entry);
    t.same(
      entries.filter((e) => e.kiosk === 'kiosk-4').map((e) => `${e.kind} ${String(e.detail.type)}`),
      ['wire.in request', 'kiosk.refused request', 'wire.out refused'],
      'audited: the request in, the refusal with its reason, the refusal out, and nothing else',
    );
    t.match(entries.find((e) => e.kind === 'kiosk.refused')?.detail, { reason: 'kiosk-revoked' }, 'the audit entry names the reason');
    t.equal((await rig.jobOf(app!.id))?.state, 'PENDING', 'the job was not reserved');
    t.same(await station.cards('hopper'), hopper, 'no card was fed');
    t.same(await kiosk.request(app!.id, app!.code), { outcome: 'refused', reason: 'kiosk-revoked' }, 'later customers are refused at the kiosk');
  });
});
