import t from 'tap';
import { command, encodeCommand, parseCommand, type CommandApdu } from '../../../card/apdu.js';
import { concat, hex, toHex } from '../../../card/bytes.js';
import { aesCmac } from '../../../card/crypto.js';
import {
  CardSecureChannel,
  deriveSessionKeys,
  HostSecureChannel,
  type CardInitOptions,
} from '../../../card/scp03/index.js';
import { AID, SL03, SL11, SL33, staticKeys, VECTORS, type SessionVector } from './fixtures/scp03-vectors.js';

const KDD0 = new Uint8Array(10);
const denied = { code: 'STATUS_WORD', sw: 0x6982 };

/** Deterministic stand-in for the card's random source. */
function counterRandom(seed: number): (n: number) => Uint8Array {
  let x = seed;
  return (n) => Uint8Array.from({ length: n }, () => (x = (x * 37 + 11) & 0xff));
}

function cardFor(v: SessionVector, extra: Partial<CardInitOptions> = {}): { channel: CardSecureChannel; response: Uint8Array } {
  return CardSecureChannel.initializeUpdate({
    keys: staticKeys(),
    hostChallenge: hex(v.hostChallenge),
    kdd: KDD0,
    i: 0x70,
    sequenceCounter: v.sequenceCounter,
    aid: hex(AID),
    random: counterRandom(1),
    ...extra,
  });
}

function plainHex(c: CommandApdu): string {
  return toHex(encodeCommand(c));
}

void t.test('card reproduces the INITIALIZE UPDATE response of every vector', (t) => {
  for (const v of VECTORS) t.equal(toHex(cardFor(v).response), v.response, `SL ${v.level}`);
  t.end();
});

void t.test('SL03: card accepts the vector EXTERNAL AUTHENTICATE and unwraps every vector command', (t) => {
  const { channel } = cardFor(SL03);
  t.equal(channel.authenticated, false);
  channel.externalAuthenticate(parseCommand(hex(SL03.externalAuthenticate)));
  t.equal(channel.authenticated, true);
  t.equal(channel.securityLevel, 0x03);
  for (const [plain, wrapped] of SL03.commands) t.equal(plainHex(channel.unwrapCommand(parseCommand(hex(wrapped)))), plain);
  const resp = { data: hex('9F7001'), sw: 0x9000 };
  t.equal(channel.wrapResponse(resp), resp, 'no R-MAC at SL03');
  t.end();
});

void t.test('SL11 and SL33: card unwraps the first command and produces the vector response', (t) => {
  for (const v of [SL11, SL33]) {
    const { channel } = cardFor(v);
    channel.externalAuthenticate(parseCommand(hex(v.externalAuthenticate)));
    t.equal(plainHex(channel.unwrapCommand(parseCommand(hex(v.firstWrapped)))), v.firstPlain);
    const out = channel.wrapResponse({ data: hex(v.responsePlain), sw: 0x9000 });
    t.equal(toHex(out.data), v.responseBody + v.responseRmac, `SL ${v.level}`);
    t.equal(out.sw, 0x9000);
    const err = { data: new Uint8Array(0), sw: 0x6a80 };
    t.equal(channel.wrapResponse(err), err, 'error SW goes out unprotected');
  }
  t.end();
});

void t.test('i=60: the card challenge comes from the injected random source, no counter', (t) => {
  const { response } = cardFor(SL03, { i: 0x60, random: () => hex('0102030405060708') });
  t.equal(response.length, 29);
  t.equal(toHex(response.subarray(10, 21)), '300360' + '0102030405060708');
  t.end();
});

const COMMANDS: readonly CommandApdu[] = [
  parseCommand(hex('80E2910006BF3E035C015A00')), // case 4
  parseCommand(hex('80F22002')), // case 1
  parseCommand(hex('80CA006600')), // case 2
  command(0x80, 0xe2, 0x00, 0x01, new Uint8Array(16).fill(0xa5)), // block-aligned: a whole padding block
  command(0x80, 0xe2, 0x80, 0x02, Uint8Array.from({ length: 300 }, (_, k) => k & 0xff)), // extended length
  parseCommand(hex('81F220020A4F0212345C054F9F70C5')), // logical channel 1
];

const RESPONSES = [hex('BF3E125A1089882119900000000000000000000005'), new Uint8Array(0), new Uint8Array(16).fill(7), hex('6F00')];

