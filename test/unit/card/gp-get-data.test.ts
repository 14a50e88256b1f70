import t from 'tap';
import { encodeCommand } from '../../../card/apdu.js';
import { hex, toHex } from '../../../card/bytes.js';
import { decodeCplcDate, encodeCplc, encodeCplcDate, parseCplc } from '../../../card/gp/cplc.js';
import { decodeOid, encodeCardData, encodeOid, parseCardData } from '../../../card/gp/card-data.js';
import { DATA_TAG, getData, unwrapGetData } from '../../../card/gp/get-data.js';

void t.test('GET DATA: 80 CA P1 P2 00', (t) => {
  t.equal(toHex(encodeCommand(getData(DATA_TAG.CARD_DATA))), '80CA006600');
  t.equal(toHex(encodeCommand(getData(DATA_TAG.CPLC))), '80CA9F7F00');
  t.equal(toHex(encodeCommand(getData(DATA_TAG.KEY_INFORMATION))), '80CA00E000');
  t.equal(toHex(encodeCommand(getData(DATA_TAG.IIN))), '80CA004200');
  t.equal(toHex(encodeCommand(getData(DATA_TAG.CIN))), '80CA004500');
  t.throws(() => getData(0), { code: 'ARGUMENT_INVALID' });
  t.throws(() => getData(0x10000), { code: 'ARGUMENT_INVALID' });
  t.end();
});

void t.test('unwrapGetData returns the value of exactly the tag asked for', (t) => {
  // IIN response of a Fidesmo card (fidesmo/fdsm FidesmoCardTest).
  t.equal(toHex(unwrapGetData(0x42, hex('42030000C7'))), '0000C7');
  t.throws(() => unwrapGetData(0x45, hex('42030000C7')), { code: 'RESPONSE_MALFORMED' });
  t.throws(() => unwrapGetData(0x42, hex('42030000C7430602')), { code: 'RESPONSE_MALFORMED' });
  t.throws(() => unwrapGetData(0x42, hex('420500')), { code: 'RESPONSE_MALFORMED' });
  t.end();
});

/** CPLC of a Fidesmo card (fidesmo/fdsm FidesmoCardTest), as returned with its 9F7F header. */
const CPLC_VALUE = '47906B644700E4D80300816500485399064800000000000000005758594E4E4E4E4E0000000000000000';

void t.test('parseCplc names the 18 fields of a real CPLC', (t) => {
  const c = parseCplc(hex(`9F7F2A${CPLC_VALUE}`));
  t.equal(toHex(c.icFabricator), '4790');
  t.equal(toHex(c.icType), '6B64');
  t.equal(toHex(c.osId), '4700');
  t.equal(toHex(c.osReleaseDate), 'E4D8');
  t.equal(toHex(c.osReleaseLevel), '0300');
  t.equal(toHex(c.icFabricationDate), '8165');
  t.equal(toHex(c.icSerialNumber), '00485399');
  t.equal(toHex(c.icBatchIdentifier), '0648');
  t.equal(toHex(c.icModuleFabricator), '0000');
  t.equal(toHex(c.icPrePersonalizer), '5758');
  t.equal(toHex(c.icPrePersonalizationDate), '594E');
  t.equal(toHex(c.icPrePersonalizationEquipmentId), '4E4E4E4E');
  t.equal(toHex(c.icPersonalizationEquipmentId), '00000000');
  // Without the header (ISO class byte) the same fields come out.
  t.same(parseCplc(hex(CPLC_VALUE)), c);
  t.end();
});

void t.test('encodeCplc is the inverse of parseCplc, zero-filling missing fields', (t) => {
  t.equal(toHex(encodeCplc(parseCplc(hex(CPLC_VALUE)))), `9F7F2A${CPLC_VALUE}`);
  const sparse = encodeCplc({ icSerialNumber: hex('01020304') });
  t.equal(sparse.length, 45);
  t.equal(toHex(parseCplc(sparse).icSerialNumber), '01020304');
  t.equal(toHex(parseCplc(sparse).icFabricator), '0000');
  t.throws(() => encodeCplc({ icSerialNumber: hex('0102') }), { code: 'ARGUMENT_INVALID' });
  t.end();
});

void t.test('parseCplc refuses short data and a wrong length byte', (t) => {
  // GlobalPlatformPro TestParseTags.testCPLCTagless: not a CPLC.
  t.throws(() => parseCplc(hex('FF401AE218E116C1144434050D9648B771CB3500D5398D36CE3F1C23A4')), { code: 'RESPONSE_MALFORMED' });
  t.throws(() => parseCplc(hex(`9F7F29${CPLC_VALUE.slice(2)}`)), { code: 'RESPONSE_MALFORMED' });
  t.throws(() => parseCplc(hex(CPLC_VALUE.slice(2))), { code: 'RESPONSE_MALFORMED' });
  t.end();
});

