/**
 * common/ed25519.ts (OpenSSL) against wire/keys.ts (@noble/curves, strict):
 * the same signatures, and the same verdicts on valid, mutated and
 * malleated signatures and on non-canonical or off-curve public keys.
 */
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { NativeVerifier, nativeSigner } from '../../../common/ed25519.js';
import { ed25519PublicKey, ed25519Sign, ed25519Verify } from '../../../wire/keys.js';

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const P = 2n ** 255n - 19n;
const toLE = (n: bigint): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const fromLE = (b: Uint8Array): bigint => b.reduceRight((acc, byte) => (acc << 8n) | BigInt(byte), 0n);

void t.test('the same signature as @noble/curves, and both accept it', (t) => {
  const v = new NativeVerifier();
  for (let i = 0; i < 100; i++) {
    const seed = randomBytes(32);
    const msg = randomBytes(i * 7);
    const sig = nativeSigner(seed)(msg);
    t.equal(Buffer.from(sig).toString('hex'), Buffer.from(ed25519Sign(msg, seed)).toString('hex'));
    const pub = ed25519PublicKey(seed);
    if (!v.verify(sig, msg, pub) || !ed25519Verify(sig, msg, pub)) t.fail(`signature ${i} refused`);
  }
  t.end();
});

void t.test('the same verdict on every one-bit change of signature, message and key', (t) => {
  const v = new NativeVerifier();
  const seed = randomBytes(32);
  const msg = randomBytes(40);
  const pub = ed25519PublicKey(seed);
  const sig = nativeSigner(seed)(msg);
  let differ = 0;
  let accepted = 0;
  const check = (s: Uint8Array, m: Uint8Array, p: Uint8Array): void => {
    const a = v.verify(s, m, p);
    if (a !== ed25519Verify(s, m, p)) differ++;
    if (a) accepted++;
  };
  for (let bit = 0; bit < 512; bit++) check(flip(sig, bit), msg, pub);
  for (let bit = 0; bit < 320; bit++) check(sig, flip(msg, bit), pub);
  for (let bit = 0; bit < 256; bit++) check(sig, msg, flip(pub, bit));
  t.equal(differ, 0, 'OpenSSL and noble agree on all 1,088');
  t.equal(accepted, 0, 'and refuse all of them');
  t.end();
});

void t.test('malleability: S + L is refused, as strict RFC 8032 says', (t) => {
  const v = new NativeVerifier();
  const seed = randomBytes(32);
  const msg = randomBytes(16);
  const pub = ed25519PublicKey(seed);
  const sig = nativeSigner(seed)(msg);
  const s = fromLE(sig.subarray(32));
  const malleated = Uint8Array.from([...sig.subarray(0, 32), ...toLE(s + L)]);
  t.equal(ed25519Verify(malleated, msg, pub), false, 'noble refuses');
  t.equal(v.verify(malleated, msg, pub), false, 'OpenSSL path refuses');
  t.end();
});

void t.test('public keys: non-canonical encodings, x = 0 with its sign bit, off the curve, wrong lengths', (t) => {
  const v = new NativeVerifier();
  const sig = nativeSigner(randomBytes(32))(new Uint8Array(8));
  const msg = new Uint8Array(8);
  const keys: [string, Uint8Array][] = [
    ['y = p + 1 (the identity, non-canonical)', toLE(P + 1n)],
    ['y = p (zero, non-canonical)', toLE(P)],
    ['y = 1 with the sign bit', Uint8Array.from([1, ...new Array<number>(30).fill(0), 0x80])],
    ['y = p − 1 with the sign bit', toLE(P - 1n + 2n ** 255n)],
    ['y = 2 (off the curve)', toLE(2n)],
  ];
  for (const [what, key] of keys) {
    t.equal(v.verify(sig, msg, key), false, what);
    t.equal(ed25519Verify(sig, msg, key), false, `${what}: noble agrees`);
  }
  t.equal(v.verify(sig.subarray(1), msg, ed25519PublicKey(randomBytes(32))), false, '63-byte signature');
  t.equal(v.verify(sig, msg, new Uint8Array(31)), false, '31-byte key');
  t.equal(v.verify('x' as unknown as Uint8Array, msg, new Uint8Array(32)), false, 'not an array');
  t.throws(() => nativeSigner(new Uint8Array(31)), RangeError);
  t.end();
});

function flip(bytes: Uint8Array, bit: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[bit >> 3]! ^= 1 << (bit & 7);
  return out;
}
