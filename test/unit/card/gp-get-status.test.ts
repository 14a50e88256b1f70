import t from 'tap';
import { encodeCommand } from '../../../card/apdu.js';
import { hex, toHex } from '../../../card/bytes.js';
import { PRIVILEGE } from '../../../card/gp/constants.js';
import { encodeGetStatusEntries, GET_STATUS_P1, getStatus, parseGetStatus, parseGetStatusCommand } from '../../../card/gp/get-status.js';

void t.test('GET STATUS builders: 80 F2 P1 02|03 Lc 4F.. 00', (t) => {
  // As in pySim's SCP03 vector (the last command of the SL03 session).
  t.equal(toHex(encodeCommand(getStatus(GET_STATUS_P1.ISD, false))), '80F28002024F0000');
  t.equal(toHex(encodeCommand(getStatus(GET_STATUS_P1.APPLICATIONS, true))), '80F24003024F0000');
  // pySim's vector `80F220020A4F0212345C054F9F70C5` has a tag list whose length byte (05) claims
  // one byte more than follows (pySim's own tag list ends in CC); ours codes 04, and sends Le.
  t.equal(toHex(encodeCommand(getStatus(GET_STATUS_P1.LOAD_FILES, false, hex('1234'), [0x4f, 0x9f70, 0xc5]))), '80F220020A4F0212345C044F9F70C500');
  t.equal(toHex(encodeCommand(getStatus(GET_STATUS_P1.LOAD_FILES_AND_MODULES, false, hex('A000000151')))), '80F21002074F05A00000015100');
  t.throws(() => getStatus(0x30 as never, false), { code: 'ARGUMENT_INVALID' });
  t.throws(() => getStatus(GET_STATUS_P1.ISD, false, new Uint8Array(17)), { code: 'ARGUMENT_INVALID' });
  t.end();
});

// GlobalPlatformPro TestParseTags: GET STATUS responses of real cards.
const GPPRO_ISD_FULL =
  'E3464F08A0000000030000009F700101C5039EFE80CF0140CF0141CF0142CF0143CF0180CF0181CF0182CF0183C40BD276000005AAFFCAFE0001CE020001CC08A000000003000000';
const GPPRO_ISD_SHORT = 'E3144F07A00000015100009F700107C50180EA028000';

void t.test('parseGetStatus reads E3 templates of real cards', (t) => {
  const [isd] = parseGetStatus(hex(GPPRO_ISD_FULL));
  t.equal(toHex(isd!.aid), 'A000000003000000');
  t.equal(isd!.lifeCycle, 0x01);
  t.equal(isd!.privileges, 0x9efe80);
  t.same(isd!.implicitSelection, [0x40, 0x41, 0x42, 0x43, 0x80, 0x81, 0x82, 0x83]);
  t.equal(toHex(isd!.loadFileAid!), 'D276000005AAFFCAFE0001');
  t.equal(toHex(isd!.loadFileVersion!), '0001');
  t.equal(toHex(isd!.securityDomainAid!), 'A000000003000000');
  t.equal(toHex(encodeGetStatusEntries([isd!])), GPPRO_ISD_FULL, 'encodes back byte for byte');

  const [short] = parseGetStatus(hex(GPPRO_ISD_SHORT));
  t.equal(toHex(short!.aid), 'A0000001510000');
  t.equal(short!.lifeCycle, 0x07);
  t.equal(short!.privileges, PRIVILEGE.SECURITY_DOMAIN, 'a 1-byte C5 fills privilege byte 1');
  t.same(parseGetStatus(new Uint8Array(0)), []);
  t.end();
});

void t.test('encodeGetStatusEntries: several entries, load file with modules', (t) => {
  const entries = [
    { aid: hex('A0000001510000'), lifeCycle: 0x0f, privileges: 0x9e0000 },
    { aid: hex('A000000151000001'), lifeCycle: 0x01, modules: [hex('A00000015100000101'), hex('A00000015100000102')] },
  ];
  const bytes = encodeGetStatusEntries(entries);
  t.equal(toHex(bytes.subarray(0, 20)), 'E3124F07A00000015100009F70010FC5039E0000');
  t.same(parseGetStatus(bytes), entries);
  t.end();
});

void t.test('parseGetStatus refuses what is not E3 with 4F and 9F70', (t) => {
  for (const bad of ['E1024F00', 'E3039F7001', 'E3064F01019F7000', 'E3084F01019F700101C502', 'E30C4F01019F700101C5020000', 'E3', 'E305']) {
    t.throws(() => parseGetStatus(hex(bad)), { code: 'RESPONSE_MALFORMED' }, bad);
  }
  t.end();
});

void t.test('card side: parseGetStatusCommand', (t) => {
  t.same(parseGetStatusCommand(0x80, 0x02, hex('4F00')), { subset: 0x80, next: false, aidFilter: new Uint8Array(0) });
  t.same(parseGetStatusCommand(0x20, 0x03, hex('4F0212345C044F9F70C5')), {
    subset: 0x20,
    next: true,
    aidFilter: hex('1234'),
    tagList: [0x4f, 0x9f70, 0xc5],
  });
  // Unknown extra search criteria are ignored (§11.4.2.3).
  t.same(parseGetStatusCommand(0x40, 0x02, hex('4F00C10101')).aidFilter, new Uint8Array(0));
  t.throws(() => parseGetStatusCommand(0x30, 0x02, hex('4F00')), { code: 'P1P2_INVALID' });
  t.throws(() => parseGetStatusCommand(0x80, 0x00, hex('4F00')), { code: 'P1P2_INVALID' }, 'deprecated format');
  t.equal(parseGetStatusCommand(0x80, 0x06, hex('4F00')).next, false, 'RFU bits of P2 ignored');
  // The last one is the data field of pySim's vector: 5C claims 5 bytes, 4 follow.
  for (const bad of ['', '5C00', '4F', '4F11' + '00'.repeat(17), '4F005C029F', '4F0212345C054F9F70C5']) {
    t.throws(() => parseGetStatusCommand(0x40, 0x02, hex(bad)), { code: 'COMMAND_DATA_INVALID' }, bad);
  }
  t.end();
});
