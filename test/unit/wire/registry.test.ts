// The center-signed reader registry (wire/registry.ts) and reader
// challenge-response (wire/reader-auth.ts), DESIGN §3 step 2.
import t from 'tap';
import { toHex } from '../../../card/bytes.js';
import { ed25519PublicKey, ed25519Sign } from '../../../wire/keys.js';
import { descriptorMatches, readerChallengeMessage, verifyReaderSignature } from '../../../wire/reader-auth.js';
import { signRegistry, verifyRegistry, type ReaderRegistry, type RegistryReader } from '../../../wire/registry.js';
import { KIOSK, NOW, centerPublic, centerSecret, otherSecret } from './fixtures.js';

const readerSecret = new Uint8Array(32).fill(0x44);
const readerEntry: RegistryReader = {
  id: 'reader-1',
  kind: 'pcsc',
  vendor: '076b',
  product: 'OMNIKEY 3x21',
  serial: 'SN 0042',
  publicKey: toHex(ed25519PublicKey(readerSecret)).toLowerCase(),
};
const keypad: RegistryReader = { id: 'keypad-1', kind: 'keypad', vendor: '1234', product: 'PIN pad ~ 12 keys', serial: null, publicKey: null };
const registry: ReaderRegistry = {
  v: 2,
  kiosk: KIOSK,
  version: 3,
  issuedAt: NOW,
  readers: [readerEntry, { id: 'disp-1', kind: 'dispenser', vendor: 'cardline', product: 'stx-etx-dispenser/1', serial: 'disp-1', publicKey: null }, keypad],
};

const b64 = (b: Uint8Array | string): string => Buffer.from(b).toString('base64');
/** Signs arbitrary registry JSON text as the center would. */
function signText(text: string, secret = centerSecret): { r: string; s: string } {
  const bytes = new TextEncoder().encode(text);
  return { r: b64(bytes), s: b64(ed25519Sign(bytes, secret)) };
}

void t.test('sign then verify gives the registry back', (t) => {
  const signed = signRegistry(registry, centerSecret);
  t.same(verifyRegistry(signed, centerPublic, KIOSK), registry);
  t.equal(Buffer.from(signed.r, 'base64').toString(), JSON.stringify(registry), 'documented key order');
  // The canonical bytes do not depend on the caller's key order.
  const shuffled = { readers: registry.readers.map(({ publicKey, serial, product, vendor, kind, id }) => ({ publicKey, serial, product, vendor, kind, id })), issuedAt: NOW, version: 3, kiosk: KIOSK, v: 2 as const };
  t.equal(signRegistry(shuffled, centerSecret).r, signed.r, 'canonical bytes');
  t.match(Buffer.from(signed.r, 'base64').toString(), /"serial":null,"publicKey":null/, 'null serial and key kept');
  t.same(verifyRegistry(signRegistry({ ...registry, readers: [] }, centerSecret), centerPublic, KIOSK).readers, []);
  t.end();
});

void t.test('tampering and other keys: bad-signature', (t) => {
  const signed = signRegistry(registry, centerSecret);
  const text = Buffer.from(signed.r, 'base64').toString().replace('"version":3', '"version":4');
  t.throws(() => verifyRegistry({ r: b64(text), s: signed.s }, centerPublic, KIOSK), { name: 'WireError', reason: 'bad-signature' }, 'changed version');
  for (const [from, to] of [
    ['"vendor":"076b"', '"vendor":"076c"'],
    ['"product":"OMNIKEY 3x21"', '"product":"OMNIKEY 3x22"'],
    ['"serial":"SN 0042"', '"serial":null'],
    ['"serial":null', '"serial":"SN 0042"'],
  ] as const) {
    const changed = Buffer.from(signed.r, 'base64').toString().replace(from, to);
    t.not(changed, Buffer.from(signed.r, 'base64').toString());
    t.throws(() => verifyRegistry({ r: b64(changed), s: signed.s }, centerPublic, KIOSK), { name: 'WireError', reason: 'bad-signature' }, `changed ${from}`);
  }
  const s = Buffer.from(signed.s, 'base64');
  s[0]! ^= 0x80;
  t.throws(() => verifyRegistry({ r: signed.r, s: s.toString('base64') }, centerPublic, KIOSK), { name: 'WireError', reason: 'bad-signature' }, 'changed signature');
  t.throws(() => verifyRegistry(signRegistry(registry, otherSecret), centerPublic, KIOSK), { name: 'WireError', reason: 'bad-signature' }, 'another signer');
  t.end();
});

