import { createCipheriv } from 'node:crypto';
import t from 'tap';
import { encodeCommand } from '../../../card/apdu.js';
import { concat, hex, toHex } from '../../../card/bytes.js';
import {
  encodeAesKeyData,
  expectedPutKeyResponse,
  parsePutKey,
  parsePutKeyParams,
  parsePutKeyResponse,
  putKeyAes,
  verifyPutKeyResponse,
} from '../../../card/gp/put-key.js';

// New keys: the pySim SCP03 static keys, whose KCVs are public (C35280 / 013808 / 840DE5).
const ENC = '000102030405060708090A0B0C0D0E0F';
const MAC = '101112131415161718191A1B1C1D1E1F';
const DEK = '202122232425262728292A2B2C2D2E2F';
// The current DEK that protects them: the well-known default test key.
const OLD_DEK = '404142434445464748494A4B4C4D4E4F';

/** Independent AES-CBC (node:crypto, zero IV, no padding) to build the expected bytes. */
function cbc(key: string, data: string): string {
  const k = hex(key);
  const c = createCipheriv(`aes-${k.length * 8}-cbc`, k, Buffer.alloc(16));
  c.setAutoPadding(false);
  return toHex(new Uint8Array(Buffer.concat([c.update(hex(data)), c.final()])));
}

function keys(): Uint8Array[] {
  return [hex(ENC), hex(MAC), hex(DEK)];
}

void t.test('PUT KEY: three AES-128 keys as a new key set (Amd D table 7-10)', (t) => {
  const cmd = putKeyAes({ newKvn: 0x30, replaceKvn: 0, keys: keys(), dek: hex(OLD_DEK) });
  const want =
    '80D8008146' +
    '30' +
    `881110${cbc(OLD_DEK, ENC)}03C35280` +
    `881110${cbc(OLD_DEK, MAC)}03013808` +
    `881110${cbc(OLD_DEK, DEK)}03840DE5` +
    '00';
  t.equal(toHex(encodeCommand(cmd)), want);
  t.end();
});

void t.test('PUT KEY: replacing a version, one key, 192- and 256-bit keys', (t) => {
  const one = putKeyAes({ newKvn: 0x31, replaceKvn: 0x30, keys: [hex(ENC)], dek: hex(OLD_DEK), firstKeyId: 2 });
  t.equal(toHex(encodeCommand(one)).slice(0, 10), '80D8300218', 'P1 = replaced KVN, P2 = key id without b8');
  const k32 = hex(ENC + MAC);
  t.equal(toHex(encodeAesKeyData(hex(OLD_DEK), k32)).slice(0, 6), '882120');
  t.equal(toHex(encodeAesKeyData(hex(OLD_DEK), k32)).slice(6, 70), cbc(OLD_DEK, ENC + MAC));
  const k24 = hex(ENC + MAC.slice(0, 16));
  const d24 = toHex(encodeAesKeyData(hex(OLD_DEK), k24));
  t.equal(d24.slice(0, 6), '882118', '24-byte key: length 21, clear length 18');
  t.equal(d24.slice(6, 70), cbc(OLD_DEK, ENC + MAC.slice(0, 16) + '0000000000000000'), 'padded with 8 zero bytes');
  t.end();
});

