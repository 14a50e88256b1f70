/**
 * The stock preparation builders against the specifications: PUT KEY
 * (GPC v2.3.1 §11.8, Amd D table 7-10), SET STATUS (§11.10), the file
 * commands (ISO 7816-4 §11.1-11.2), the step plan, the EF 5001 layout,
 * the application key derivation and the batch manifest validator.
 */
import t from 'tap';
import { encodeCommand } from '../../../card/apdu.js';
import { hex, toHex } from '../../../card/bytes.js';
import { aesCbcDecrypt, kcvAes } from '../../../card/crypto.js';
import { diversifyKdf3 } from '../../../card/diversify.js';
import { parsePutKey } from '../../../card/gp/put-key.js';
import {
  deriveApplicationKeys,
  encodeManifest,
  encodeProductData,
  getIsdStatus,
  parseManifest,
  parseProductData,
  preparationSteps,
  putKeySet,
  readProductEf,
  selectProductEf,
  setInitialized,
  setSecured,
  stockProduct,
  TRANSPORT_KEY_HEX,
  updateProductEf,
} from '../../../card/stock/index.js';

const KMC = hex('00112233445566778899AABBCCDDEEFF');
const KDD = hex('0000CA4D000000000001');
const DEK = hex(TRANSPORT_KEY_HEX);

void t.test('PUT KEY: 80 D8 <replaced KVN> 81, new KVN then 3 × (88 11 10 <AES-CBC(DEK, key)> 03 <KCV>), Le 00', (t) => {
  const keys = diversifyKdf3(KMC, KDD);
  const cmd = putKeySet(0x30, 0x01, keys, DEK);
  t.same([cmd.cla, cmd.ins, cmd.p1, cmd.p2], [0x80, 0xd8, 0x30, 0x81]);
  t.equal(cmd.ne, 256);
  t.equal(cmd.data.length, 1 + 3 * (3 + 16 + 1 + 3));
  t.equal(cmd.data[0], 0x01, 'new KVN first');
  const first = cmd.data.subarray(1, 24);
  t.same([...first.subarray(0, 3)], [0x88, 0x11, 0x10], 'AES key type, length of clear-length byte + block, key length 16');
  t.same(aesCbcDecrypt(DEK, new Uint8Array(16), first.subarray(3, 19)), keys.enc, 'Key-ENC under the DEK, zero ICV');
  t.same([...first.subarray(19)], [0x03, ...kcvAes(keys.enc)], 'KCV: AES(key, 01×16)[0..3]');
  // The card side parser takes it back exactly.
  const parsed = parsePutKey(cmd.data, DEK);
  t.same(parsed.keys.map((k) => toHex(k.key)), [keys.enc, keys.mac, keys.dek].map(toHex));
  const add = putKeySet(0x00, 0x20, deriveApplicationKeys(KMC, KDD), DEK);
  t.same([add.p1, add.p2, add.data[0]], [0x00, 0x81, 0x20], 'P1 00 adds a key set');
  t.end();
});

void t.test('SET STATUS, GET STATUS and the EF 5001 file commands', (t) => {
  t.equal(toHex(encodeCommand(setInitialized())), '80F08007');
  t.equal(toHex(encodeCommand(setSecured())), '80F0800F');
  t.equal(toHex(encodeCommand(getIsdStatus())), '80F28002024F0000');
  t.equal(toHex(encodeCommand(selectProductEf())), '00A4080C0450005001', 'SELECT by path from the MF, no response data');
  t.equal(toHex(encodeCommand(readProductEf())), '00B0000080');
  const content = encodeProductData({ product: 'cardline-basic', batch: 'B1' });
  t.equal(toHex(encodeCommand(updateProductEf(content))).slice(0, 10), '00D6000080');
  t.throws(() => updateProductEf(new Uint8Array(12)), { code: 'ARGUMENT_INVALID' });
  t.end();
});

