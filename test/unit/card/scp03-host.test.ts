import t, { type Test } from 'tap';
import { encodeCommand, parseCommand, type ResponseApdu } from '../../../card/apdu.js';
import { concat, hex, toHex } from '../../../card/bytes.js';
import { aesCmac } from '../../../card/crypto.js';
import {
  deriveSessionKeys,
  HostSecureChannel,
  initializeUpdateCommand,
  parseInitializeUpdateResponse,
  type HostOpenOptions,
} from '../../../card/scp03/index.js';
import { AID, SL03, STATIC_KEYS, SL11, SL33, staticKeys, VECTORS, type FirstCommandVector, type SessionVector } from './fixtures/scp03-vectors.js';

function openVector(v: SessionVector, extra: Partial<HostOpenOptions> = {}): HostSecureChannel {
  return HostSecureChannel.open({
    keys: staticKeys(),
    hostChallenge: hex(v.hostChallenge),
    initUpdateResponse: hex(v.response),
    securityLevel: v.level,
    aid: hex(AID),
    ...extra,
  });
}

function wrapHex(ch: HostSecureChannel, plain: string): string {
  return toHex(encodeCommand(ch.wrap(parseCommand(hex(plain)))));
}

void t.test('INITIALIZE UPDATE command encodes as in every vector', (t) => {
  for (const v of VECTORS) {
    t.equal(toHex(encodeCommand(initializeUpdateCommand(0x30, hex(v.hostChallenge)))), v.initUpdate);
  }
  t.throws(() => initializeUpdateCommand(0x30, new Uint8Array(7)), { code: 'LENGTH_MISMATCH' });
  t.end();
});

void t.test('parseInitializeUpdateResponse splits the SL03 response', (t) => {
  const r = parseInitializeUpdateResponse(hex(SL03.response));
  t.equal(toHex(r.kdd), '00000000000000000000');
  t.equal(r.kvn, 0x30);
  t.equal(r.scpId, 0x03);
  t.equal(r.i, 0x70);
  t.equal(toHex(r.cardChallenge), SL03.cardChallenge);
  t.equal(toHex(r.cardCryptogram), '95065FE5EAD8A9D7');
  t.equal(toHex(r.sequenceCounter!), '000001');
  t.end();
});

void t.test('parseInitializeUpdateResponse rejects malformed responses', (t) => {
  const good = hex(SL03.response);
  t.throws(() => parseInitializeUpdateResponse(good.subarray(0, 29)), { code: 'RESPONSE_MALFORMED' }, 'i=70 needs a counter');
  t.throws(() => parseInitializeUpdateResponse(concat(good, hex('00'))), { code: 'RESPONSE_MALFORMED' });
  t.throws(() => parseInitializeUpdateResponse(good.subarray(0, 5)), { code: 'RESPONSE_MALFORMED' });
  const scp02 = good.slice();
  scp02[11] = 0x02;
  t.throws(() => parseInitializeUpdateResponse(scp02), { code: 'RESPONSE_MALFORMED' }, 'SCP02 answer');
  const i60 = good.slice(0, 29);
  i60[12] = 0x60;
  t.equal(parseInitializeUpdateResponse(i60).sequenceCounter, undefined, 'i=60: 29 bytes, no counter');
  t.throws(() => parseInitializeUpdateResponse(concat(i60, hex('000001'))), { code: 'RESPONSE_MALFORMED' }, 'i=60 with a counter');
  const s16 = good.slice();
  s16[12] = 0x71;
  t.throws(() => parseInitializeUpdateResponse(s16), { code: 'RESPONSE_MALFORMED' }, 'S16 mode');
  t.end();
});

void t.test('SL03: EXTERNAL AUTHENTICATE and every wrapped command of the vector, in order', (t) => {
  const ch = openVector(SL03);
  t.equal(ch.securityLevel, 0x03);
  t.equal(toHex(ch.kdd), '00000000000000000000');
  t.equal(toHex(encodeCommand(ch.externalAuthenticate())), SL03.externalAuthenticate);
  t.same(ch.unwrap({ data: new Uint8Array(0), sw: 0x9000 }), { data: new Uint8Array(0), sw: 0x9000 }, 'EA response is not protected');
  for (const [plain, wrapped] of SL03.commands) t.equal(wrapHex(ch, plain), wrapped, plain);
  // SL03 has no R-MAC: responses pass through unchanged.
  const resp: ResponseApdu = { data: hex('0102'), sw: 0x9000 };
  t.equal(ch.unwrap(resp), resp);
  t.equal(toHex(ch.dek), STATIC_KEYS.dek);
  ch.close();
  t.equal(ch.isOpen, false);
  t.throws(() => ch.dek, { code: 'CHANNEL_CLOSED' });
  t.throws(() => ch.wrap(parseCommand(hex('80F22002'))), { code: 'CHANNEL_CLOSED' });
  t.end();
});