void t.test('PUT KEY builder refuses bad arguments', (t) => {
  const base = { newKvn: 0x30, replaceKvn: 0, keys: keys(), dek: hex(OLD_DEK) };
  t.throws(() => putKeyAes({ ...base, newKvn: 0 }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => putKeyAes({ ...base, newKvn: 0x80 }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => putKeyAes({ ...base, replaceKvn: 0x80 }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => putKeyAes({ ...base, keys: [] }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => putKeyAes({ ...base, keys: [hex('0011')] }), { code: 'KEY_INVALID' });
  t.throws(() => putKeyAes({ ...base, dek: hex('00') }), { code: 'KEY_INVALID' });
  t.throws(() => putKeyAes({ ...base, keys: Array.from({ length: 7 }, () => new Uint8Array(32)) }), { code: 'ARGUMENT_INVALID' }, 'over 255 bytes');
  t.end();
});

void t.test('round trip: host builds, card parses and checks every KCV', (t) => {
  const cmd = putKeyAes({ newKvn: 0x30, replaceKvn: 0, keys: keys(), dek: hex(OLD_DEK) });
  t.same(parsePutKeyParams(cmd.p1, cmd.p2), { replaceKvn: 0, more: false, firstKeyId: 1, multiple: true });
  const got = parsePutKey(cmd.data, hex(OLD_DEK), 1);
  t.equal(got.newKvn, 0x30);
  t.same(
    got.keys.map((k) => [k.id, k.type, toHex(k.key), toHex(k.kcv)]),
    [
      [1, 0x88, ENC, 'C35280'],
      [2, 0x88, MAC, '013808'],
      [3, 0x88, DEK, '840DE5'],
    ],
  );
  const k24 = hex(ENC + MAC.slice(0, 16));
  const k32 = hex(ENC + MAC);
  const mixed = parsePutKey(putKeyAes({ newKvn: 1, replaceKvn: 0, keys: [k24, k32], dek: hex(OLD_DEK) }).data, hex(OLD_DEK));
  t.same(mixed.keys.map((k) => toHex(k.key)), [toHex(k24), toHex(k32)]);
  t.end();
});

void t.test('card side: the other formats GPC allows', (t) => {
  // Table 11-71: no clear-length byte when the key is whole blocks.
  const plainBlock = hex(`30 88 10 ${cbc(OLD_DEK, ENC)} 03 C35280`);
  t.equal(toHex(parsePutKey(plainBlock, hex(OLD_DEK)).keys[0]!.key), ENC);
  // Table 11-69: extended format, key usage 18 (C-ENC), key access 00.
  const ext = parsePutKey(hex(`30 FF88 11 10 ${cbc(OLD_DEK, ENC)} 03 C35280 01 18 01 00`), hex(OLD_DEK));
  t.equal(toHex(ext.keys[0]!.usage!), '18');
  t.equal(toHex(ext.keys[0]!.access!), '00');
  // Length 128 may be coded 80 (§11.8.2.3.1): not for AES, but the length reader accepts it.
  t.throws(() => parsePutKey(hex(`30 88 80 ${'00'.repeat(128)} 03 000000`), hex(OLD_DEK)), { code: 'COMMAND_DATA_INVALID' }, 'AES key of 128 bytes');
  t.end();
});

void t.test('card side: a wrong KCV or a wrong DEK is KCV_MISMATCH', (t) => {
  const cmd = putKeyAes({ newKvn: 0x30, replaceKvn: 0, keys: keys(), dek: hex(OLD_DEK) });
  const tampered = cmd.data.slice();
  tampered[tampered.length - 1]! ^= 0x01; // last byte of the DEK key check value
  t.throws(() => parsePutKey(tampered, hex(OLD_DEK)), { code: 'KCV_MISMATCH' });
  t.throws(() => parsePutKey(cmd.data, hex(DEK)), { code: 'KCV_MISMATCH' }, 'decrypted under the wrong DEK');
  t.end();
});

void t.test('card side: malformed PUT KEY data is COMMAND_DATA_INVALID', (t) => {
  const enc = cbc(OLD_DEK, ENC);
  const bad = [
    '', // no KVN
    `00881110${enc}03C35280`, // KVN 00
    `80881110${enc}03C35280`, // KVN 80
    '30', // no key data field
    `30801110${enc}03C35280`, // DES key type
    `30FF`, // truncated extended type
    `30881110${enc}`, // KCV length missing
    `30881110${enc}03C352`, // KCV truncated
    `30881110${enc}00`, // KCV absent (mandatory for AES)
    `30881110${enc}04C3528000`, // KCV of 4 bytes
    `30881210${enc}0003C35280`, // block of 18 bytes: clear length 10, 17 bytes of ciphertext
    `30881120${enc}03C35280`, // clear length 32 > 16 bytes of ciphertext
    `30881108${enc}03C35280`, // clear length 8: not an AES key
    `30882110${enc}03C35280`, // block length beyond data
    `3088831000${enc}03C35280`, // 3-byte length form with 83
    `30FF881110${enc}03C3528001`, // extended: key access length missing
  ];
  for (const b of bad) t.throws(() => parsePutKey(hex(b), hex(OLD_DEK)), { code: 'COMMAND_DATA_INVALID' }, b);
  t.end();
});

void t.test('PUT KEY response: KVN ‖ KCVs', (t) => {
  const resp = expectedPutKeyResponse(0x30, keys());
  t.equal(toHex(resp), '30C35280013808840DE5');
  t.same(parsePutKeyResponse(resp, 3), { kvn: 0x30, kcvs: [hex('C35280'), hex('013808'), hex('840DE5')] });
  t.doesNotThrow(() => verifyPutKeyResponse(resp, 0x30, keys()));
  t.throws(() => verifyPutKeyResponse(hex('31C35280013808840DE5'), 0x30, keys()), { code: 'RESPONSE_MALFORMED' });
  t.throws(() => verifyPutKeyResponse(concat(resp, hex('00')), 0x30, keys()), { code: 'RESPONSE_MALFORMED' });
  t.throws(() => parsePutKeyResponse(resp, 2), { code: 'RESPONSE_MALFORMED' });
  t.end();
});
