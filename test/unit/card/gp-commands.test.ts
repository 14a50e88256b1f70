import t from 'tap';
import { encodeCommand } from '../../../card/apdu.js';
import { hex, toHex } from '../../../card/bytes.js';
import { initializeUpdate } from '../../../card/gp/initialize-update.js';
import { checkInstallForPersonalizationParams, installForPersonalization, parseInstallForPersonalization } from '../../../card/gp/install.js';
import {
  APP_LIFE_CYCLE,
  CARD_LIFE_CYCLE,
  cardLifeCycleName,
  lockApplication,
  lockSecurityDomainAndApplications,
  parseSetStatusCommand,
  setApplicationLifeCycle,
  setCardLifeCycle,
} from '../../../card/gp/set-status.js';

const APP = 'A0000000041010';

void t.test('INITIALIZE UPDATE: the public SCP03 vectors', (t) => {
  t.equal(toHex(encodeCommand(initializeUpdate(0x30, hex('8E1552D0513C60F3')))), '80503000088E1552D0513C60F300');
  t.equal(toHex(encodeCommand(initializeUpdate(0x30, hex('B13E5F938FC108C4')))), '8050300008B13E5F938FC108C400');
  t.equal(toHex(encodeCommand(initializeUpdate(0x00, hex('FDF38259A1E0DE44')))), '8050000008FDF38259A1E0DE4400');
  t.equal(toHex(encodeCommand(initializeUpdate(0xff, hex('0000000000000000')))).slice(0, 8), '8050FF00');
  t.throws(() => initializeUpdate(0x30, new Uint8Array(7)), { code: 'ARGUMENT_INVALID' });
  t.throws(() => initializeUpdate(0x80, new Uint8Array(8)), { code: 'ARGUMENT_INVALID' });
  t.throws(() => initializeUpdate(-1, new Uint8Array(8)), { code: 'ARGUMENT_INVALID' });
  t.end();
});

void t.test('INSTALL [for personalization]: 80 E6 20 00 Lc 00 00 L AID 00 00 00 00', (t) => {
  t.equal(toHex(encodeCommand(installForPersonalization(hex(APP)))), `80E620000D000007${APP}00000000`);
  t.throws(() => installForPersonalization(hex('A0000000')), { code: 'ARGUMENT_INVALID' });
  t.end();
});

void t.test('card side: parseInstallForPersonalization is strict', (t) => {
  t.equal(toHex(parseInstallForPersonalization(hex(`000007${APP}000000`))), APP);
  t.equal(toHex(parseInstallForPersonalization(installForPersonalization(hex(APP)).data)), APP);
  const bad = [
    '',
    '0000',
    `010007${APP}000000`, // first length not 00
    `000107${APP}000000`, // second length not 00
    `000004A0000000000000`, // AID of 4 bytes
    `000011${'00'.repeat(17)}000000`, // AID of 17 bytes
    `000007${APP}0000`, // trailing lengths missing
    `000007${APP}00000000`, // one byte too many
    `000007${APP}000100`, // non-zero trailing length
    `000008${APP}000000`, // AID length beyond data
  ];
  for (const b of bad) t.throws(() => parseInstallForPersonalization(hex(b)), { code: 'COMMAND_DATA_INVALID' }, b);
  t.doesNotThrow(() => checkInstallForPersonalizationParams(0x20, 0x00));
  t.throws(() => checkInstallForPersonalizationParams(0xa0, 0x00), { code: 'P1P2_INVALID' });
  t.throws(() => checkInstallForPersonalizationParams(0x0c, 0x00), { code: 'P1P2_INVALID' });
  t.end();
});

void t.test('SET STATUS builders', (t) => {
  t.equal(toHex(encodeCommand(setCardLifeCycle(CARD_LIFE_CYCLE.SECURED))), '80F0800F');
  t.equal(toHex(encodeCommand(setCardLifeCycle(CARD_LIFE_CYCLE.CARD_LOCKED))), '80F0807F');
  t.equal(toHex(encodeCommand(setApplicationLifeCycle(hex(APP), APP_LIFE_CYCLE.SELECTABLE))), `80F0400707${APP}`);
  t.equal(toHex(encodeCommand(lockApplication(hex(APP), true))), `80F0408007${APP}`);
  t.equal(toHex(encodeCommand(lockApplication(hex(APP), false))), `80F0400007${APP}`);
  t.equal(toHex(encodeCommand(lockSecurityDomainAndApplications(hex('A000000151000000'), true))), '80F0608008A000000151000000');
  t.throws(() => setCardLifeCycle(0x03 as never), { code: 'ARGUMENT_INVALID' });
  t.throws(() => setApplicationLifeCycle(hex('A0'), 0x07), { code: 'ARGUMENT_INVALID' });
  t.end();
});

void t.test('life cycle codings (GPC v2.3.1 tables 11-4 to 11-6)', (t) => {
  t.same(CARD_LIFE_CYCLE, { OP_READY: 0x01, INITIALIZED: 0x07, SECURED: 0x0f, CARD_LOCKED: 0x7f, TERMINATED: 0xff });
  t.same(APP_LIFE_CYCLE, { INSTALLED: 0x03, SELECTABLE: 0x07, PERSONALIZED: 0x0f, LOCKED: 0x83 });
  t.equal(cardLifeCycleName(0x0f), 'SECURED');
  t.equal(cardLifeCycleName(0x03), undefined);
  t.end();
});

void t.test('card side: parseSetStatusCommand', (t) => {
  t.same(parseSetStatusCommand(0x80, 0x7f, new Uint8Array(0)), { target: 'isd', state: 0x7f });
  t.same(parseSetStatusCommand(0x80, 0x0f, hex('0102')), { target: 'isd', state: 0x0f }, 'data ignored for the ISD');
  t.same(parseSetStatusCommand(0x40, 0x80, hex(APP)), { target: 'application', state: 0x80, aid: hex(APP) });
  t.same(parseSetStatusCommand(0x60, 0x00, hex(APP)), { target: 'sd-and-applications', state: 0x00, aid: hex(APP) });
  t.same(parseSetStatusCommand(0x41, 0x07, hex(APP)).target, 'application', 'RFU bits ignored');
  for (const p1 of [0x00, 0x20, 0xa0, 0xc0, 0xe0]) t.throws(() => parseSetStatusCommand(p1, 0x07, hex(APP)), { code: 'P1P2_INVALID' }, p1.toString(16));
  t.throws(() => parseSetStatusCommand(0x40, 0x07, new Uint8Array(0)), { code: 'COMMAND_DATA_INVALID' });
  t.throws(() => parseSetStatusCommand(0x40, 0x07, hex('A00000')), { code: 'COMMAND_DATA_INVALID' });
  t.end();
});
