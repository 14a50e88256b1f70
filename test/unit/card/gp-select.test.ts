import t from 'tap';
import { encodeCommand } from '../../../card/apdu.js';
import { hex, toHex } from '../../../card/bytes.js';
import { encodeSdFci, parseFci, selectByAid, selectIsd } from '../../../card/gp/select.js';

const ISD = 'A000000151000000';
/** SELECT response of a Fidesmo card's ISD (fidesmo/fdsm FidesmoCardTest). */
const FIDESMO_FCI = '6F108408A000000151000000A5049F6501FF';

void t.test('SELECT by AID: 00 A4 04 00 Lc AID 00', (t) => {
  t.equal(toHex(encodeCommand(selectByAid(hex(ISD)))), `00A4040008${ISD}00`);
  t.equal(toHex(encodeCommand(selectByAid(hex(ISD), { next: true }))), `00A4040208${ISD}00`);
  t.equal(toHex(encodeCommand(selectIsd())), '00A4040000');
  t.throws(() => selectByAid(hex('A0000001')), { code: 'ARGUMENT_INVALID' });
  t.throws(() => selectByAid(new Uint8Array(17)), { code: 'ARGUMENT_INVALID' });
  t.end();
});

void t.test('parseFci reads a real ISD FCI', (t) => {
  const fci = parseFci(hex(FIDESMO_FCI));
  t.equal(toHex(fci.aid!), ISD);
  t.equal(fci.maxCommandDataLength, 255);
  t.equal(fci.proprietary?.length, 1);
  t.equal(fci.proprietary?.[0]?.tag, 0x9f65);
  t.equal(fci.sdManagementData, undefined);
  t.same(fci.other, []);
  t.end();
});

void t.test('encodeSdFci writes table 11-82 byte for byte', (t) => {
  t.equal(toHex(encodeSdFci({ aid: hex(ISD) })), FIDESMO_FCI);
  const full = encodeSdFci({ aid: hex(ISD), maxCommandDataLength: 0x0100, sdManagementData: hex('0607 2A864886FC6B01'), lifeCycleData: hex('01') });
  const back = parseFci(full);
  t.equal(back.maxCommandDataLength, 256);
  t.equal(toHex(back.sdManagementData!), '06072A864886FC6B01');
  t.equal(toHex(back.lifeCycleData!), '01');
  t.throws(() => encodeSdFci({ aid: hex(ISD), maxCommandDataLength: 0 }), { code: 'ARGUMENT_INVALID' });
  t.end();
});

void t.test('parseFci keeps unknown objects and tolerates a missing A5', (t) => {
  const fci = parseFci(hex('6F0D8408A0000001510000005001AA'));
  t.equal(toHex(fci.aid!), ISD);
  t.equal(fci.proprietary, undefined);
  t.equal(fci.other.length, 1);
  t.equal(fci.other[0]?.tag, 0x50);
  t.end();
});

void t.test('parseFci refuses what is not one valid 6F template', (t) => {
  for (const bad of ['', '6A82', '6F', '6F108408A000000151', '7003840100', `${FIDESMO_FCI}9000`, '6F03A50100', '6F04A5029F65', '6F05A5039F6500']) {
    t.throws(() => parseFci(hex(bad)), { code: 'RESPONSE_MALFORMED' }, bad);
  }
  t.end();
});
