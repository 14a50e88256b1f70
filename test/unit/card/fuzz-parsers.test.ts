// Property/fuzz tests of the card parsers (issue 2 §7): parseCommand,
// parseResponse, parseTlv, parseDgis and DgiStreamParser.
//
// - Random and mutated input never throws anything but CardError: no
//   TypeError, RangeError or stack overflow.
// - Whatever parses re-encodes to an equivalent value (encode(parse(x))),
//   and every generated valid structure survives parse(encode(x)).
// - No hang: every parser is a single forward pass (no backtracking, each
//   loop step consumes input), so each call is linear in its input. The tap
//   timeout of this file (see below) turns a hang into a failure.
//
// FUZZ_RUNS sets the runs per property: 2000 by default (CI), 100000 for the
// documented long run (docs/testing.md). FUZZ_SEED replays a failure that
// fast-check reported.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import t from 'tap';
import { encodeCommand, encodeResponse, parseCommand, parseResponse } from '../../../card/apdu.js';
import { toHex } from '../../../card/bytes.js';
import { DgiStreamParser, encodeDgis, parseDgis, type Dgi } from '../../../card/dgi.js';
import { CardError } from '../../../card/errors.js';
import { encodeTlvTree, parseTlv, type ParseTlvOptions, type Tlv } from '../../../card/tlv.js';
import { fuzzSettings } from '../../fixtures/fuzz.js';
import { apduLikeBytes, chunksAt, commandArb, cutsArb, dgiListArb, mutate, mutationArb, randomBytes, tlvListArb } from './fuzz-arbitraries.js';

const { runs: RUNS, params: PARAMS } = fuzzSettings();

// The default timeout (300 s, .taprc) covers CI; the long run scales it.
t.setTimeout(Math.max(300_000, RUNS * 20));


let inputs = 0;

/** Runs `f`. A CardError is an allowed outcome and is returned; anything else fails the property. */
function onlyCardError<T>(f: () => T, code: CardError['code']): T | CardError {
  inputs++;
  try {
    return f();
  } catch (e) {
    if (e instanceof CardError && e.code === code) return e;
    throw e;
  }
}

function check<Ts extends [unknown, ...unknown[]]>(name: string, arbs: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> }, predicate: (...args: Ts) => void): void {
  void t.test(name, (t) => {
    fc.assert(fc.property(...arbs, predicate), PARAMS as fc.Parameters<Ts>);
    t.pass(`${RUNS} runs`);
    t.end();
  });
}

const normTlv = (x: Tlv): unknown => ({ tag: x.tag, constructed: x.constructed, value: toHex(x.value), children: x.children?.map(normTlv) });
/**
 * The tree's meaning: a constructed node with children is compared by its
 * children only, since its raw value may hold padding or non-minimal
 * lengths that re-encoding legitimately drops.
 */
const normTree = (x: Tlv): unknown =>
  x.children === undefined ? { tag: x.tag, constructed: x.constructed, value: toHex(x.value) } : { tag: x.tag, children: x.children.map(normTree) };
const normDgi = (d: Dgi): string => `${d.tag}:${toHex(d.value)}`;

// --- APDUs (ISO 7816-4 §5.1) ---

/** Every accepted command re-encodes to exactly its input: the parser accepts only canonical forms. */
function commandInvariant(bytes: Uint8Array): void {
  const p = onlyCardError(() => parseCommand(bytes), 'APDU_MALFORMED');
  if (p instanceof CardError) return;
  assert.equal(toHex(encodeCommand(p, { extended: p.extended })), toHex(bytes));
  const hasData = p.data.length > 0;
  const hasLe = p.ne !== undefined;
  assert.equal(p.case, hasData ? (hasLe ? 4 : 3) : hasLe ? 2 : 1);
}

check('parseCommand: random bytes', [randomBytes], commandInvariant);

check('parseCommand: APDU-shaped bytes rich in 00', [apduLikeBytes], commandInvariant);

check('parseCommand: mutated valid commands', [commandArb, mutationArb], ({ c, extended }, m) => {
  commandInvariant(mutate(encodeCommand(c, { extended }), m));
});

check('parseCommand(encodeCommand(c)) === c for every case', [commandArb], ({ c, extended }) => {
  const bytes = encodeCommand(c, { extended });
  const p = parseCommand(bytes);
  inputs++;
  const nc = c.data.length;
  assert.deepEqual([p.cla, p.ins, p.p1, p.p2, toHex(p.data), p.ne], [c.cla, c.ins, c.p1, c.p2, toHex(c.data), c.ne]);
  const needsExtended = nc > 255 || (c.ne ?? 0) > 256;
  // Case 1 has no extended form; otherwise extended is used when forced or needed.
  assert.equal(p.extended, (nc > 0 || c.ne !== undefined) && (extended || needsExtended));
  assert.equal(toHex(encodeCommand(p, { extended: p.extended })), toHex(bytes));
});

check('parseResponse: random bytes', [randomBytes], (bytes) => {
  const r = onlyCardError(() => parseResponse(bytes), 'RESPONSE_MALFORMED');
  assert.equal(r instanceof CardError, bytes.length < 2);
  if (!(r instanceof CardError)) assert.equal(toHex(encodeResponse(r)), toHex(bytes));
});

// --- BER-TLV (ISO 7816-4 §5.2.2) ---

