import t from 'tap';
import { FakeHid } from '../../../hardware/hid/fake-hid.js';
import { formatKeypadSpec, parseKeypadSpec } from '../../../hardware/hid/keypad-spec.js';
import { keypadRegistryId, listKeypads, selectKeypad } from '../../../hardware/hid/list-keypads.js';
import { ID_PATTERN } from '../../../wire/messages.js';

void t.test('keypad specs', (t) => {
  t.same(parseKeypadSpec('hid:0c45:7403'), { vendorId: 0x0c45, productId: 0x7403, serial: undefined });
  t.same(parseKeypadSpec('hid:0C45:ABCD:SN-0001'), { vendorId: 0x0c45, productId: 0xabcd, serial: 'SN-0001' });
  t.same(parseKeypadSpec('hid:0000:ffff:a:b'), { vendorId: 0, productId: 0xffff, serial: 'a:b' }, 'a colon in the serial is kept');
  t.equal(formatKeypadSpec(parseKeypadSpec('hid:0C45:ABCD:SN1')), 'hid:0c45:abcd:SN1', 'canonical: lower-case IDs');
  t.end();
});

void t.test('bad keypad specs are refused ARGUMENT_INVALID with the reason', (t) => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['usb:0c45:7403', /unknown scheme/],
    ['hid:', /vendor ID/],
    ['hid:c45:7403', /vendor ID/],
    ['hid:0x0c45:7403', /vendor ID/],
    ['hid:0c45', /product ID/],
    ['hid:0c45:74031', /product ID/],
    ['hid:0c45:zzzz', /product ID/],
    ['hid:0c45:7403:', /serial/],
    ['hid:0c45:7403:has space', /serial/],
    ['hid:0c45:7403:a\nb', /control characters.*serial/],
    ['x'.repeat(300), /longer than/],
  ];
  for (const [spec, why] of cases) t.throws(() => parseKeypadSpec(spec), { name: 'KeypadError', code: 'ARGUMENT_INVALID', message: why }, JSON.stringify(spec.slice(0, 30)));
  t.match((() => { try { parseKeypadSpec('hid:1'); } catch (e) { return (e as Error).message; } return ''; })(), /expected hid:VVVV:PPPP\[:SERIAL\]/, 'the error shows the format');
  t.end();
});

void t.test('listKeypads: keyboard/keypad interfaces only, and none is not an error', async (t) => {
  t.same(await listKeypads(new FakeHid()), [], 'no HID devices at all: empty list');
  const hid = new FakeHid()
    .attach({ vendorId: 0x0c45, productId: 0x7403, path: '/dev/hidraw1', serialNumber: 'SN1', product: 'Numeric Keypad' })
    .attach({ vendorId: 0x0c45, productId: 0x7403, path: '/dev/hidraw2', serialNumber: 'SN1', usagePage: 0x0c, usage: 0x01, interface: 1 })
    .attach({ vendorId: 0x046d, productId: 0xc077, path: '/dev/hidraw0', usagePage: 0x01, usage: 0x02 })
    .attach({ vendorId: 0x1234, productId: 0x0001, path: '/dev/hidraw3', serialNumber: '', usage: 0x07 });
  const list = await listKeypads(hid);
  t.same(
    list.map((k) => [k.spec, k.path, k.descriptor]),
    [
      ['hid:0c45:7403:SN1', '/dev/hidraw1', { vendor: '0c45', product: '7403', serial: 'SN1' }],
      ['hid:1234:0001', '/dev/hidraw3', { vendor: '1234', product: '0001', serial: null }],
    ],
    'the mouse and the consumer-control interface are not keypads; an empty serial is none',
  );
  t.equal(list[0]!.productName, 'Numeric Keypad');
  t.same(list.map((k) => k.id), ['hid-0c45-7403-SN1', 'hid-1234-0001'], 'registry IDs');
  hid.listError = new Error('binding failed');
  await t.rejects(listKeypads(hid), { name: 'KeypadError', code: 'IO' }, 'node-hid failing is IO');
});

void t.test('selectKeypad', (t) => {
  const hid = new FakeHid()
    .attach({ vendorId: 0x0c45, productId: 0x7403, path: '/dev/hidraw1', serialNumber: 'A' })
    .attach({ vendorId: 0x0c45, productId: 0x7403, path: '/dev/hidraw2', serialNumber: 'A', usagePage: 0x0c, usage: 0x01 })
    .attach({ vendorId: 0x0c45, productId: 0x7403, path: '/dev/hidraw4', serialNumber: 'B' })
    .attach({ vendorId: 0x5555, productId: 0x0001, path: '/dev/hidraw5', usagePage: undefined, usage: undefined })
    .attach({ vendorId: 0x6666, productId: 0x0001, path: '/dev/hidraw6', usagePage: 0x0c, usage: 0x01 });
  const d = hid.devices;
  t.equal(selectKeypad(d, parseKeypadSpec('hid:0c45:7403:A')).path, '/dev/hidraw1', 'by serial, the keyboard interface');
  t.equal(selectKeypad(d, parseKeypadSpec('hid:0c45:7403:B')).path, '/dev/hidraw4');
  t.throws(() => selectKeypad(d, parseKeypadSpec('hid:0c45:7403')), { code: 'AMBIGUOUS', message: /serials: A, B/ }, 'two keypads of one model');
  t.throws(() => selectKeypad(d, parseKeypadSpec('hid:0c45:7403:C')), { code: 'NOT_FOUND', message: /no such device/ });
  t.throws(() => selectKeypad(d, parseKeypadSpec('hid:abcd:0001')), { code: 'NOT_FOUND' });
  t.throws(() => selectKeypad(d, parseKeypadSpec('hid:6666:0001')), { code: 'NOT_FOUND', message: /no keyboard or keypad interface/ });
  t.equal(selectKeypad(d, parseKeypadSpec('hid:5555:0001')).path, '/dev/hidraw5', 'usage unknown (no report descriptor): accepted when alone');
  t.end();
});

void t.test('keypadRegistryId fits the registry ID pattern', (t) => {
  t.equal(keypadRegistryId({ vendor: '0c45', product: '7403', serial: null }), 'hid-0c45-7403');
  t.equal(keypadRegistryId({ vendor: '0c45', product: '7403', serial: 'A:B/C' }), 'hid-0c45-7403-A_B_C');
  const long = keypadRegistryId({ vendor: '0c45', product: '7403', serial: 'x'.repeat(126) });
  t.equal(long.length, 64);
  for (const id of ['hid-0c45-7403', long, keypadRegistryId({ vendor: 'ffff', product: '0000', serial: '~!' })]) t.match(id, ID_PATTERN, id);
  t.end();
});