void t.test('wrong-address: a registry for another kiosk', (t) => {
  t.throws(() => verifyRegistry(signRegistry(registry, centerSecret), centerPublic, 'kiosk-02'), { name: 'WireError', reason: 'wrong-address' });
  t.end();
});

void t.test('malformed: encoding and shape (even when signed by the center)', (t) => {
  const signed = signRegistry(registry, centerSecret);
  const reader = (i: number): RegistryReader => ({ id: `r${i}`, kind: 'sim', vendor: 'cardline', product: 'sim-reader', serial: `r${i}`, publicKey: null });
  const withReader = (over: Record<string, unknown>): { r: string; s: string } => signText(JSON.stringify({ ...registry, readers: [{ ...readerEntry, ...over }] }));
  const cases: [string, { r: string; s: string }][] = [
    ['not base64', { r: '***', s: signed.s }],
    ['short signature', { r: signed.r, s: b64(new Uint8Array(63)) }],
    ['not JSON', signText('{')],
    ['v 1', signText(JSON.stringify({ ...registry, v: 1 }))],
    ['v 3', signText(JSON.stringify({ ...registry, v: 3 }))],
    ['a v1 entry (no descriptor)', signText(JSON.stringify({ ...registry, v: 1, readers: [{ id: 'r1', kind: 'sim', publicKey: null }] }))],
    ['empty vendor', withReader({ vendor: '' })],
    ['vendor of 65', withReader({ vendor: 'v'.repeat(65) })],
    ['vendor with a control character', withReader({ vendor: 'ven\ndor' })],
    ['vendor not ASCII', withReader({ vendor: 'véndor' })],
    ['vendor missing', withReader({ vendor: undefined })],
    ['vendor null', withReader({ vendor: null })],
    ['product empty', withReader({ product: '' })],
    ['product with DEL', withReader({ product: 'p\u007f' })],
    ['serial empty', withReader({ serial: '' })],
    ['serial of 65', withReader({ serial: 's'.repeat(65) })],
    ['serial a number', withReader({ serial: 42 })],
    ['65 readers', signText(JSON.stringify({ ...registry, readers: Array.from({ length: 65 }, (_, i) => reader(i)) }))],
    ['duplicate IDs', signText(JSON.stringify({ ...registry, readers: [reader(1), reader(1)] }))],
    ['short key', signText(JSON.stringify({ ...registry, readers: [{ ...readerEntry, publicKey: 'ab'.repeat(31) }] }))],
    ['unknown kind', signText(JSON.stringify({ ...registry, readers: [{ ...readerEntry, kind: 'usb' }] }))],
    ['extra key', signText(JSON.stringify({ ...registry, extra: 1 }))],
    ['__proto__', signText(JSON.stringify(registry).replace('{"v":2', '{"__proto__":{},"v":2'))],
  ];
  for (const [name, s] of cases) t.throws(() => verifyRegistry(s, centerPublic, KIOSK), { name: 'WireError', reason: 'malformed' }, name);
  t.throws(() => verifyRegistry(null as never, centerPublic, KIOSK), { name: 'WireError', reason: 'malformed' }, 'null');
  t.same(verifyRegistry(signText(JSON.stringify({ ...registry, readers: Array.from({ length: 64 }, (_, i) => reader(i)) })), centerPublic, KIOSK).readers.length, 64, '64 readers pass');
  t.end();
});

void t.test('64-character descriptors and printable punctuation pass', (t) => {
  const edge: RegistryReader = { ...readerEntry, vendor: 'v'.repeat(64), product: ' !~"{}\\', serial: 's'.repeat(64) };
  t.same(verifyRegistry(signRegistry({ ...registry, readers: [edge] }, centerSecret), centerPublic, KIOSK).readers, [edge]);
  t.end();
});

