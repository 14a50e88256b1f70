import t from 'tap';
import { hex, toHex } from '../../../card/bytes.js';
import {
  aesCbcDecrypt,
  aesCbcEncrypt,
  aesCmac,
  aesEcbEncryptBlock,
  des3EcbEncrypt,
  kcvAes,
  kcvDes3,
  pad80,
  unpad80,
} from '../../../card/crypto.js';
import { STATIC_KEYS } from './fixtures/scp03-vectors.js';

void t.test('KCVs of the public SCP03 static keys: C35280 / 013808 / 840DE5', (t) => {
  t.equal(toHex(kcvAes(hex(STATIC_KEYS.enc))), 'C35280');
  t.equal(toHex(kcvAes(hex(STATIC_KEYS.mac))), '013808');
  t.equal(toHex(kcvAes(hex(STATIC_KEYS.dek))), '840DE5');
  t.end();
});

void t.test('AES: FIPS-197 appendix C.1 and SP 800-38A F.2.1 (CBC)', (t) => {
  t.equal(
    toHex(aesEcbEncryptBlock(hex('000102030405060708090a0b0c0d0e0f'), hex('00112233445566778899aabbccddeeff'))),
    '69C4E0D86A7B0430D8CDB78070B4C55A',
  );
  const key = hex('2b7e151628aed2a6abf7158809cf4f3c');
  const iv = hex('000102030405060708090a0b0c0d0e0f');
  const pt = hex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51');
  const ct = aesCbcEncrypt(key, iv, pt);
  t.equal(toHex(ct), '7649ABAC8119B246CEE98E9B12E9197D5086CB9B507219EE95DB113A917678B2');
  t.equal(toHex(aesCbcDecrypt(key, iv, ct)), toHex(pt));
  t.equal(aesCbcEncrypt(key, iv, new Uint8Array(0)).length, 0);
  t.end();
});

void t.test('AES-CMAC: RFC 4493 examples 1 and 2', (t) => {
  const key = hex('2b7e151628aed2a6abf7158809cf4f3c');
  t.equal(toHex(aesCmac(key, new Uint8Array(0))), 'BB1D6929E95937287FA37D129B756746');
  t.equal(toHex(aesCmac(key, hex('6bc1bee22e409f96e93d7e117393172a'))), '070A16B46B4D4144F79BDD9DD04A287C');
  t.end();
});

void t.test('3DES: double-length key = K1 K2 K1, KCV over 8×00', (t) => {
  const k16 = hex('404142434445464748494A4B4C4D4E4F');
  const k24 = hex('404142434445464748494A4B4C4D4E4F4041424344454647');
  t.equal(toHex(des3EcbEncrypt(k16, new Uint8Array(16))), toHex(des3EcbEncrypt(k24, new Uint8Array(16))));
  t.equal(toHex(kcvDes3(k16)), toHex(des3EcbEncrypt(k16, new Uint8Array(8)).subarray(0, 3)));
  // Classic test key 0123456789ABCDEF FEDCBA9876543210: 3DES(8×00) = 08D7B4FB629D0885.
  t.equal(toHex(des3EcbEncrypt(hex('0123456789ABCDEFFEDCBA9876543210'), new Uint8Array(8))), '08D7B4FB629D0885');
  t.end();
});

void t.test('key and block length checks', (t) => {
  for (const n of [0, 8, 15, 17, 31, 33]) {
    t.throws(() => kcvAes(new Uint8Array(n)), { code: 'KEY_INVALID' }, `AES key of ${n}`);
  }
  for (const n of [16, 24, 32]) t.equal(kcvAes(new Uint8Array(n)).length, 3);
  t.throws(() => des3EcbEncrypt(new Uint8Array(8), new Uint8Array(8)), { code: 'KEY_INVALID' });
  t.throws(() => des3EcbEncrypt(new Uint8Array(16), new Uint8Array(7)), { code: 'LENGTH_MISMATCH' });
  t.throws(() => aesCbcEncrypt(new Uint8Array(16), new Uint8Array(16), new Uint8Array(15)), { code: 'LENGTH_MISMATCH' });
  t.throws(() => aesCbcDecrypt(new Uint8Array(16), new Uint8Array(16), new Uint8Array(17)), { code: 'LENGTH_MISMATCH' });
  t.throws(() => aesCbcEncrypt(new Uint8Array(16), new Uint8Array(8), new Uint8Array(16)), { code: 'LENGTH_MISMATCH' });
  t.throws(() => aesEcbEncryptBlock(new Uint8Array(16), new Uint8Array(32)), { code: 'LENGTH_MISMATCH' });
  t.throws(() => aesCmac(new Uint8Array(10), new Uint8Array(0)), { code: 'KEY_INVALID' });
  t.end();
});

void t.test('pad80 always pads; unpad80 inverts it', (t) => {
  t.equal(toHex(pad80(hex('0102'))), '0102800000000000' + '0000000000000000');
  t.equal(toHex(pad80(new Uint8Array(0))), '80' + '00'.repeat(15));
  t.equal(pad80(new Uint8Array(16)).length, 32, 'aligned input gains a whole block');
  t.equal(toHex(pad80(new Uint8Array(16)).subarray(16)), '80' + '00'.repeat(15));
  t.equal(toHex(pad80(hex('01020304050607'), 8)), '0102030405060780');
  t.equal(pad80(hex('0102030405060708'), 8).length, 16);
  for (let n = 0; n <= 33; n++) {
    const data = Uint8Array.from({ length: n }, (_, k) => (k === n - 1 ? 0x80 : k)); // ends in 80 / 00 on purpose
    t.equal(toHex(unpad80(pad80(data))), toHex(data), `length ${n}`);
  }
  t.throws(() => pad80(hex('01'), 0), { code: 'ARGUMENT_INVALID' });
  t.end();
});

void t.test('unpad80 rejects bad padding', (t) => {
  t.throws(() => unpad80(new Uint8Array(16)), { code: 'PADDING_INVALID' }, 'all zeros');
  t.throws(() => unpad80(new Uint8Array(0)), { code: 'PADDING_INVALID' }, 'empty');
  t.throws(() => unpad80(hex('0102030400000000')), { code: 'PADDING_INVALID' }, 'no 80 marker');
  t.throws(() => unpad80(hex('01020381')), { code: 'PADDING_INVALID' }, 'wrong marker');
  t.throws(() => unpad80(hex('80' + '00'.repeat(16))), { code: 'PADDING_INVALID' }, 'padding longer than a block');
  t.equal(toHex(unpad80(hex('80' + '00'.repeat(15)))), '', 'exactly one block of padding');
  t.end();
});