for (const i of [0x60, 0x70]) {
  for (const level of [0x01, 0x03, 0x11, 0x13, 0x33]) {
    for (const counterOnlyWithData of [false, true]) {
      const name = `round trip: i=${i.toString(16)} level ${level.toString(16).padStart(2, '0')}${counterOnlyWithData ? ' (counter only with data)' : ''}`;
      void t.test(name, (t) => {
        const hostChallenge = counterRandom(level + i)(8);
        const aid = hex(AID);
        const { channel: card, response } = CardSecureChannel.initializeUpdate({
          keys: staticKeys(), hostChallenge, kdd: hex('00010203040506070809'), i, sequenceCounter: 0x0a0b0c, aid,
          random: counterRandom(i), counterOnlyWithData,
        });
        const host = HostSecureChannel.open({
          keys: staticKeys(), hostChallenge, initUpdateResponse: response, securityLevel: level, aid, counterOnlyWithData,
        });
        t.equal(toHex(host.kdd), '00010203040506070809');
        // Through the byte encoding both ways, as over a reader.
        card.externalAuthenticate(parseCommand(encodeCommand(host.externalAuthenticate())));
        t.equal(card.securityLevel, level);
        COMMANDS.forEach((cmd, k) => {
          const wire = encodeCommand(host.wrap(cmd));
          const seen = card.unwrapCommand(parseCommand(wire));
          t.equal(plainHex(seen), plainHex(cmd), `command ${k}`);
          const data = RESPONSES[k % RESPONSES.length]!;
          const back = host.unwrap(card.wrapResponse({ data, sw: 0x9000 }));
          t.equal(toHex(back.data), toHex(data), `response ${k}`);
        });
        t.end();
      });
    }
  }
}

void t.test('round trip: warning and error statuses', (t) => {
  const hostChallenge = hex('1122334455667788');
  const { channel: card, response } = cardFor(SL33, { hostChallenge });
  const host = HostSecureChannel.open({ keys: staticKeys(), hostChallenge, initUpdateResponse: response, securityLevel: 0x33 });
  card.externalAuthenticate(host.externalAuthenticate());
  card.unwrapCommand(host.wrap(COMMANDS[0]!));
  t.same(host.unwrap(card.wrapResponse({ data: hex('0102'), sw: 0x6310 })), { data: hex('0102'), sw: 0x6310 }, '63xx is protected');
  card.unwrapCommand(host.wrap(COMMANDS[1]!));
  const err = card.wrapResponse({ data: new Uint8Array(0), sw: 0x6a82 });
  t.equal(err.data.length, 0, 'no R-MAC on an error SW');
  t.equal(host.unwrap(err).sw, 0x6a82);
  t.end();
});

function authenticated(v: SessionVector = SL03): CardSecureChannel {
  const { channel } = cardFor(v);
  channel.externalAuthenticate(parseCommand(hex(v.externalAuthenticate)));
  return channel;
}

void t.test('wrong C-MAC: 6982 and the session is closed', (t) => {
  const card = authenticated();
  const tampered = hex(SL03.commands[0]![1]);
  tampered[tampered.length - 2] = tampered[tampered.length - 2]! ^ 0x01;
  t.throws(() => card.unwrapCommand(parseCommand(tampered)), denied);
  t.equal(card.authenticated, false);
  t.equal(card.securityLevel, 0);
  // Even the genuine command is now refused.
  t.throws(() => card.unwrapCommand(parseCommand(hex(SL03.commands[0]![1]))), denied);
  const resp = { data: hex('01'), sw: 0x9000 };
  t.equal(card.wrapResponse(resp), resp, 'nothing to protect once closed');
  t.end();
});

void t.test('any change to the ciphertext breaks the C-MAC: 6982', (t) => {
  const card = authenticated();
  const tampered = hex(SL03.commands[0]![1]);
  tampered[6] = tampered[6]! ^ 0xff;
  t.throws(() => card.unwrapCommand(parseCommand(tampered)), denied);
  t.end();
});

