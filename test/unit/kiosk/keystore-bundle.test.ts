/**
 * kiosk/keystore/secret-bundle.ts: the round trip with and without the TLS
 * part, the exact layout, strict decoding (every malformed input is
 * KeyStoreError INVALID, none crashes: a property run over mutations), and
 * the decoder's copies (zeroizing the input leaves the result intact).
 */
import t from 'tap';
import fc from 'fast-check';
import { decodeSecretBundle, encodeSecretBundle, BUNDLE_VERSION } from '../../../kiosk/keystore/secret-bundle.js';
import { isKeyStoreError } from '../../../kiosk/keystore/types.js';

const signingKey = new Uint8Array(32).fill(0x11);
const sealingKey = new Uint8Array(32).fill(0x22);
const pem = new TextEncoder().encode('-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n');
const tss2 = new TextEncoder().encode('-----BEGIN TSS2 PRIVATE KEY-----\nMIHwBgZngQUKAQOgAwEBAQIEQAAAAQ==\n-----END TSS2 PRIVATE KEY-----\n');

void t.test('round trip: keys and a PEM or TSS2 TLS key; without TLS for the TPM part', (t) => {
  for (const tls of [{ kind: 'pem' as const, pem }, { kind: 'tpm2' as const, pem: tss2 }]) {
    const bytes = encodeSecretBundle({ signingKey, sealingKey, tls });
    const back = decodeSecretBundle(bytes, true, 'test');
    t.same(back.signingKey, signingKey);
    t.same(back.sealingKey, sealingKey);
    t.same(back.tls, tls);
    bytes.fill(0);
    t.same(back.signingKey, signingKey, 'the result is a copy: zeroizing the input leaves it intact');
    t.same(back.tls?.pem, tls.pem);
  }
  const bare = encodeSecretBundle({ signingKey, sealingKey });
  t.equal(bare.length, 1 + 2 * 35, 'version + two TLVs: 71 bytes, within the 128 of a TPM sealed object');
  t.same([...bare.subarray(0, 4)], [BUNDLE_VERSION, 0x01, 0x00, 0x20], 'version, then tag 01 with length 0x0020');
  t.same([...bare.subarray(36, 39)], [0x02, 0x00, 0x20]);
  t.same(decodeSecretBundle(bare, false, 'test'), { signingKey, sealingKey });
  t.end();
});

void t.test('encoding refuses wrong sizes and a PEM of the wrong kind', (t) => {
  const bad = [
    { signingKey: new Uint8Array(31), sealingKey },
    { signingKey, sealingKey: new Uint8Array(33) },
    { signingKey, sealingKey, tls: { kind: 'pem' as const, pem: tss2 } },
    { signingKey, sealingKey, tls: { kind: 'tpm2' as const, pem } },
    { signingKey, sealingKey, tls: { kind: 'pem' as const, pem: new Uint8Array(20 * 1024).fill(0x41) } },
  ];
  for (const b of bad) t.throws(() => encodeSecretBundle(b), { name: 'KeyStoreError', code: 'INVALID' });
  t.end();
});

void t.test('decoding is strict: each defect is INVALID with a reason', (t) => {
  const good = encodeSecretBundle({ signingKey, sealingKey, tls: { kind: 'pem', pem } });
  const variant = (f: (b: Uint8Array) => Uint8Array): Uint8Array => f(good.slice());
  const cases: [string, Uint8Array, boolean, RegExp][] = [
    ['empty', new Uint8Array(0), true, /version/],
    ['version 2', variant((b) => ((b[0] = 2), b)), true, /version 2/],
    ['tags swapped', variant((b) => ((b[1] = 0x02), b)), true, /field 2 where field 1 belongs/],
    ['a short key', variant((b) => ((b[3] = 0x1f), b)), true, /field|length/],
    ['truncated', good.subarray(0, 50), true, /longer than the bundle|truncated/],
    ['trailing byte', Uint8Array.from([...good, 0]), true, /truncated|trailing/],
    ['unknown TLS kind', variant((b) => ((b[74] = 9), b)), true, /unknown TLS key kind 9/],
    ['TLS required', encodeSecretBundle({ signingKey, sealingKey }), true, /no TLS key/],
    ['TLS where none belongs', good, false, /where none belongs/],
  ];
  for (const [name, bytes, requireTls, message] of cases) {
    t.throws(() => decodeSecretBundle(bytes, requireTls, 'store.bin'), { code: 'INVALID', message }, name);
  }
  t.end();
});

void t.test('property: any mutation or truncation decodes equal or fails with INVALID, never otherwise', (t) => {
  const good = encodeSecretBundle({ signingKey, sealingKey, tls: { kind: 'tpm2', pem: tss2 } });
  fc.assert(
    fc.property(fc.nat(good.length - 1), fc.nat(255), fc.nat(good.length), (at, value, cut) => {
      const b = good.slice(0, Math.max(cut, at + 1));
      b[at] = value;
      try {
        const r = decodeSecretBundle(b, true, 'x');
        return r.signingKey.length === 32 && r.sealingKey.length === 32;
      } catch (e) {
        return isKeyStoreError(e, 'INVALID');
      }
    }),
    { numRuns: 2000 },
  );
  t.end();
});
