// Envelopes (wire/envelope.ts, DESIGN §5): round trip, and one crafted
// payload per refusal reason, checked in the documented order.
import t, { type Test } from 'tap';
import { MAX_PAYLOAD_BYTES, openEnvelope, sealEnvelope } from '../../../wire/envelope.js';
import { isWireError, WireError, type RefusalReason } from '../../../wire/errors.js';
import { KIOSK, NOW, SESSION, centerSecret, craft, downOptions, helloBody, kioskSecret, otherSecret, outer, upEnvelope, upJson, upOptions, wrap } from './fixtures.js';

function refused(t: Test, f: () => unknown, reason: RefusalReason, name: string): void {
  t.throws(f, { name: 'WireError', code: 'WIRE_REFUSED', reason }, name);
}

void t.test('round trip: seal then open gives the same envelope', (t) => {
  const env = upEnvelope('hello', helloBody, { seq: 7 });
  const payload = sealEnvelope(env, kioskSecret);
  const opened = openEnvelope(payload, upOptions());
  t.same(opened, env);
  // The documented wire format: {"e","s"}; e is the header+body JSON in a fixed key order.
  const o = outer(payload);
  t.same(Object.keys(o), ['e', 's']);
  t.equal(Buffer.from(o.s, 'base64').length, 64);
  const signed = Buffer.from(o.e, 'base64').toString('utf8');
  t.equal(signed, JSON.stringify({ v: 1, kiosk: KIOSK, from: 'kiosk', session: SESSION, seq: 7, deadline: NOW + 5000, type: 'hello', body: helloBody }));

  const down = { ...env, from: 'center' as const, type: 'issued', body: { job: '00000000-0000-0000-0000-000000000000' } };
  t.same(openEnvelope(sealEnvelope(down, centerSecret), downOptions()), down);
  // The deadline itself is still in time.
  t.same(openEnvelope(payload, upOptions({ now: NOW + 5000 })).seq, 7);
  t.end();
});

void t.test('sealing: extra properties are dropped, bad headers are programming errors', (t) => {
  const env = { ...upEnvelope('hello', helloBody) };
  t.throws(() => sealEnvelope({ ...env, session: 'ABC' }, kioskSecret), RangeError);
  t.throws(() => sealEnvelope({ ...env, seq: 0 }, kioskSecret), RangeError);
  t.throws(() => sealEnvelope({ ...env, body: undefined }, kioskSecret), RangeError);
  t.throws(() => sealEnvelope(env, new Uint8Array(31)), RangeError);
  refused(t, () => sealEnvelope({ ...env, body: { agent: 'x'.repeat(MAX_PAYLOAD_BYTES) } }, kioskSecret), 'too-large', 'a body too big to send');
  t.end();
});

void t.test('too-large: checked before anything else', (t) => {
  const big = new Uint8Array(MAX_PAYLOAD_BYTES + 1).fill(0x20);
  refused(t, () => openEnvelope(big, upOptions()), 'too-large', 'one byte over');
  t.end();
});

