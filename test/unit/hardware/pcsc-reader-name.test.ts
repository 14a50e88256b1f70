/** parseReaderName: pcsc-lite reader names -> descriptor and registry ID. */
import t from 'tap';
import { isPcscError } from '../../../hardware/pcsc/errors.js';
import { parseReaderName, READER_ID_PATTERN } from '../../../hardware/pcsc/reader-name.js';

void t.test('a CCID reader with a USB serial', (t) => {
  const p = parseReaderName('Gemalto PC Twin Reader (70D7E2EE) 00 00');
  t.same(p.descriptor, { vendor: 'Gemalto', product: 'Gemalto PC Twin Reader', serial: '70D7E2EE' });
  t.equal(p.id, 'pcsc-70D7E2EE');
  t.equal(p.index, '00');
  t.equal(p.slot, '00');
  t.end();
});

void t.test('brackets in the friendly name, second slot', (t) => {
  const p = parseReaderName('SCM Microsystems Inc. SCR 3310 [CCID Interface] (21120844306107) 00 01');
  t.equal(p.descriptor.product, 'SCM Microsystems Inc. SCR 3310 [CCID Interface]');
  t.equal(p.descriptor.vendor, 'SCM');
  t.equal(p.id, 'pcsc-21120844306107-01', 'slots of one device get distinct IDs');
  t.end();
});

void t.test('no serial: ID from the sanitised name, index and slot', (t) => {
  const p = parseReaderName('Virtual PCD 00 01');
  t.same(p.descriptor, { vendor: 'Virtual', product: 'Virtual PCD', serial: null });
  t.equal(p.id, 'pcsc-Virtual-PCD-00-01');
  const odd = parseReaderName('ACME/Über "Reader" #2 0A 00');
  t.match(odd.id, READER_ID_PATTERN);
  t.equal(odd.id, 'pcsc-ACME-ber-Reader-2-0A-00');
  t.end();
});

void t.test('IDs stay within 64 characters and match the registry pattern', (t) => {
  const p = parseReaderName(`${'A'.repeat(100)} 00 03`);
  t.ok(p.id.length <= 64);
  t.match(p.id, READER_ID_PATTERN);
  t.ok(p.id.endsWith('-00-03'), 'the slot suffix survives shortening');
  const s = parseReaderName(`Reader (${'9'.repeat(80)}) 00 00`);
  t.match(s.id, READER_ID_PATTERN);
  t.end();
});

void t.test('names pcsc-lite would not give are refused', (t) => {
  for (const bad of ['', 'Reader', 'Reader 0 0', 'Reader 00 00\n', 'Re\u0000ader 00 00', `${'x'.repeat(130)} 00 00`, ' 00 00']) {
    let err: unknown;
    try {
      parseReaderName(bad);
    } catch (e) {
      err = e;
    }
    t.ok(isPcscError(err, 'READER_NAME_INVALID'), JSON.stringify(bad.slice(0, 20)));
  }
  t.end();
});
