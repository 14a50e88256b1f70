// Topics (wire/topics.ts) and the Ed25519 wrappers (wire/keys.ts).
import t from 'tap';
import { hex } from '../../../card/bytes.js';
import { ed25519PublicKey, ed25519Sign, ed25519Verify, newEd25519Secret } from '../../../wire/keys.js';
import { UP_WILDCARD, downTopic, parseKioskTopic, stateTopic, upTopic } from '../../../wire/topics.js';

void t.test('topics', (t) => {
  t.equal(upTopic('k1'), 'kiosk/k1/up');
  t.equal(downTopic('k1'), 'kiosk/k1/down');
  t.equal(stateTopic('k1'), 'kiosk/k1/state');
  t.equal(UP_WILDCARD, 'kiosk/+/up');
  for (const bad of ['', 'a/b', '+', '#', 'k 1', '-k', 'x'.repeat(65)]) t.throws(() => upTopic(bad), RangeError, JSON.stringify(bad));
  t.same(parseKioskTopic('kiosk/k1/up'), { kiosk: 'k1', channel: 'up' });
  t.same(parseKioskTopic('kiosk/K.1_x-y/down'), { kiosk: 'K.1_x-y', channel: 'down' });
  t.same(parseKioskTopic('kiosk/k1/state'), { kiosk: 'k1', channel: 'state' });
  for (const bad of ['kiosk/+/up', 'kiosk/k1/up/', 'kiosk/k1', 'kiosk//up', 'kiosks/k1/up', '/kiosk/k1/up', 'kiosk/k1/UP', 'kiosk/#', 'kiosk/k1/other']) {
    t.equal(parseKioskTopic(bad), undefined, bad);
  }
  t.end();
});

// RFC 8032 §7.1 TEST 1 (empty message) and TEST 2 (one byte 0x72).
const rfc = [
  {
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];

void t.test('Ed25519: RFC 8032 vectors', (t) => {
  for (const v of rfc) {
    t.same(ed25519PublicKey(hex(v.secret)), hex(v.public));
    t.same(ed25519Sign(hex(v.message), hex(v.secret)), hex(v.sig));
    t.ok(ed25519Verify(hex(v.sig), hex(v.message), hex(v.public)));
    t.notOk(ed25519Verify(hex(v.sig), Uint8Array.of(0x73), hex(v.public)), 'another message');
  }
  t.end();
});

void t.test('Ed25519: verify never throws, key lengths are checked', (t) => {
  const v = rfc[1]!;
  const sig = hex(v.sig);
  t.notOk(ed25519Verify(sig.subarray(1), hex(v.message), hex(v.public)), 'short signature');
  t.notOk(ed25519Verify(sig, hex(v.message), new Uint8Array(33)), 'long key');
  t.notOk(ed25519Verify(sig, hex(v.message), new Uint8Array(32).fill(0xff)), 'key not on the curve');
  t.notOk(ed25519Verify(new Uint8Array(64).fill(0xff), hex(v.message), hex(v.public)), 'S out of range');
  t.notOk(ed25519Verify('x' as never, hex(v.message), hex(v.public)), 'not bytes');
  // Malleability: the same signature with S + L (RFC 8032 §5.1.7 requires S < L).
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]!);
  s += L;
  const mauled = sig.slice();
  for (let i = 32; i < 64; i++) {
    mauled[i] = Number(s & 0xffn);
    s >>= 8n;
  }
  t.notOk(ed25519Verify(mauled, hex(v.message), hex(v.public)), 'S + L refused');
  t.throws(() => ed25519PublicKey(new Uint8Array(31)), RangeError);
  t.throws(() => ed25519Sign(new Uint8Array(1), new Uint8Array(64)), RangeError);
  t.end();
});

void t.test('newEd25519Secret takes the injected random source', (t) => {
  const asked: number[] = [];
  const secret = newEd25519Secret((n) => {
    asked.push(n);
    return new Uint8Array(n).fill(9);
  });
  t.same(asked, [32]);
  t.same(secret, new Uint8Array(32).fill(9));
  t.throws(() => newEd25519Secret(() => new Uint8Array(16)), RangeError);
  t.end();
});
