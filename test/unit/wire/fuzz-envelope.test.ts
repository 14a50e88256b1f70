// Property/fuzz test of the receiving side (wire/envelope.ts, wire/codec.ts):
// whatever arrives, openEnvelope (and decodeUp on what it accepts) throws
// nothing but a WireError: no TypeError, RangeError, SyntaxError or stack
// overflow. Inputs: random bytes, random JSON, byte mutations of a valid
// payload, and mutations of the signed bytes re-signed with the kiosk's key
// (so they get past the signature and reach the header and body checks).
//
// FUZZ_RUNS sets the runs per property (default 2000, as in
// test/unit/card/fuzz-parsers.test.ts); FUZZ_SEED replays a failure. The two
// re-signed properties run FUZZ_RUNS / 20 times (at least 25): each run signs
// and verifies with Ed25519 in pure JS (~5 ms), the others take microseconds.
import fc from 'fast-check';
import t from 'tap';
import { decodeUp } from '../../../wire/codec.js';
import { fuzzSettings, mutate, mutationsOf } from '../../fixtures/fuzz.js';
import { openEnvelope, sealEnvelope, type Envelope } from '../../../wire/envelope.js';
import { WireError } from '../../../wire/errors.js';
import { KIOSK, NOW, SESSION, craft, helloBody, kioskSecret, outer, upEnvelope, upOptions, wrap } from './fixtures.js';

const { runs: RUNS, params: PARAMS } = fuzzSettings();
const SIGNED_RUNS = Math.max(25, Math.floor(RUNS / 20));

t.setTimeout(Math.max(300_000, RUNS * 20));


const outcomes = new Map<string, number>();

/** Opens and decodes; a WireError is an allowed outcome, anything else fails the property. */
function receive(payload: Uint8Array): void {
  let outcome = 'accepted';
  try {
    decodeUp(openEnvelope(payload, upOptions()));
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    outcome = e.reason;
  }
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
}

// Bytes that matter to JSON and base64.
const special = fc.constantFrom(...'{}[]":,\\=+/0aAeEsu_- \n'.split('').map((c) => c.charCodeAt(0)), 0x00, 0x7f, 0x80, 0xc3, 0xff);
const byte = fc.oneof(fc.integer({ min: 0, max: 255 }), special);
const mutationArb = mutationsOf(byte);

const valid: Envelope[] = [
  upEnvelope('hello', helloBody),
  upEnvelope('request', { application: 'app-1', code: 'ABCD1234' }, { seq: 2 }),
  upEnvelope('result', { job: '3f2b8c1e-9a4d-4e6f-8b7a-0c1d2e3f4a5b', attempt: 1, responses: ['9000', '6A82'] }, { seq: 3 }),
];
const validPayloads = valid.map((env) => sealEnvelope(env, kioskSecret));
const validSigned = validPayloads.map((p) => new Uint8Array(Buffer.from(outer(p).e, 'base64')));

function check<Ts extends [unknown, ...unknown[]]>(name: string, arbs: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> }, predicate: (...args: Ts) => void, runs = RUNS): void {
  void t.test(name, (t) => {
    fc.assert(fc.property(...arbs, predicate), { ...PARAMS, numRuns: runs } as fc.Parameters<Ts>);
    t.pass(`${runs} runs`);
    t.end();
  });
}

void t.test('the valid payloads are accepted (the properties start from real messages)', (t) => {
  for (const [i, p] of validPayloads.entries()) t.same(decodeUp(openEnvelope(p, upOptions())).type, valid[i]!.type);
  t.end();
});

check('random bytes', [fc.uint8Array({ maxLength: 600 })], (bytes) => receive(bytes));

check('random JSON as the payload, and as {e, s}', [fc.json({ maxDepth: 2 }), fc.json({ maxDepth: 2 })], (a, b) => {
  receive(new TextEncoder().encode(a));
  receive(wrap({ e: Buffer.from(a).toString('base64'), s: Buffer.from(b).toString('base64') }));
});

check('byte mutations of a valid payload', [fc.nat({ max: validPayloads.length - 1 }), mutationArb], (i, m) => receive(mutate(validPayloads[i]!, m)));

check('mutations of the signed bytes, re-signed', [fc.nat({ max: validSigned.length - 1 }), mutationArb], (i, m) => {
  receive(craft(mutate(validSigned[i]!, m)));
}, SIGNED_RUNS);

// Each header field valid or random, a type of either direction or none, a random body.
const fieldArb = <T>(...good: T[]): fc.Arbitrary<unknown> => fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...good) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) });
const typeArb = fc.oneof(fc.constantFrom('hello', 'request', 'result', 'welcome', 'script', 'constructor', '__proto__'), fc.string({ maxLength: 40 }));
const bodyArb = fc.oneof(fc.constant(helloBody), fc.jsonValue({ maxDepth: 3 }), fc.record({ application: fc.string(), code: fc.string() }, { requiredKeys: [] }));

check(
  'random header fields, type and body, signed',
  [fc.record({ v: fieldArb(1), kiosk: fieldArb(KIOSK), from: fieldArb('kiosk', 'center'), session: fieldArb(SESSION), seq: fieldArb(1), deadline: fieldArb(NOW) }), typeArb, bodyArb],
  (header, type, body) => receive(craft(JSON.stringify({ ...header, type, body }))),
  SIGNED_RUNS,
);

void t.test('outcomes seen', (t) => {
  t.comment(JSON.stringify(Object.fromEntries(outcomes)));
  // The properties reached the deep checks, not only the first one (each expected well over 10 times).
  for (const reason of ['malformed', 'bad-signature', 'wrong-address', 'unknown-type']) t.ok((outcomes.get(reason) ?? 0) > 0, `${reason}: ${outcomes.get(reason) ?? 0}`);
  t.end();
});
