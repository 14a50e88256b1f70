// The center-signed reader registry (wire/registry.ts) and reader
// challenge-response (wire/reader-auth.ts), DESIGN §3 step 2.
import t from 'tap';
import { toHex } from '../../../card/bytes.js';
import { ed25519PublicKey, ed25519Sign } from '../../../wire/keys.js';
import { readerChallengeMessage, verifyReaderSignature } from '../../../wire/reader-auth.js';
import { signRegistry, verifyRegistry, type ReaderRegistry, type RegistryReader } from '../../../wire/registry.js';
import { KIOSK, NOW, centerPublic, centerSecret, otherSecret } from './fixtures.js';

const readerSecret = new Uint8Array(32).fill(0x44);
const readerEntry: RegistryReader = { id: 'reader-1', kind: 'pcsc', publicKey: toHex(ed25519PublicKey(readerSecret)).toLowerCase() };
const registry: ReaderRegistry = { v: 1, kiosk: KIOSK, version: 3, issuedAt: NOW, readers: [readerEntry, { id: 'disp-1', kind: 'dispenser', publicKey: null }] };

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
  t.same(verifyRegistry(signRegistry({ ...registry, readers: [] }, centerSecret), centerPublic, KIOSK).readers, []);
  t.end();
});

void t.test('tampering and other keys: bad-signature', (t) => {
  const signed = signRegistry(registry, centerSecret);
  const text = Buffer.from(signed.r, 'base64').toString().replace('"version":3', '"version":4');
  t.throws(() => verifyRegistry({ r: b64(text), s: signed.s }, centerPublic, KIOSK), { name: 'WireError', reason: 'bad-signature' }, 'changed version');
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
  const reader = (i: number): RegistryReader => ({ id: `r${i}`, kind: 'sim', publicKey: null });
  const cases: [string, { r: string; s: string }][] = [
    ['not base64', { r: '***', s: signed.s }],
    ['short signature', { r: signed.r, s: b64(new Uint8Array(63)) }],
    ['not JSON', signText('{')],
    ['v 2', signText(JSON.stringify({ ...registry, v: 2 }))],
    ['65 readers', signText(JSON.stringify({ ...registry, readers: Array.from({ length: 65 }, (_, i) => reader(i)) }))],
    ['duplicate IDs', signText(JSON.stringify({ ...registry, readers: [reader(1), reader(1)] }))],
    ['short key', signText(JSON.stringify({ ...registry, readers: [{ ...readerEntry, publicKey: 'ab'.repeat(31) }] }))],
    ['unknown kind', signText(JSON.stringify({ ...registry, readers: [{ ...readerEntry, kind: 'usb' }] }))],
    ['extra key', signText(JSON.stringify({ ...registry, extra: 1 }))],
    ['__proto__', signText(JSON.stringify(registry).replace('{"v":1', '{"__proto__":{},"v":1'))],
  ];
  for (const [name, s] of cases) t.throws(() => verifyRegistry(s, centerPublic, KIOSK), { name: 'WireError', reason: 'malformed' }, name);
  t.throws(() => verifyRegistry(null as never, centerPublic, KIOSK), { name: 'WireError', reason: 'malformed' }, 'null');
  t.same(verifyRegistry(signText(JSON.stringify({ ...registry, readers: Array.from({ length: 64 }, (_, i) => reader(i)) })), centerPublic, KIOSK).readers.length, 64, '64 readers pass');
  t.end();
});

void t.test('signing an invalid registry is a programming error', (t) => {
  t.throws(() => signRegistry({ ...registry, readers: [readerEntry, readerEntry] }, centerSecret), RangeError);
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