void t.test('EF 5001 product data: E1 { DF01 product, DF02 batch, DF03 version } zero-padded to 128', (t) => {
  const d = encodeProductData({ product: 'cardline-basic', batch: 'B-2024.07_a' });
  t.equal(d.length, 128);
  t.equal(toHex(d.subarray(0, 5)), 'E123DF010E', 'template, then the product name');
  t.same(parseProductData(d), { product: 'cardline-basic', batch: 'B-2024.07_a', version: 1 });
  t.throws(() => encodeProductData({ product: 'cardline-basic', batch: '-x' }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => encodeProductData({ product: 'Cardline', batch: 'b' }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => parseProductData(new Uint8Array(128)), { code: 'RESPONSE_MALFORMED' }, 'a blank EF');
  t.end();
});

void t.test('application keys: KDF3-like with t = 21/22/23, distinct from the ISD keys', (t) => {
  const isd = diversifyKdf3(KMC, KDD);
  const app = deriveApplicationKeys(KMC, KDD);
  for (const k of ['enc', 'mac', 'dek'] as const) t.not(toHex(app[k]), toHex(isd[k]), `${k} differs from the ISD's`);
  t.not(toHex(app.enc), toHex(deriveApplicationKeys(KMC, hex('0000CA4D000000000002')).enc), 'per card');
  t.equal(deriveApplicationKeys(new Uint8Array(32).fill(7), KDD).enc.length, 32, 'AES-256 from a 32-byte KMC');
  t.throws(() => deriveApplicationKeys(new Uint8Array(24), KDD), { code: 'KEY_INVALID' });
  t.end();
});

void t.test('the plan: ISD set first (replacing KVN 30), application set added, product data, INITIALIZED, SECURED', (t) => {
  const product = stockProduct('cardline-basic');
  t.equal(product.isdKvn, 0x01, 'the profile asks for the first set (KVN 00): KVN 01 in its place');
  const steps = preparationSteps({ product, batch: 'B1', isdKeys: diversifyKdf3(KMC, KDD), appKeys: deriveApplicationKeys(KMC, KDD), transportDek: DEK });
  t.same(steps.map((s) => s.name), ['put-key-isd', 'put-key-app', 'select-product', 'write-product', 'set-initialized', 'set-secured']);
  t.same(steps.map((s) => s.secured), [true, true, false, true, true, true], 'SELECT goes plain');
  t.equal(steps[0]!.cmd.p1, 0x30);
  t.equal(toHex(steps[0]!.expect!).slice(0, 2), '01', 'PUT KEY answer: new KVN then KCVs');
  t.throws(() => stockProduct('no-such'), { code: 'ARGUMENT_INVALID' });
  t.end();
});

void t.test('batch manifest: checked field by field', (t) => {
  const good = { v: 1 as const, batch: 'B1', product: 'cardline-basic', createdAt: '2024-07-01T09:00:00.000Z', cards: [{ serial: 'CA4D000000000001', kdd: '0000CA4D000000000001' }] };
  t.same(parseManifest(encodeManifest(good)), good);
  const bad: [string, unknown, RegExp][] = [
    ['not JSON', '{', /not JSON/],
    ['version', { ...good, v: 2 }, /v must be 1/],
    ['batch', { ...good, batch: '../x' }, /batch/],
    ['product', { ...good, product: 'X' }, /product/],
    ['date', { ...good, createdAt: '2024-13-01T00:00:00Z' }, /createdAt/],
    ['no cards', { ...good, cards: [] }, /cards/],
    ['lower-case KDD', { ...good, cards: [{ serial: 'CA4D000000000001', kdd: '0000ca4d000000000001' }] }, /cards\[0\]\.kdd/],
    ['short KDD', { ...good, cards: [{ serial: 'CA4D000000000001', kdd: '0000CA4D0001' }] }, /cards\[0\]\.kdd/],
    ['KDD twice', { ...good, cards: [good.cards[0], { serial: 'CA4D000000000002', kdd: '0000CA4D000000000001' }] }, /listed twice/],
    ['extra field', { ...good, extra: 1 }, /unknown field/],
  ];
  for (const [what, value, msg] of bad) {
    t.throws(() => parseManifest(typeof value === 'string' ? value : JSON.stringify(value)), { code: 'MANIFEST_INVALID', message: msg }, what);
  }
  t.end();
});
