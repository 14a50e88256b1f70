import t from 'tap';
import { hex, toHex } from '../../../card/bytes.js';
import { aesCmac, kcvAes, kcvDes3 } from '../../../card/crypto.js';
import { diversifyEmvCps, diversifyKdf3 } from '../../../card/diversify.js';

const KMC = '404142434445464748494A4B4C4D4E4F';
const KDD = '00010203040506070809';

void t.test('EMV CPS: KCVs C33013 / 6F4CA6 / BB8179', (t) => {
  const k = diversifyEmvCps(hex(KMC), hex(KDD));
  t.equal(toHex(kcvDes3(k.enc)), 'C33013');
  t.equal(toHex(kcvDes3(k.mac)), '6F4CA6');
  t.equal(toHex(kcvDes3(k.dek)), 'BB8179');
  for (const key of [k.enc, k.mac, k.dek]) t.equal(key.length, 16);
  t.end();
});

void t.test('EMV CPS uses only KDD[4..9]', (t) => {
  const a = diversifyEmvCps(hex(KMC), hex(KDD));
  const b = diversifyEmvCps(hex(KMC), hex('FFFFFFFF040506070809'));
  const c = diversifyEmvCps(hex(KMC), hex('000102030405060708FF'));
  t.equal(toHex(a.enc), toHex(b.enc));
  t.not(toHex(a.enc), toHex(c.enc));
  t.end();
});

void t.test('KDF3 (AES-128): KCVs E79C05 / D1BD77 / 3FDE8C', (t) => {
  const k = diversifyKdf3(hex(KMC), hex(KDD));
  t.equal(toHex(kcvAes(k.enc)), 'E79C05');
  t.equal(toHex(kcvAes(k.mac)), 'D1BD77');
  t.equal(toHex(kcvAes(k.dek)), '3FDE8C');
  for (const key of [k.enc, k.mac, k.dek]) t.equal(key.length, 16);
  t.end();
});

void t.test('KDF3 (AES-256): two CMAC blocks, counters 01 and 02', (t) => {
  const kmc = hex(KMC + KMC);
  const k = diversifyKdf3(kmc, hex(KDD));
  t.equal(k.enc.length, 32);
  const b1 = aesCmac(kmc, hex('01000000' + '01' + '00' + KDD));
  const b2 = aesCmac(kmc, hex('02000000' + '01' + '00' + KDD));
  t.equal(toHex(k.enc), toHex(b1) + toHex(b2));
  t.not(toHex(k.mac), toHex(k.enc));
  t.end();
});

void t.test('length checks', (t) => {
  t.throws(() => diversifyEmvCps(new Uint8Array(24), hex(KDD)), { code: 'KEY_INVALID' });
  t.throws(() => diversifyEmvCps(hex(KMC), new Uint8Array(8)), { code: 'LENGTH_MISMATCH' });
  t.throws(() => diversifyKdf3(new Uint8Array(24), hex(KDD)), { code: 'KEY_INVALID' });
  t.throws(() => diversifyKdf3(hex(KMC), new Uint8Array(11)), { code: 'LENGTH_MISMATCH' });
  t.end();
});
