// Property/fuzz tests of the card/gp/ parsers: what the simulated card parses
// comes from an untrusted host, and what the host parses from an untrusted
// card. Random and mutated input may only ever throw CardError; valid
// structures survive encode → parse. FUZZ_RUNS / FUZZ_SEED as in
// fuzz-parsers.test.ts (2000 runs by default).
import fc from 'fast-check';
import t from 'tap';
import { hex, toHex } from '../../../card/bytes.js';
import { kcvAes } from '../../../card/crypto.js';
import { DgiStreamParser, encodeDgi } from '../../../card/dgi.js';
import { CardError } from '../../../card/errors.js';
import { parseCardData } from '../../../card/gp/card-data.js';
import { parseCplc } from '../../../card/gp/cplc.js';
import { encodeGetStatusEntries, parseGetStatus, parseGetStatusCommand, type RegistryEntry } from '../../../card/gp/get-status.js';
import { parseInstallForPersonalization } from '../../../card/gp/install.js';
import { encodeKeyInformation, parseKeyInformation, type KeyInfo } from '../../../card/gp/key-information.js';
import { parsePutKey, parsePutKeyResponse, putKeyAes } from '../../../card/gp/put-key.js';
import { parseFci } from '../../../card/gp/select.js';
import { parseSetStatusCommand } from '../../../card/gp/set-status.js';
import { packDgis, parseStoreDataP1 } from '../../../card/gp/store-data.js';
import { fuzzSettings } from '../../fixtures/fuzz.js';
import { dgiListArb, mutate, mutationArb, randomBytes } from './fuzz-arbitraries.js';

const { runs: RUNS, params: PARAMS } = fuzzSettings();
t.setTimeout(Math.max(300_000, RUNS * 20));

const DEK = hex('404142434445464748494A4B4C4D4E4F');

/** Runs `f`; anything thrown must be a CardError. */
function onlyCardErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof CardError)) throw e;
  }
}

void t.test('card-side parsers throw only CardError on random input', (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), randomBytes, (p1, p2, data) => {
      onlyCardErrors(() => parseInstallForPersonalization(data));
      onlyCardErrors(() => parsePutKey(data, DEK));
      onlyCardErrors(() => parseGetStatusCommand(p1, p2, data));
      onlyCardErrors(() => parseSetStatusCommand(p1, p2, data));
      onlyCardErrors(() => parseStoreDataP1(p1));
    }),
    PARAMS,
  );
  t.pass(`${RUNS} runs`);
  t.end();
});

void t.test('host-side parsers throw only CardError on random input', (t) => {
  fc.assert(
    fc.property(randomBytes, (data) => {
      onlyCardErrors(() => parseFci(data));
      onlyCardErrors(() => parseCplc(data));
      onlyCardErrors(() => parseCardData(data));
      onlyCardErrors(() => parseKeyInformation(data));
      onlyCardErrors(() => parseGetStatus(data));
      onlyCardErrors(() => parsePutKeyResponse(data, 3));
    }),
    PARAMS,
  );
  t.pass(`${RUNS} runs`);
  t.end();
});

const VALID_PUT_KEY = putKeyAes({ newKvn: 0x30, replaceKvn: 0, keys: [new Uint8Array(16).fill(1), new Uint8Array(32).fill(2)], dek: DEK }).data;

void t.test('mutated PUT KEY data: CardError, or keys that match their KCVs', (t) => {
  fc.assert(
    fc.property(mutationArb, (m) => {
      try {
        const { keys } = parsePutKey(mutate(VALID_PUT_KEY, m), DEK);
        if (keys.length === 0) throw new Error('parsed without keys');
        // What the title promises: a key that parses is the key its check value names.
        for (const k of keys) if (toHex(kcvAes(k.key)) !== toHex(k.kcv)) throw new Error(`key ${k.id} does not match its KCV`);
      } catch (e) {
        if (!(e instanceof CardError)) throw e;
      }
    }),
    PARAMS,
  );
  t.pass(`${RUNS} runs`);
  t.end();
});

const keyInfoArb: fc.Arbitrary<KeyInfo> = fc.oneof(
  fc.record({
    id: fc.integer({ min: 0, max: 0x7f }),
    version: fc.integer({ min: 0, max: 0xff }),
    components: fc.array(fc.record({ type: fc.integer({ min: 0x80, max: 0xfe }), length: fc.integer({ min: 0, max: 0xff }) }), { minLength: 1, maxLength: 3 }),
    format: fc.constant('basic' as const),
  }),
  fc.record({
    id: fc.integer({ min: 0, max: 0x7f }),
    version: fc.integer({ min: 0, max: 0xff }),
    components: fc.array(fc.record({ type: fc.integer({ min: 0, max: 0xfe }), length: fc.integer({ min: 0, max: 0x7fff }) }), { minLength: 1, maxLength: 3 }),
    format: fc.constant('extended' as const),
    usage: fc.integer({ min: 0, max: 0xff }),
    access: fc.integer({ min: 0, max: 0xff }),
  }),
);

void t.test('key information and registry entries survive encode → parse', (t) => {
  fc.assert(
    fc.property(fc.array(keyInfoArb, { maxLength: 6 }), (keys) => {
      t.same(parseKeyInformation(encodeKeyInformation(keys)), keys);
    }),
    { ...PARAMS, numRuns: Math.min(RUNS, 500) },
  );
  const aid = fc.uint8Array({ minLength: 5, maxLength: 16 });
  const entryArb: fc.Arbitrary<RegistryEntry> = fc.record({ aid, lifeCycle: fc.integer({ min: 0, max: 255 }), privileges: fc.integer({ min: 0, max: 0xffffff }) });
  fc.assert(
    fc.property(fc.array(entryArb, { maxLength: 5 }), (entries) => {
      t.same(parseGetStatus(encodeGetStatusEntries(entries)), entries);
    }),
    { ...PARAMS, numRuns: Math.min(RUNS, 500) },
  );
  t.end();
});

void t.test('packDgis blocks reassemble into the same DGIs at any block size', (t) => {
  fc.assert(
    fc.property(dgiListArb, fc.integer({ min: 5, max: 255 }), (dgis, maxBlock) => {
      if (dgis.length === 0) return;
      const blocks = packDgis(dgis.map((d) => encodeDgi(d)), maxBlock);
      if (blocks.some((b) => b.length === 0 || b.length > maxBlock)) throw new Error('block size');
      const parser = new DgiStreamParser();
      const got = blocks.flatMap((b) => parser.push(b));
      parser.finish();
      t.same(got, dgis);
    }),
    { ...PARAMS, numRuns: Math.min(RUNS, 500) },
  );
  t.end();
});