void t.test('CPLC dates: YDDD', (t) => {
  t.same(decodeCplcDate(hex('8165')), { yearDigit: 8, dayOfYear: 165 });
  t.same(decodeCplcDate(hex('1210')), { yearDigit: 1, dayOfYear: 210 });
  t.equal(decodeCplcDate(hex('0000')), undefined);
  t.equal(decodeCplcDate(hex('FFFF')), undefined);
  t.equal(decodeCplcDate(hex('E4D8')), undefined);
  t.equal(decodeCplcDate(hex('1410')), undefined, 'day 410');
  t.equal(toHex(encodeCplcDate(2025, 45)), '5045');
  t.equal(toHex(encodeCplcDate(2021, 210)), '1210');
  t.throws(() => encodeCplcDate(2025, 367), { code: 'ARGUMENT_INVALID' });
  t.end();
});

/** Card data from pySim's comment on GET DATA 80CA006600 (GP 2.1.1 card, SCP02 i=15). */
const PYSIM_CARD_DATA = '6631732F06072A864886FC6B01600C060A2A864886FC6B02020101630906072A864886FC6B03640B06092A864886FC6B040215';
/** GlobalPlatformPro TestParseTags.testOther: format 1 with 65 and 66, and a card listing SCP03 and SCP80. */
const GPPRO_CARD_DATA_1 =
  '664C734A06072A864886FC6B01600C060A2A864886FC6B02020101630906072A864886FC6B03640B06092A864886FC6B040215650B06092B8510864864020103660C060A2B060104012A026E0102';
const GPPRO_CARD_DATA_2 =
  '6657735506072A864886FC6B01600B06092A864886FC6B020202630906072A864886FC6B03640B06092A864886FC6B040370640B06092A864886FC6B048000650A06082A864886FC6B0504660C060A2B060104012A026E0103';

void t.test('parseCardData reads real card recognition data', (t) => {
  const a = parseCardData(hex(PYSIM_CARD_DATA));
  t.equal(a.recognitionOid, '1.2.840.114283.1');
  t.equal(a.cardManagementOid, '1.2.840.114283.2.2.1.1');
  t.equal(a.gpVersion, '2.1.1');
  t.equal(a.identificationSchemeOid, '1.2.840.114283.3');
  t.same(a.secureChannels, [{ scp: 0x02, i: 0x15 }]);

  const b = parseCardData(hex(GPPRO_CARD_DATA_1));
  t.same(b.secureChannels, [{ scp: 0x02, i: 0x15 }]);
  t.equal(toHex(b.configurationDetails!), '06092B8510864864020103');
  t.equal(toHex(b.chipDetails!), '060A2B060104012A026E0102');

  const c = parseCardData(hex(GPPRO_CARD_DATA_2));
  t.equal(c.gpVersion, '2.2');
  t.same(c.secureChannels, [{ scp: 0x03, i: 0x70 }, { scp: 0x80, i: 0x00 }]);
  t.end();
});

void t.test('parseCardData: format 2 (several OIDs in one 64) and a bare 73 template', (t) => {
  const f2 = parseCardData(hex('7321 06072A864886FC6B01 6416 06092A864886FC6B040370 06092A864886FC6B040260'));
  t.same(f2.secureChannels, [{ scp: 3, i: 0x70 }, { scp: 2, i: 0x60 }]);
  t.equal(f2.recognitionOid, '1.2.840.114283.1');
  t.end();
});

void t.test('encodeCardData writes format 1 that parses back', (t) => {
  // Same layout as pySim's sample, with SCP03 i=70 in place of SCP02 i=15.
  const want = PYSIM_CARD_DATA.replace(/040215$/, '040370');
  t.equal(toHex(encodeCardData({ gpVersion: '2.1.1', secureChannels: [{ scp: 3, i: 0x70 }] })), want);
  const two = parseCardData(encodeCardData({ secureChannels: [{ scp: 3, i: 0x70 }, { scp: 0x80, i: 0 }], identificationScheme: false }));
  t.equal(two.gpVersion, '2.3.1');
  t.equal(two.identificationSchemeOid, undefined);
  t.same(two.secureChannels, [{ scp: 3, i: 0x70 }, { scp: 0x80, i: 0 }]);
  t.throws(() => encodeCardData({ secureChannels: [{ scp: 256, i: 0 }] }), { code: 'ARGUMENT_INVALID' });
  t.end();
});

void t.test('OIDs encode and decode (ISO 8825-1 §8.19)', (t) => {
  t.equal(toHex(encodeOid('1.2.840.114283.1')), '2A864886FC6B01');
  t.equal(decodeOid(hex('2A864886FC6B02020101')), '1.2.840.114283.2.2.1.1');
  t.equal(decodeOid(hex('2B060104012A026E0102')), '1.3.6.1.4.1.42.2.110.1.2');
  t.equal(decodeOid(encodeOid('2.999.3')), '2.999.3');
  for (const bad of ['', '2A86', '2A8001']) t.throws(() => decodeOid(hex(bad)), { code: 'RESPONSE_MALFORMED' }, bad);
  for (const bad of ['1', '3.1', '1.40', 'a.b']) t.throws(() => encodeOid(bad), { code: 'ARGUMENT_INVALID' }, bad);
  t.end();
});

void t.test('parseCardData refuses malformed input', (t) => {
  for (const bad of ['', '6600', '6603060100', '6605730306', '66037301']) {
    t.throws(() => parseCardData(hex(bad)), { code: 'RESPONSE_MALFORMED' }, bad);
  }
  t.end();
});
