import t from 'tap';
import { hex, toHex } from '../../../card/bytes.js';
import { encodeKeyInformation, KEY_TYPE, parseKeyInformation, type KeyInfo } from '../../../card/gp/key-information.js';

// Fixtures from GlobalPlatformPro's TestGPKeyInfo (real cards' GET DATA E0 responses).
const GPPRO_RSA = 'E020C00401018820C00402018820C00403018820C0060170A180A003C00401718010';
const GPPRO_EXTENDED_RSA = 'E021C00401018010C00402018010C00403018010C00D0173FFA10080A0000301840100';
const GPPRO_EXTENDED_ZERO =
  'E081B0C00A0120FF80001001000100C00A0220FF80001001000100C00A0320FF80001001000100C00A0101FF80001001000100C00A0201FF80001001000100C00A0301FF80001001000100C00A0102FF88001001000100C00E0202FF880010FF10000101000100C00A0302FF88001001000100C00A0103FF88001001000100C00E0203FF880010FF10000101000100C00A0303FF88001001000100C00A1403FF85001001000100C00A1503FF88001001000100';

void t.test('basic format: AES-256 keys and an RSA public key of two components', (t) => {
  const keys = parseKeyInformation(hex(GPPRO_RSA));
  t.equal(keys.length, 5);
  t.same(keys[0], { id: 1, version: 1, components: [{ type: KEY_TYPE.AES, length: 32 }], format: 'basic' });
  t.same(keys[3], {
    id: 1,
    version: 0x70,
    components: [
      { type: KEY_TYPE.RSA_PUBLIC_N, length: 0x80 },
      { type: KEY_TYPE.RSA_PUBLIC_E, length: 3 },
    ],
    format: 'basic',
  });
  t.same(keys[4], { id: 1, version: 0x71, components: [{ type: KEY_TYPE.DES, length: 16 }], format: 'basic' });
  t.end();
});

void t.test('extended format, including a component without its FF prefix', (t) => {
  const keys = parseKeyInformation(hex(GPPRO_EXTENDED_RSA));
  t.equal(keys.length, 4);
  t.same(keys[3], {
    id: 1,
    version: 0x73,
    components: [
      { type: KEY_TYPE.RSA_PUBLIC_N, length: 0x80 },
      { type: KEY_TYPE.RSA_PUBLIC_E, length: 3 },
    ],
    format: 'extended',
    usage: 0x84,
    access: 0x00,
  });
  t.end();
});

void t.test('extended format with usage and access, 14 keys, round trip byte for byte', (t) => {
  const keys = parseKeyInformation(hex(GPPRO_EXTENDED_ZERO));
  t.equal(keys.length, 14);
  t.same(keys[0], { id: 1, version: 0x20, components: [{ type: 0x80, length: 16 }], format: 'extended', usage: 0, access: 0 });
  t.same(keys[7]!.components, [
    { type: KEY_TYPE.AES, length: 16 },
    { type: 0x10, length: 1 },
  ]);
  t.same(keys[12], { id: 0x14, version: 3, components: [{ type: KEY_TYPE.TLS_PSK, length: 16 }], format: 'extended', usage: 0, access: 0 });
  t.equal(toHex(encodeKeyInformation(keys)), GPPRO_EXTENDED_ZERO);
  t.end();
});

void t.test('a bare C0 list (pySim) and an empty C0 (fresh SSD)', (t) => {
  t.same(parseKeyInformation(hex('C00402038810')), [{ id: 2, version: 3, components: [{ type: 0x88, length: 16 }], format: 'basic' }]);
  t.same(parseKeyInformation(hex('E002C000')), []);
  t.same(parseKeyInformation(hex('E000')), []);
  t.end();
});

void t.test('encodeKeyInformation: an SCP03 key set, basic format', (t) => {
  const set: KeyInfo[] = [1, 2, 3].map((id) => ({ id, version: 0x30, components: [{ type: KEY_TYPE.AES, length: 16 }], format: 'basic' }));
  const bytes = encodeKeyInformation(set);
  t.equal(toHex(bytes), 'E012C00401308810C00402308810C00403308810');
  t.same(parseKeyInformation(bytes), set);
  t.equal(toHex(encodeKeyInformation(parseKeyInformation(hex(GPPRO_RSA)))), GPPRO_RSA);
  t.throws(() => encodeKeyInformation([{ id: 1, version: 1, components: [], format: 'basic' }]), { code: 'ARGUMENT_INVALID' });
  t.throws(() => encodeKeyInformation([{ id: 1, version: 1, components: [{ type: 0x88, length: 256 }], format: 'basic' }]), {
    code: 'ARGUMENT_INVALID',
  });
  t.end();
});

void t.test('malformed key information is refused', (t) => {
  const bad = [
    'E003C00101', // C0 shorter than 4 bytes
    'E007C005010188100A', // odd basic component list
    'E006C0040101FF88', // truncated extended component
    'E00AC008 0101FF880010 0501', // key usage length 5
    'E00BC009 0101FF880010 0100 02', // access length 2 beyond data
    'E006C0040101FF880010', // bytes left over after the E0 template
    'E004C1020101', // not C0
    'E005C00301', // truncated TLV
  ];
  for (const b of bad) t.throws(() => parseKeyInformation(hex(b)), { code: 'RESPONSE_MALFORMED' }, b);
  t.end();
});