const tlvOptionsArb: fc.Arbitrary<ParseTlvOptions> = fc.record({
  recursive: fc.boolean(),
  padding: fc.boolean(),
  maxDepth: fc.oneof(fc.integer({ min: 1, max: 4 }), fc.constant(16), fc.constant(64)),
});

/** Whatever parses re-encodes and re-parses (without padding) to the same tree, and never holds more value bytes than input. */
function tlvInvariant(bytes: Uint8Array, opts: ParseTlvOptions): void {
  const list = onlyCardError(() => parseTlv(bytes, opts), 'TLV_MALFORMED');
  if (list instanceof CardError) return;
  let valueBytes = 0;
  for (const x of list) valueBytes += x.value.length;
  assert.ok(valueBytes <= bytes.length);
  const again = parseTlv(encodeTlvTree(list), { ...opts, padding: false });
  assert.deepEqual(again.map(normTree), list.map(normTree));
}

check('parseTlv: random bytes, random options', [randomBytes, tlvOptionsArb], tlvInvariant);

check('parseTlv: mutated valid trees', [tlvListArb, mutationArb, tlvOptionsArb], (list, m, opts) => {
  tlvInvariant(mutate(encodeTlvTree(list), m), opts);
});

check('parseTlv(encodeTlvTree(x)) === x and back to the same bytes', [tlvListArb], (list) => {
  inputs++;
  const bytes = encodeTlvTree(list);
  const parsed = parseTlv(bytes);
  assert.deepEqual(parsed.map(normTlv), list.map(normTlv));
  assert.equal(toHex(encodeTlvTree(parsed)), toHex(bytes));
  // Non-recursive parsing sees the same top level.
  assert.deepEqual(
    parseTlv(bytes, { recursive: false }).map((x) => [x.tag, toHex(x.value)]),
    list.map((x) => [x.tag, toHex(x.value)]),
  );
});

check('parseTlv: nesting chains deeper than maxDepth are refused, never overflow', [fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 64 })], (levels, maxDepth) => {
  let bytes: Uint8Array = Uint8Array.of(0x5a, 0x00);
  for (let i = 0; i < levels; i++) bytes = encodeTlvTree({ tag: 0x70, constructed: true, value: bytes });
  const r = onlyCardError(() => parseTlv(bytes, { maxDepth }), 'TLV_MALFORMED');
  // levels constructed objects + the primitive = levels + 1 levels of objects.
  assert.equal(r instanceof CardError, levels + 1 > maxDepth);
});

// --- DGIs (GPC v2.3.1 §11.1.12) ---

/** Whatever parses re-encodes and re-parses to the same list. */
function dgiInvariant(bytes: Uint8Array): Dgi[] | CardError {
  const list = onlyCardError(() => parseDgis(bytes), 'DGI_MALFORMED');
  if (list instanceof CardError) return list;
  let valueBytes = 0;
  for (const d of list) valueBytes += d.value.length;
  assert.ok(valueBytes + 3 * list.length <= bytes.length);
  assert.deepEqual(parseDgis(encodeDgis(list)).map(normDgi), list.map(normDgi));
  return list;
}

/** Pushes the chunks; push() never throws, and the outcome matches parseDgis on the whole. */
function streamMatches(bytes: Uint8Array, cuts: readonly number[], whole: Dgi[] | CardError): void {
  const parser = new DgiStreamParser();
  const got: Dgi[] = [];
  for (const chunk of chunksAt(bytes, cuts)) got.push(...parser.push(chunk));
  const end = onlyCardError(() => parser.finish(), 'DGI_MALFORMED');
  if (whole instanceof CardError) {
    assert.ok(end instanceof CardError, 'stream accepted what parseDgis refused');
    assert.equal(end.message, whole.message);
  } else {
    assert.ok(!(end instanceof CardError), 'stream refused what parseDgis accepted');
    assert.deepEqual(got.map(normDgi), whole.map(normDgi));
  }
  assert.equal(parser.pending, 0);
}

check('parseDgis: random bytes', [randomBytes], (bytes) => {
  dgiInvariant(bytes);
});

check('parseDgis: mutated valid lists', [dgiListArb, mutationArb], (list, m) => {
  dgiInvariant(mutate(encodeDgis(list), m));
});

check('parseDgis(encodeDgis(x)) === x and back to the same bytes', [dgiListArb], (list) => {
  inputs++;
  const bytes = encodeDgis(list);
  const parsed = parseDgis(bytes);
  assert.deepEqual(parsed.map(normDgi), list.map(normDgi));
  assert.equal(toHex(encodeDgis(parsed)), toHex(bytes));
});

check('DgiStreamParser: random bytes in random chunks agree with parseDgis', [randomBytes, cutsArb], (bytes, cuts) => {
  streamMatches(bytes, cuts, dgiInvariant(bytes));
});

check('DgiStreamParser: valid and mutated lists in random chunks agree with parseDgis', [dgiListArb, fc.option(mutationArb), cutsArb], (list, m, cuts) => {
  const valid = encodeDgis(list);
  const bytes = m === null ? valid : mutate(valid, m);
  streamMatches(bytes, cuts, dgiInvariant(bytes));
});

void t.test('summary', (t) => {
  t.comment(`FUZZ_RUNS=${RUNS}: ${inputs} parser inputs checked`);
  t.ok(inputs >= RUNS * 10, 'every property ran');
  t.end();
});
