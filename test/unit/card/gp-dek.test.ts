import { createCipheriv } from 'node:crypto';
import t from 'tap';
import { hex, toHex } from '../../../card/bytes.js';
import { decryptSecretDgi, encryptedDgiLength, encryptSecretDgi } from '../../../card/gp/dek.js';

const DEK = '202122232425262728292A2B2C2D2E2F';

/** Independent AES-CBC (node:crypto, zero IV, no padding). */
function cbc(key: string, data: string): string {
  const c = createCipheriv('aes-128-cbc', hex(key), Buffer.alloc(16));
  c.setAutoPadding(false);
  return toHex(new Uint8Array(Buffer.concat([c.update(hex(data)), c.final()])));
}

// DGI 8010: an ISO 9564 format 2 PIN block (PIN 1234), 8 bytes.
const PIN_BLOCK = '241234FFFFFFFFFF';
// DGI 8000: three 16-byte keys.
const KEYS = '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F';

void t.test('pad80 (default): ISO 9797-1 method 2, then AES-CBC with a zero ICV under Key-DEK', (t) => {
  const enc = encryptSecretDgi(hex(DEK), { tag: 0x8010, value: hex(PIN_BLOCK) });
  t.equal(enc.tag, 0x8010);
  t.equal(toHex(enc.value), cbc(DEK, `${PIN_BLOCK}8000000000000000`));
  // Aligned values still gain a whole block, so the card can always unpad.
  const aligned = encryptSecretDgi(hex(DEK), { tag: 0x8000, value: hex(KEYS) });
  t.equal(toHex(aligned.value), cbc(DEK, `${KEYS}80${'00'.repeat(15)}`));
  t.equal(encryptedDgiLength(8), 16);
  t.equal(encryptedDgiLength(48), 64);
  t.equal(encryptedDgiLength(48, 'none'), 48);
  t.end();
});

void t.test("padding 'none': whole blocks encrypted as they are", (t) => {
  const enc = encryptSecretDgi(hex(DEK), { tag: 0x8000, value: hex(KEYS) }, { padding: 'none' });
  t.equal(toHex(enc.value), cbc(DEK, KEYS));
  t.throws(() => encryptSecretDgi(hex(DEK), { tag: 0x8010, value: hex(PIN_BLOCK) }, { padding: 'none' }), { code: 'ARGUMENT_INVALID' });
  t.end();
});

void t.test('round trip host → card, both modes; the input is left intact', (t) => {
  const input = { tag: 0x8010, value: hex(PIN_BLOCK) };
  const back = decryptSecretDgi(hex(DEK), encryptSecretDgi(hex(DEK), input));
  t.same(back, { tag: 0x8010, value: hex(PIN_BLOCK) });
  t.equal(toHex(input.value), PIN_BLOCK);
  const keys = { tag: 0x8000, value: hex(KEYS) };
  t.same(decryptSecretDgi(hex(DEK), encryptSecretDgi(hex(DEK), keys, { padding: 'none' }), { padding: 'none' }), keys);
  const empty = { tag: 0x8020, value: new Uint8Array(0) };
  t.same(decryptSecretDgi(hex(DEK), encryptSecretDgi(hex(DEK), empty)), empty, 'an empty value pads to one block');
  t.end();
});

void t.test('card side: bad ciphertext is COMMAND_DATA_INVALID', (t) => {
  const enc = encryptSecretDgi(hex(DEK), { tag: 0x8010, value: hex(PIN_BLOCK) });
  t.throws(() => decryptSecretDgi(hex(DEK), { tag: 0x8010, value: enc.value.subarray(0, 15) }), { code: 'COMMAND_DATA_INVALID' });
  t.throws(() => decryptSecretDgi(hex(DEK), { tag: 0x8010, value: new Uint8Array(0) }), { code: 'COMMAND_DATA_INVALID' });
  // Under another key the padding does not check out.
  t.throws(() => decryptSecretDgi(hex('404142434445464748494A4B4C4D4E4F'), enc), { code: 'COMMAND_DATA_INVALID' });
  // A block that decrypts to all zeros has no 80 marker.
  t.throws(() => decryptSecretDgi(hex(DEK), { tag: 0x8010, value: hex(cbc(DEK, '00'.repeat(16))) }), { code: 'COMMAND_DATA_INVALID' });
  t.throws(() => encryptSecretDgi(hex('0011'), { tag: 0x8010, value: hex(PIN_BLOCK) }), { code: 'KEY_INVALID' });
  t.end();
});
