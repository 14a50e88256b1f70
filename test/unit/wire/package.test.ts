// Sealed-mode packages (wire/package.ts, wire/package-content.ts): a round
// trip to the right kiosk; every refusal with its reason — sealed to another
// kiosk, past its deadline, moved to another job/attempt/kiosk/deadline,
// tampered; contents parsed strictly and zeroized.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { x25519 } from '@noble/curves/ed25519.js';
import { encodePackageContent, decodePackageContent, zeroizePackageContent } from '../../../wire/package-content.js';
import { openPackage, sealPackage, sealingKeyId, sealingPublicKey, type PackageBinding } from '../../../wire/package.js';

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));
const kioskA = random(32);
const kioskB = random(32);
const NOW = 1_800_000_000_000;
const binding: PackageBinding = { kiosk: 'kiosk-1', job: '3f2b8c1e-9a4d-4e6f-8b7a-0c1d2e3f4a5b', attempt: 1, kind: 'write', profile: 'cardline-basic', deadline: NOW + 10_000 };
const content = () => ({
  keys: { enc: random(16), mac: random(16), dek: random(16) },
  dgis: [
    { tag: 0x0101, value: new TextEncoder().encode('TARO YAMADA') },
    { tag: 0x8010, value: Uint8Array.of(0x12, 0x34) },
  ],
});

/** tap's t.throws matches an object's fields against the error (a function would be taken as a class). */
const refusedWith = (reason: string) => ({ name: 'WireError', reason });

void t.test('sealed to kiosk A: A opens it, and gets the keys and DGIs back', (t) => {
  const c = content();
  const plain = encodePackageContent(c);
  const sealed = sealPackage(plain, sealingPublicKey(kioskA), binding, random);
  t.equal(sealed.to, sealingKeyId(sealingPublicKey(kioskA)), 'addressed to A');
  t.notOk(Buffer.from(sealed.ct, 'base64').includes(Buffer.from('TARO YAMADA')), 'no plaintext in the ciphertext');
  const opened = openPackage(sealed, kioskA, binding, NOW);
  t.same(opened, plain, 'the plaintext round-trips');
  const back = decodePackageContent(opened);
  t.same(back.keys, c.keys);
  t.same(back.dgis, c.dgis);
  zeroizePackageContent(back);
  t.ok([back.keys.enc, back.keys.mac, back.keys.dek, ...back.dgis.map((d) => d.value)].every((b) => b.every((x) => x === 0)), 'zeroized');
  t.end();
});

void t.test('refusals', (t) => {
  const sealed = sealPackage(encodePackageContent(content()), sealingPublicKey(kioskA), binding, random);
  t.throws(() => openPackage(sealed, kioskB, binding, NOW), refusedWith('sealed-elsewhere'), 'kiosk B: sealed to another kiosk');
  // B even with A's `to` forged: the AEAD does not open under B's key.
  const forged = { ...sealed, to: sealingKeyId(sealingPublicKey(kioskB)) };
  t.throws(() => openPackage(forged, kioskB, binding, NOW), refusedWith('undecryptable'), "kiosk B with `to` rewritten: does not open");
  t.throws(() => openPackage(sealed, kioskA, binding, binding.deadline + 1), refusedWith('late'), 'past its deadline');
  for (const [what, b] of [
    ['another job', { ...binding, job: '00000000-0000-4000-8000-000000000000' }],
    ['another attempt', { ...binding, attempt: 2 }],
    ['another kiosk ID', { ...binding, kiosk: 'kiosk-2' }],
    ['a later deadline', { ...binding, deadline: binding.deadline + 60_000 }],
    ['another kind', { ...binding, kind: 'inspect' as const }],
  ] as const) {
    t.throws(() => openPackage(sealed, kioskA, b, NOW), refusedWith('undecryptable'), `bound to ${what}: does not open`);
  }
  const ct = Buffer.from(sealed.ct, 'base64');
  ct.writeUInt8(ct.readUInt8(5) ^ 0x01, 5);
  t.throws(() => openPackage({ ...sealed, ct: ct.toString('base64') }, kioskA, binding, NOW), refusedWith('undecryptable'), 'a flipped ciphertext bit');
  t.throws(() => openPackage({ ...sealed, epk: 'zz' }, kioskA, binding, NOW), refusedWith('malformed'), 'a bad epk');
  // RFC 7748 §6.1: a low-order point (here: zero) gives the all-zero secret, refused.
  t.throws(() => openPackage({ ...sealed, epk: '00'.repeat(32) }, kioskA, binding, NOW), refusedWith('undecryptable'), 'a low-order ephemeral key');
  t.end();
});

void t.test('content is parsed strictly, without echoing values', (t) => {
  t.throws(() => decodePackageContent(Uint8Array.of(2, 16)), refusedWith('malformed'), 'unknown version');
  t.throws(() => decodePackageContent(Uint8Array.of(1, 20, ...new Uint8Array(70))), refusedWith('malformed'), 'a key length of 20');
  t.throws(() => decodePackageContent(Uint8Array.of(1, 16, ...new Uint8Array(40))), refusedWith('malformed'), 'truncated keys');
  const plain = encodePackageContent(content());
  t.throws(() => decodePackageContent(plain.subarray(0, plain.length - 3)), { ...refusedWith('malformed'), message: /^(?!.*TARO)/ }, 'a truncated DGI');
  t.throws(() => encodePackageContent({ keys: { enc: random(16), mac: random(32), dek: random(16) }, dgis: [] }), RangeError, 'mixed key lengths are a programming error');
  t.end();
});

void t.test('sealingPublicKey is the X25519 public key', (t) => {
  t.same(sealingPublicKey(kioskA), x25519.getPublicKey(kioskA));
  t.end();
});