void t.test('SL03: counting only commands with data diverges from the vector at the first command after GET STATUS', (t) => {
  const ch = openVector(SL03, { counterOnlyWithData: true });
  ch.externalAuthenticate();
  const [c1, c2, c3, c4] = SL03.commands;
  t.equal(wrapHex(ch, c1![0]), c1![1], 'counter 1 either way');
  t.equal(wrapHex(ch, c2![0]), c2![1], 'no data: MAC only');
  t.equal(wrapHex(ch, c3![0]), c3![1], 'no data: MAC only');
  t.not(wrapHex(ch, c4![0]), c4![1], 'counter 2 instead of 4: different ciphertext');
  t.end();
});

function firstCommandAndResponse(t: Test, v: FirstCommandVector): void {
  const ch = openVector(v);
  t.equal(toHex(encodeCommand(ch.externalAuthenticate())), v.externalAuthenticate);
  t.equal(wrapHex(ch, v.firstPlain), v.firstWrapped);
  const resp = { data: hex(v.responseBody + v.responseRmac), sw: 0x9000 };
  const plain = ch.unwrap(resp);
  t.equal(toHex(plain.data), v.responsePlain);
  t.equal(plain.sw, 0x9000);
}

void t.test('SL11: first command, then R-MAC verification of its response', (t) => {
  firstCommandAndResponse(t, SL11);
  t.end();
});

void t.test('SL33: first command, then R-MAC and R-ENC decryption of its response', (t) => {
  firstCommandAndResponse(t, SL33);
  t.end();
});

void t.test('pseudo-random challenges of all three vectors are reproduced when the AID is given', (t) => {
  for (const v of VECTORS) {
    t.doesNotThrow(() => openVector(v), `SL ${v.level}`);
    t.doesNotThrow(() => openVector(v, { aid: undefined }), 'without AID the challenge is not checked');
  }
  t.throws(() => openVector(SL03, { aid: hex('A0000001510000') }), { code: 'CARD_CHALLENGE' }, 'other AID');
  const otherCounter = hex(SL03.response);
  otherCounter[31] = 0x02;
  t.throws(() => openVector(SL03, { initUpdateResponse: otherCounter }), { code: 'CARD_CHALLENGE' }, 'other counter');
  t.end();
});

void t.test('wrong card cryptogram or wrong keys: CARD_CRYPTOGRAM', (t) => {
  const tampered = hex(SL03.response);
  tampered[21] = tampered[21]! ^ 0x01;
  t.throws(() => openVector(SL03, { initUpdateResponse: tampered }), { code: 'CARD_CRYPTOGRAM' });
  const wrongMac = { ...staticKeys(), mac: hex('00112233445566778899AABBCCDDEEFF') };
  t.throws(() => openVector(SL03, { keys: wrongMac }), { code: 'CARD_CRYPTOGRAM' });
  t.throws(() => openVector(SL03, { hostChallenge: hex('0000000000000000') }), { code: 'CARD_CRYPTOGRAM' });
  t.end();
});

void t.test('tampered R-MAC: RMAC_INVALID and the session is closed', (t) => {
  for (const v of [SL11, SL33]) {
    const ch = openVector(v);
    ch.externalAuthenticate();
    ch.wrap(parseCommand(hex(v.firstPlain)));
    const mac = hex(v.responseRmac);
    mac[7] = mac[7]! ^ 0x80;
    t.throws(() => ch.unwrap({ data: concat(hex(v.responseBody), mac), sw: 0x9000 }), { code: 'RMAC_INVALID' });
    t.equal(ch.isOpen, false);
    t.throws(() => ch.wrap(parseCommand(hex('80F22002'))), { code: 'CHANNEL_CLOSED' });
  }
  // The right R-MAC under a different SW is also rejected.
  const ch = openVector(SL11);
  ch.externalAuthenticate();
  ch.wrap(parseCommand(hex(SL11.firstPlain)));
  t.throws(() => ch.unwrap({ data: hex(SL11.responseBody + SL11.responseRmac), sw: 0x6310 }), { code: 'RMAC_INVALID' });
  t.end();
});

void t.test('R-MAC levels: missing R-MAC, error SWs, tampered R-ENC', (t) => {
  const a = openVector(SL11);
  a.externalAuthenticate();
  a.wrap(parseCommand(hex(SL11.firstPlain)));
  t.throws(() => a.unwrap({ data: hex('0102'), sw: 0x9000 }), { code: 'RMAC_INVALID' }, 'too short for an R-MAC');

  const b = openVector(SL11);
  b.externalAuthenticate();
  b.wrap(parseCommand(hex(SL11.firstPlain)));
  const err = { data: new Uint8Array(0), sw: 0x6a88 };
  t.equal(b.unwrap(err), err, 'error status carries no R-MAC');
  t.equal(b.isOpen, true);

  // A truncated R-ENC body breaks the R-MAC before decryption is attempted.
  const c = openVector(SL33);
  c.externalAuthenticate();
  c.wrap(parseCommand(hex(SL33.firstPlain)));
  t.throws(() => c.unwrap({ data: hex(SL33.responseBody.slice(2) + SL33.responseRmac), sw: 0x9000 }), { code: 'RMAC_INVALID' });
  t.end();
});

