/** The extended-length rule's input: card capabilities in the ATR's historical bytes (ISO 7816-4 §8.1.1.2.7). */
import t from 'tap';
import { hex } from '../../../card/bytes.js';
import { extendedLengthIn, parseAtr, plausibleAtr } from '../../../hardware/pcsc/atr.js';
import { refusal } from '../../../hardware/pcsc/apdu-exchange.js';
import { DEFAULT_ATR } from '../../../hardware/sim/card/atr.js';
import { t0Atr } from '../../../hardware/sim/vpcd/t0-card.js';

void t.test('our simulated card: T=1, short APDUs only', (t) => {
  const info = parseAtr(DEFAULT_ATR)!;
  t.same(info.protocols, [1, 1]);
  t.equal(info.extendedLength, false, 'card capabilities byte 3 is 00');
  t.end();
});

void t.test('the T=0 variant: T=0 only', (t) => {
  const info = parseAtr(t0Atr(parseAtr(DEFAULT_ATR)!.historical))!;
  t.same(info.protocols, [0]);
  t.equal(info.extendedLength, false);
  t.end();
});

void t.test('card capabilities with b7 of the third table set: extended', (t) => {
  t.equal(extendedLengthIn(hex('8073C021C0')), true, 'category 80, tag 7 length 3, third byte C0 (chaining + extended)');
  t.equal(extendedLengthIn(hex('8073C02180')), false, 'chaining only');
  t.equal(extendedLengthIn(hex('0031C073C02140009000')), true, 'category 00: objects then a 3-byte status indicator');
  t.equal(extendedLengthIn(hex('807240')), false, 'a table of 2 bytes has no third byte');
  t.equal(extendedLengthIn(hex('1001')), false, 'category 10 (DIR reference) carries no capabilities');
  t.equal(extendedLengthIn(hex('8075')), false, 'truncated object');
  t.equal(extendedLengthIn(new Uint8Array(0)), false);
  t.end();
});

void t.test('implausible ATRs', (t) => {
  t.equal(plausibleAtr(hex('3B')), false, 'too short');
  t.equal(plausibleAtr(new Uint8Array(34).fill(0x3b)), false, 'longer than 33');
  t.equal(plausibleAtr(hex('3C00')), false, 'bad TS');
  t.equal(parseAtr(hex('3B80')), undefined, 'TD1 announced but missing');
  t.equal(parseAtr(hex('3B0F01')), undefined, '15 historical bytes announced, 1 there');
  t.end();
});

void t.test('the extended APDU rule: T=1 and the card says so, else UNSUPPORTED', (t) => {
  const ext = hex('80CA9F7F000000');
  const short = hex('80CA9F7F00');
  t.equal(refusal(ext, { protocol: 1, cardExtendedLength: true }), undefined);
  t.match(refusal(ext, { protocol: 1, cardExtendedLength: false }), { code: 'UNSUPPORTED' });
  t.match(refusal(ext, { protocol: 0, cardExtendedLength: true }), { code: 'UNSUPPORTED' }, 'never under T=0');
  t.equal(refusal(short, { protocol: 0, cardExtendedLength: false }), undefined);
  t.end();
});