void t.test('valid C-MAC over ciphertext that does not decrypt to padded data: 6982, session closed', (t) => {
  const card = authenticated();
  const keys = deriveSessionKeys(staticKeys(), hex(SL03.hostChallenge), hex(SL03.cardChallenge));
  const eaMac = aesCmac(keys.sMac, concat(new Uint8Array(16), hex('8482030010'), hex(SL03.hostCryptogram)));
  const body = new Uint8Array(16).fill(0x5a);
  const mac = aesCmac(keys.sMac, concat(eaMac, hex('84E2000018'), body)).subarray(0, 8);
  t.throws(() => card.unwrapCommand(command(0x84, 0xe2, 0x00, 0x00, concat(body, mac))), denied);
  t.equal(card.authenticated, false);
  t.end();
});

void t.test('replayed command: 6982', (t) => {
  const card = authenticated();
  const first = parseCommand(hex(SL03.commands[0]![1]));
  card.unwrapCommand(first);
  t.throws(() => card.unwrapCommand(first), denied);
  t.equal(card.authenticated, false);
  t.end();
});

void t.test('commands out of order are refused (the chain binds the sequence)', (t) => {
  const card = authenticated();
  t.throws(() => card.unwrapCommand(parseCommand(hex(SL03.commands[1]![1]))), denied);
  t.end();
});

void t.test('plain command inside a MACed session: 6982', (t) => {
  const card = authenticated();
  t.throws(() => card.unwrapCommand(parseCommand(hex('80F22002'))), denied);
  t.equal(card.authenticated, false);
  const short = authenticated();
  t.throws(() => short.unwrapCommand(parseCommand(hex('84F2200203010203'))), denied, 'shorter than a C-MAC');
  t.end();
});

void t.test('command before EXTERNAL AUTHENTICATE: 6982', (t) => {
  const { channel } = cardFor(SL03);
  t.throws(() => channel.unwrapCommand(parseCommand(hex(SL03.commands[0]![1]))), denied);
  t.end();
});

/** EXTERNAL AUTHENTICATE with a chosen cryptogram and a correct C-MAC over it. */
function externalAuthenticateWith(v: SessionVector, cryptogram: Uint8Array, level: number): CommandApdu {
  const keys = deriveSessionKeys(staticKeys(), hex(v.hostChallenge), hex(v.cardChallenge));
  const header = Uint8Array.of(0x84, 0x82, level, 0x00, 0x10);
  const mac = aesCmac(keys.sMac, concat(new Uint8Array(16), header, cryptogram)).subarray(0, 8);
  return command(0x84, 0x82, level, 0x00, concat(cryptogram, mac));
}

void t.test('EXTERNAL AUTHENTICATE: the helper rebuilds the vector exactly', (t) => {
  t.equal(plainHex(externalAuthenticateWith(SL03, hex(SL03.hostCryptogram), 0x03)), SL03.externalAuthenticate);
  t.end();
});

void t.test('EXTERNAL AUTHENTICATE: wrong host cryptogram (with a valid C-MAC) is 6300', (t) => {
  const { channel } = cardFor(SL03);
  const wrong = hex(SL03.hostCryptogram);
  wrong[0] = wrong[0]! ^ 0x01;
  t.throws(() => channel.externalAuthenticate(externalAuthenticateWith(SL03, wrong, 0x03)), { code: 'STATUS_WORD', sw: 0x6300 });
  t.equal(channel.authenticated, false);
  t.throws(() => channel.externalAuthenticate(parseCommand(hex(SL03.externalAuthenticate))), { code: 'STATUS_WORD', sw: 0x6985 }, 'session over');
  t.end();
});

void t.test('EXTERNAL AUTHENTICATE: a host with other keys gets 6300', (t) => {
  const { channel, response } = cardFor(SL03);
  // The host side would already refuse the card cryptogram; force the check on the card side.
  const other = { ...staticKeys(), mac: hex('00112233445566778899AABBCCDDEEFF') };
  t.throws(() => HostSecureChannel.open({ keys: other, hostChallenge: hex(SL03.hostChallenge), initUpdateResponse: response, securityLevel: 3 }), {
    code: 'CARD_CRYPTOGRAM',
  });
  const wrongKeys = deriveSessionKeys(other, hex(SL03.hostChallenge), hex(SL03.cardChallenge));
  const cryptogram = aesCmac(wrongKeys.sMac, hex('00')).subarray(0, 8);
  t.throws(() => channel.externalAuthenticate(command(0x84, 0x82, 0x03, 0x00, concat(cryptogram, new Uint8Array(8)))), {
    code: 'STATUS_WORD',
    sw: 0x6300,
  });
  t.end();
});