void t.test('descriptorMatches: exact, and a null serial matches only none', (t) => {
  const d = { vendor: '076b', product: 'OMNIKEY 3x21', serial: 'SN 0042' };
  t.ok(descriptorMatches(readerEntry, d));
  t.notOk(descriptorMatches(readerEntry, { ...d, vendor: '076B' }), 'no case folding');
  t.notOk(descriptorMatches(readerEntry, { ...d, product: 'OMNIKEY 3x21 ' }), 'no trimming');
  t.notOk(descriptorMatches(readerEntry, { ...d, serial: 'SN 0043' }));
  t.notOk(descriptorMatches(readerEntry, { ...d, serial: null }), 'a device without serial does not match a serial');
  t.ok(descriptorMatches(keypad, { vendor: '1234', product: 'PIN pad ~ 12 keys', serial: null }));
  t.notOk(descriptorMatches(keypad, { vendor: '1234', product: 'PIN pad ~ 12 keys', serial: 'X1' }), 'a null serial matches only a device that reports none');
  t.end();
});

void t.test('signing an invalid registry is a programming error', (t) => {
  t.throws(() => signRegistry({ ...registry, readers: [readerEntry, readerEntry] }, centerSecret), RangeError);
  t.throws(() => signRegistry({ ...registry, readers: [{ ...readerEntry, vendor: '' }] }, centerSecret), RangeError);
  t.throws(() => signRegistry({ ...registry, v: 1 } as unknown as ReaderRegistry, centerSecret), RangeError);
  t.throws(() => signRegistry({ ...registry, kiosk: 'a b' }, centerSecret), RangeError);
  t.end();
});

void t.test('reader challenge: domain-separated bytes', (t) => {
  const challenge = new Uint8Array(16).map((_, i) => i);
  const message = readerChallengeMessage('reader-1', KIOSK, challenge);
  const expected = Buffer.concat([Buffer.from(`cardline-reader-auth-v1\0${KIOSK}\0reader-1\0`, 'ascii'), Buffer.from(challenge)]);
  t.same(Buffer.from(message), expected);
  t.throws(() => readerChallengeMessage('reader-1', KIOSK, new Uint8Array(15)), RangeError);
  t.throws(() => readerChallengeMessage('reader-1', KIOSK, new Uint8Array(65)), RangeError);
  t.throws(() => readerChallengeMessage('reader\u00001', KIOSK, challenge), RangeError);
  t.ok(readerChallengeMessage('reader-1', KIOSK, new Uint8Array(64)).length > 64);
  t.end();
});

void t.test('reader challenge: verify against the registry entry', (t) => {
  const challenge = new Uint8Array(32).fill(7);
  const sig = ed25519Sign(readerChallengeMessage('reader-1', KIOSK, challenge), readerSecret);
  t.equal(verifyReaderSignature(readerEntry, KIOSK, challenge, sig), 'ok');
  t.equal(verifyReaderSignature({ ...readerEntry, publicKey: readerEntry.publicKey!.toUpperCase() }, KIOSK, challenge, sig), 'ok', 'upper-case hex');
  t.equal(verifyReaderSignature(readerEntry, 'kiosk-02', challenge, sig), 'bad-signature', 'signed for another kiosk');
  t.equal(verifyReaderSignature({ ...readerEntry, id: 'reader-2' }, KIOSK, challenge, sig), 'bad-signature', 'signed as another reader');
  t.equal(verifyReaderSignature(readerEntry, KIOSK, new Uint8Array(32).fill(8), sig), 'bad-signature', 'another challenge');
  t.equal(verifyReaderSignature(readerEntry, KIOSK, challenge, undefined), 'bad-signature', 'no signature');
  t.equal(verifyReaderSignature(readerEntry, KIOSK, challenge, sig.subarray(1)), 'bad-signature', 'short signature');
  t.equal(verifyReaderSignature({ ...readerEntry, publicKey: null }, KIOSK, challenge, sig), 'no-key');
  t.equal(verifyReaderSignature({ ...readerEntry, publicKey: 'zz' }, KIOSK, challenge, sig), 'bad-signature', 'garbage key');
  const plain = ed25519Sign(challenge, readerSecret);
  t.equal(verifyReaderSignature(readerEntry, KIOSK, challenge, plain), 'bad-signature', 'a signature of the bare challenge');
  t.end();
});