void t.test('R-ENC: valid R-MAC over ciphertext without 80 padding is RENC_INVALID', (t) => {
  const keys = deriveSessionKeys(staticKeys(), hex(SL33.hostChallenge), hex(SL33.cardChallenge));
  const ea = hex(SL33.externalAuthenticate);
  const eaMac = aesCmac(keys.sMac, concat(new Uint8Array(16), ea.subarray(0, 5), ea.subarray(5, 13)));
  const wrapped = hex(SL33.firstWrapped);
  const chain = aesCmac(keys.sMac, concat(eaMac, wrapped.subarray(0, 5), wrapped.subarray(5, wrapped.length - 9)));
  t.equal(toHex(chain.subarray(0, 8)), toHex(wrapped.subarray(wrapped.length - 9, wrapped.length - 1)), 'chain rebuilt');
  const junk = new Uint8Array(16).fill(0x5a);
  const rmac = aesCmac(keys.sRmac, concat(chain, junk, hex('9000'))).subarray(0, 8);
  const ch = openVector(SL33);
  ch.externalAuthenticate();
  ch.wrap(parseCommand(hex(SL33.firstPlain)));
  t.throws(() => ch.unwrap({ data: concat(junk, rmac), sw: 0x9000 }), { code: 'RENC_INVALID' });
  t.equal(ch.isOpen, false);
  t.end();
});

void t.test('security level checks at open', (t) => {
  for (const bad of [0x02, 0x10, 0x21, 0x31, 0x23, 0xff]) {
    t.throws(() => openVector(SL03, { securityLevel: bad }), { code: 'SECURITY_LEVEL' }, `level ${bad.toString(16)}`);
  }
  // i=00 (no R-MAC support, random challenge): levels 11, 13, 33 refused.
  const noRmac = hex(SL03.response).slice(0, 29);
  noRmac[12] = 0x00;
  for (const level of [0x11, 0x13, 0x33]) {
    t.throws(() => openVector(SL03, { initUpdateResponse: noRmac, securityLevel: level }), { code: 'SECURITY_LEVEL' });
  }
  // i=20 (R-MAC but no R-ENC): 33 refused, 13 accepted (i is not part of the cryptogram).
  const rmacOnly = noRmac.slice();
  rmacOnly[12] = 0x20;
  t.throws(() => openVector(SL03, { initUpdateResponse: rmacOnly, securityLevel: 0x33 }), { code: 'SECURITY_LEVEL' });
  t.equal(openVector(SL03, { initUpdateResponse: rmacOnly, securityLevel: 0x13, aid: undefined }).securityLevel, 0x13);
  t.end();
});

void t.test('key version: a different KVN from the card is refused, KVN 00 accepts any', (t) => {
  t.throws(() => openVector(SL03, { keys: { ...staticKeys(), kvn: 0x31 } }), { code: 'KEY_INVALID' });
  t.doesNotThrow(() => openVector(SL03, { keys: { ...staticKeys(), kvn: 0x00 } }));
  t.throws(() => openVector(SL03, { keys: { ...staticKeys(), enc: new Uint8Array(8) } }), { code: 'KEY_INVALID' });
  t.end();
});

void t.test('state: wrap before EXTERNAL AUTHENTICATE, EXTERNAL AUTHENTICATE twice', (t) => {
  const ch = openVector(SL03);
  t.throws(() => ch.wrap(parseCommand(hex('80F22002'))), { code: 'CHANNEL_CLOSED' });
  ch.externalAuthenticate();
  t.throws(() => ch.externalAuthenticate(), { code: 'CHANNEL_CLOSED' });
  t.end();
});

void t.test('level 00: EXTERNAL AUTHENTICATE is MACed, later commands go in plain', (t) => {
  const ch = openVector(SL03, { securityLevel: 0x00 });
  const ea = ch.externalAuthenticate();
  t.equal(ea.cla, 0x84);
  t.equal(ea.p1, 0x00);
  t.equal(ea.data.length, 16);
  const cmd = parseCommand(hex('80CA006600'));
  t.equal(ch.wrap(cmd), cmd);
  t.end();
});

void t.test('logical channel in CLA: on the wire, not in the MAC', (t) => {
  const a = openVector(SL03);
  a.externalAuthenticate();
  const b = openVector(SL03);
  b.externalAuthenticate();
  const onChannel1 = a.wrap(parseCommand(hex('81CA006600')));
  const onChannel0 = b.wrap(parseCommand(hex('80CA006600')));
  t.equal(onChannel1.cla, 0x85);
  t.equal(toHex(onChannel1.data), toHex(onChannel0.data), 'same C-MAC');
  const c = openVector(SL03);
  c.externalAuthenticate();
  t.throws(() => c.wrap(parseCommand(hex('C0CA006600'))), { code: 'ARGUMENT_INVALID' });
  t.end();
});