void t.test('EXTERNAL AUTHENTICATE: bad C-MAC is 6982', (t) => {
  const { channel } = cardFor(SL03);
  const ea = hex(SL03.externalAuthenticate);
  ea[ea.length - 1] = ea[ea.length - 1]! ^ 0x01;
  t.throws(() => channel.externalAuthenticate(parseCommand(ea)), denied);
  const { channel: plain } = cardFor(SL03);
  const noSm = hex(SL03.externalAuthenticate);
  noSm[0] = 0x80;
  t.throws(() => plain.externalAuthenticate(parseCommand(noSm)), denied, 'CLA without b3');
  t.end();
});

void t.test('EXTERNAL AUTHENTICATE: bad levels are 6A86, bad length 6700, a second one 6985', (t) => {
  for (const level of [0x02, 0x10, 0x31, 0x07]) {
    const { channel } = cardFor(SL03);
    t.throws(() => channel.externalAuthenticate(externalAuthenticateWith(SL03, hex(SL03.hostCryptogram), level)), {
      code: 'STATUS_WORD',
      sw: 0x6a86,
    });
  }
  // i=00: no R-MAC support, so level 11 is refused.
  const { channel: noRmac } = cardFor(SL03, { i: 0x00, random: () => hex(SL03.cardChallenge) });
  t.throws(() => noRmac.externalAuthenticate(externalAuthenticateWith(SL03, hex(SL03.hostCryptogram), 0x11)), {
    code: 'STATUS_WORD',
    sw: 0x6a86,
  });
  const { channel: ok } = cardFor(SL03, { i: 0x00, random: () => hex(SL03.cardChallenge) });
  t.doesNotThrow(() => ok.externalAuthenticate(externalAuthenticateWith(SL03, hex(SL03.hostCryptogram), 0x03)));
  const { channel: p2 } = cardFor(SL03);
  const badP2 = hex(SL03.externalAuthenticate);
  badP2[3] = 0x01;
  t.throws(() => p2.externalAuthenticate(parseCommand(badP2)), { code: 'STATUS_WORD', sw: 0x6a86 });
  const { channel: len } = cardFor(SL03);
  t.throws(() => len.externalAuthenticate(parseCommand(hex('8482030008FD4721A14D9B0700'))), { code: 'STATUS_WORD', sw: 0x6700 });
  const card = authenticated();
  t.throws(() => card.externalAuthenticate(parseCommand(hex(SL03.externalAuthenticate))), { code: 'STATUS_WORD', sw: 0x6985 });
  t.end();
});

void t.test('level 00: plain commands pass, secured ones are refused', (t) => {
  const { channel } = cardFor(SL03);
  channel.externalAuthenticate(externalAuthenticateWith(SL03, hex(SL03.hostCryptogram), 0x00));
  const plain = parseCommand(hex('80CA006600'));
  t.equal(channel.unwrapCommand(plain), plain);
  const resp = { data: hex('01'), sw: 0x9000 };
  t.equal(channel.wrapResponse(resp), resp);
  t.throws(() => channel.unwrapCommand(parseCommand(hex('84CA006600'))), denied);
  t.end();
});

void t.test('initializeUpdate argument checks', (t) => {
  t.throws(() => cardFor(SL03, { kdd: new Uint8Array(9) }), { code: 'LENGTH_MISMATCH' });
  t.throws(() => cardFor(SL03, { i: 0x71 }), { code: 'ARGUMENT_INVALID' });
  t.throws(() => cardFor(SL03, { hostChallenge: new Uint8Array(4) }), { code: 'LENGTH_MISMATCH' });
  t.throws(() => cardFor(SL03, { i: 0x60, random: () => new Uint8Array(4) }), { code: 'LENGTH_MISMATCH' });
  t.throws(() => cardFor(SL03, { sequenceCounter: 0x1000000 }), { code: 'ARGUMENT_INVALID' });
  t.end();
});

void t.test('close() is idempotent and ends the session', (t) => {
  const card = authenticated();
  card.close();
  card.close();
  t.equal(card.authenticated, false);
  t.throws(() => card.unwrapCommand(parseCommand(hex(SL03.commands[0]![1]))), denied);
  t.end();
});