void t.test('malformed: garbage, bad JSON, bad base64, bad header, __proto__', (t) => {
  const good = outer(sealEnvelope(upEnvelope('hello', helloBody), kioskSecret));
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['not UTF-8', Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d)],
    ['not JSON', new TextEncoder().encode('{"e":')],
    ['JSON array', wrap([good.e, good.s])],
    ['missing s', wrap({ e: good.e })],
    ['extra key', wrap({ ...good, x: 1 })],
    ['__proto__ outside', new TextEncoder().encode(`{"e":"${good.e}","s":"${good.s}","__proto__":{"x":1}}`)],
    ['e is a number', wrap({ e: 1, s: good.s })],
    ['base64 with whitespace', wrap({ e: `${good.e.slice(0, 4)}\n${good.e.slice(4)}`, s: good.s })],
    ['base64url alphabet', wrap({ e: good.e, s: good.s.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') + 'A-_A' })],
    ['base64 without padding', wrap({ e: good.e, s: good.s.replace(/=+$/, '') })],
    ['signature of 63 bytes', wrap({ e: good.e, s: Buffer.alloc(63).toString('base64') })],
    ['e not JSON', craft('not json')],
    ['e not an object', craft('[1,2]')],
    ['body missing', craft(upJson('0').replace(',"body":0', ''))],
    ['v 2', craft(upJson('{}', { v: 2 }))],
    ['session upper-case', craft(upJson('{}', { session: SESSION.toUpperCase() }))],
    ['seq 0', craft(upJson('{}', { seq: 0 }))],
    ['seq 2^31', craft(upJson('{}', { seq: 2 ** 31 }))],
    ['seq 1.5', craft(upJson('{}', { seq: 1.5 }))],
    ['deadline a string', craft(upJson('{}', { deadline: String(NOW) }))],
    ['type 33 characters', craft(upJson('{}', { type: 'x'.repeat(33) }))],
    ['kiosk with a slash', craft(upJson('{}', { kiosk: 'a/b' }))],
    ['from someone else', craft(upJson('{}', { from: 'admin' }))],
    ['unknown header key', craft(upJson('{}', { extra: true }))],
    ['__proto__ in the header', craft(upJson('{}').replace('{"v":1', '{"__proto__":{"polluted":1},"v":1'))],
    ['__proto__ deep in the body', craft(upJson('{"a":[{"__proto__":{"polluted":1}}]}'))],
    ['escaped __proto__ in the body', craft(upJson('{"\\u005f_proto__":{"polluted":1}}'))],
    ['nested 40 deep', craft(upJson('['.repeat(40) + ']'.repeat(40)))],
  ];
  // Non-canonical pad bits: "QR==" decodes like "QQ==" in lenient decoders.
  // A 64-byte signature ends in one data character carrying 2 bits and 4 zero pad bits, then "==".
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  t.ok(good.s.endsWith('=='));
  const sigBytes = Buffer.from(good.s, 'base64');
  const nonCanonical = `${good.s.slice(0, -3)}${alphabet[alphabet.indexOf(good.s.at(-3)!) | 1]!}==`;
  t.same(Buffer.from(nonCanonical, 'base64'), sigBytes, 'a lenient decoder reads the same bytes');
  cases.push(['non-canonical base64 pad bits', wrap({ e: good.e, s: nonCanonical })]);

  for (const [name, payload] of cases) refused(t, () => openEnvelope(payload, upOptions()), 'malformed', name);
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was touched');
  t.end();
});

void t.test('malformed wins over a bad signature (shape is checked first)', (t) => {
  refused(t, () => openEnvelope(craft(upJson('{}', { seq: 0 }), otherSecret), upOptions()), 'malformed', 'bad shape, bad key');
  t.end();
});

void t.test('wrong-address: topic and direction must match the signed header', (t) => {
  const up = sealEnvelope(upEnvelope('hello', helloBody), kioskSecret);
  refused(t, () => openEnvelope(up, upOptions({ topic: 'kiosk/kiosk-02/up' })), 'wrong-address', 'another kiosk in the topic');
  refused(t, () => openEnvelope(up, upOptions({ topic: `kiosk/${KIOSK}/down` })), 'wrong-address', 'kiosk envelope on a down topic');
  refused(t, () => openEnvelope(up, upOptions({ topic: `kiosk/${KIOSK}/state` })), 'wrong-address', 'state topic');
  refused(t, () => openEnvelope(up, upOptions({ topic: `kiosk/${KIOSK}/up/x` })), 'wrong-address', 'extra level');
  refused(t, () => openEnvelope(up, upOptions({ topic: 'kiosk/+/up' })), 'wrong-address', 'a wildcard');
  const fromCenter = sealEnvelope({ ...upEnvelope('welcome', {}), from: 'center' }, centerSecret);
  refused(t, () => openEnvelope(fromCenter, upOptions()), 'wrong-address', 'from=center on an up topic');
  t.end();
});

void t.test('unknown-sender: no key for the claimed sender', (t) => {
  const env = upEnvelope('hello', helloBody, { kiosk: 'kiosk-99' });
  const payload = sealEnvelope(env, kioskSecret);
  refused(t, () => openEnvelope(payload, upOptions({ topic: 'kiosk/kiosk-99/up' })), 'unknown-sender', 'unregistered kiosk');
  let asked: unknown[] = [];
  refused(
    t,
    () =>
      openEnvelope(payload, {
        ...upOptions({ topic: 'kiosk/kiosk-99/up' }),
        publicKeyFor: (...args) => {
          asked = args;
          return undefined;
        },
      }),
    'unknown-sender',
    'lookup returned undefined',
  );
  t.same(asked, ['kiosk', 'kiosk-99'], 'the lookup gets the signed sender and kiosk');
  t.end();
});

void t.test('bad-signature: any changed byte, another key, a wrong-length key', (t) => {
  const payload = sealEnvelope(upEnvelope('hello', helloBody), kioskSecret);
  const o = outer(payload);
  const e = Buffer.from(o.e, 'base64');
  // Tamper a byte of the body ("cardline-kiosk" → "cardlinf-kiosk"): still valid JSON, still the right shape.
  const at = e.indexOf('cardline');
  t.ok(at > 0);
  e[at + 7] = 0x66;
  refused(t, () => openEnvelope(wrap({ e: e.toString('base64'), s: o.s }), upOptions()), 'bad-signature', 'tampered body byte');

  const s = Buffer.from(o.s, 'base64');
  s[10]! ^= 0x01;
  refused(t, () => openEnvelope(wrap({ e: o.e, s: s.toString('base64') }), upOptions()), 'bad-signature', 'tampered signature');
  refused(t, () => openEnvelope(craft(upJson(JSON.stringify(helloBody)), otherSecret), upOptions()), 'bad-signature', 'signed by another key');
  refused(t, () => openEnvelope(payload, upOptions({ publicKeyFor: () => new Uint8Array(31) })), 'bad-signature', 'a 31-byte key');
  t.end();
});

void t.test('late: the deadline is checked last, on the receiver clock', (t) => {
  const payload = sealEnvelope(upEnvelope('hello', helloBody, { deadline: NOW - 1 }), kioskSecret);
  refused(t, () => openEnvelope(payload, upOptions()), 'late', 'one ms late');
  // A late message with a bad signature is a bad signature (the deadline is not trusted before it verifies).
  refused(t, () => openEnvelope(craft(upJson('{}', { deadline: NOW - 1 }), otherSecret), upOptions()), 'bad-signature', 'late and forged');
  t.throws(() => openEnvelope(payload, upOptions({ now: Number.NaN })), RangeError);
  t.end();
});

void t.test('WireError and isWireError', (t) => {
  const e = new WireError('late', 'x');
  t.ok(isWireError(e));
  t.ok(isWireError(e, 'late'));
  t.notOk(isWireError(e, 'replayed'));
  t.notOk(isWireError(new Error('late')));
  t.equal(e.name, 'WireError');
  t.equal(e.code, 'WIRE_REFUSED');
  t.equal(e.message, 'late: x');
  t.end();
});
