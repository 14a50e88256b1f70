import t from 'tap';
import { concat, hex, toHex } from '../../../card/bytes.js';
import { aesCmac } from '../../../card/crypto.js';
import {
  cardCryptogram,
  deriveSessionKeys,
  hostCryptogram,
  KDF_CONSTANT,
  parseInitializeUpdateResponse,
  pseudoRandomCardChallenge,
  scp03Kdf,
} from '../../../card/scp03/index.js';
import { AID, SL03, staticKeys, VECTORS } from './fixtures/scp03-vectors.js';

void t.test('SL03 vector: session keys from the static keys and both challenges', (t) => {
  const keys = deriveSessionKeys(staticKeys(), hex(SL03.hostChallenge), hex(SL03.cardChallenge));
  t.equal(toHex(keys.sEnc), SL03.sEnc);
  t.equal(toHex(keys.sMac), SL03.sMac);
  t.equal(toHex(keys.sRmac), SL03.sRmac);
  t.end();
});

void t.test('SL03 vector: card cryptogram matches the response, host cryptogram matches EXTERNAL AUTHENTICATE', (t) => {
  const sMac = hex(SL03.sMac);
  const r = parseInitializeUpdateResponse(hex(SL03.response));
  t.equal(toHex(cardCryptogram(sMac, hex(SL03.hostChallenge), r.cardChallenge)), toHex(r.cardCryptogram));
  t.equal(toHex(hostCryptogram(sMac, hex(SL03.hostChallenge), r.cardChallenge)), SL03.hostCryptogram);
  t.equal(SL03.externalAuthenticate.slice(10, 26), SL03.hostCryptogram);
  t.end();
});

void t.test('every vector: card cryptogram reproduced from the static keys', (t) => {
  for (const v of VECTORS) {
    const r = parseInitializeUpdateResponse(hex(v.response));
    const keys = deriveSessionKeys(staticKeys(), hex(v.hostChallenge), r.cardChallenge);
    t.equal(toHex(cardCryptogram(keys.sMac, hex(v.hostChallenge), r.cardChallenge)), toHex(r.cardCryptogram), `SL ${v.level}`);
    t.equal(toHex(hostCryptogram(keys.sMac, hex(v.hostChallenge), r.cardChallenge)), v.externalAuthenticate.slice(10, 26));
  }
  t.end();
});

void t.test('every vector: pseudo-random card challenge = KDF(Key-ENC, 02, counter ‖ AID)', (t) => {
  for (const v of VECTORS) {
    const r = parseInitializeUpdateResponse(hex(v.response));
    t.equal(toHex(r.sequenceCounter!), toHex(hex(`00000${v.sequenceCounter}`)));
    t.equal(toHex(pseudoRandomCardChallenge(staticKeys().enc, r.sequenceCounter!, hex(AID))), v.cardChallenge);
    t.equal(toHex(pseudoRandomCardChallenge(staticKeys().enc, v.sequenceCounter, hex(AID))), v.cardChallenge);
  }
  t.end();
});

void t.test('KDF input follows GP field order: 11×00 ‖ constant ‖ 00 ‖ L ‖ i ‖ context', (t) => {
  const key = staticKeys().mac;
  const context = hex('0102030405060708');
  const manual = aesCmac(key, concat(new Uint8Array(11), hex('06'), hex('00'), hex('0080'), hex('01'), context));
  t.equal(toHex(scp03Kdf(key, KDF_CONSTANT.S_MAC, 128, context)), toHex(manual));
  // 256 bits: two blocks, i = 1 and 2, L = 0100.
  const b1 = aesCmac(key, concat(new Uint8Array(11), hex('04'), hex('00'), hex('0100'), hex('01'), context));
  const b2 = aesCmac(key, concat(new Uint8Array(11), hex('04'), hex('00'), hex('0100'), hex('02'), context));
  t.equal(toHex(scp03Kdf(key, KDF_CONSTANT.S_ENC, 256, context)), toHex(concat(b1, b2)));
  t.equal(scp03Kdf(key, KDF_CONSTANT.S_ENC, 192, context).length, 24);
  t.end();
});

void t.test('AES-256 static keys give 256-bit session keys', (t) => {
  const k32 = new Uint8Array(32).fill(0x42);
  const keys = deriveSessionKeys({ enc: k32, mac: k32, dek: k32, kvn: 0x30 }, new Uint8Array(8), new Uint8Array(8));
  t.equal(keys.sEnc.length, 32);
  t.equal(keys.sMac.length, 32);
  t.equal(keys.sRmac.length, 32);
  t.end();
});

void t.test('bad arguments are typed errors', (t) => {
  const key = staticKeys().mac;
  t.throws(() => scp03Kdf(new Uint8Array(15), 0, 64, new Uint8Array(0)), { code: 'KEY_INVALID' });
  t.throws(() => scp03Kdf(key, 0x100, 64, new Uint8Array(0)), { code: 'ARGUMENT_INVALID' });
  t.throws(() => scp03Kdf(key, 0, 63, new Uint8Array(0)), { code: 'ARGUMENT_INVALID' });
  t.throws(() => scp03Kdf(key, 0, 0, new Uint8Array(0)), { code: 'ARGUMENT_INVALID' });
  t.throws(() => deriveSessionKeys(staticKeys(), new Uint8Array(7), new Uint8Array(8)), { code: 'LENGTH_MISMATCH' });
  t.throws(
    () => deriveSessionKeys({ ...staticKeys(), dek: new Uint8Array(20) }, new Uint8Array(8), new Uint8Array(8)),
    { code: 'KEY_INVALID' },
  );
  t.throws(() => pseudoRandomCardChallenge(key, 0x1000000, hex(AID)), { code: 'ARGUMENT_INVALID' });
  t.throws(() => pseudoRandomCardChallenge(key, hex('0001'), hex(AID)), { code: 'LENGTH_MISMATCH' });
  t.throws(() => pseudoRandomCardChallenge(key, 1, hex('A000')), { code: 'ARGUMENT_INVALID' });
  t.end();
});
