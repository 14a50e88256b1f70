/**
 * HidKeypad beyond the Keypad contract (test/contract/keypad-hid.test.ts):
 * opening and its errors, the identity from USB descriptors, report IDs,
 * malformed reports, wiping of report buffers, and logs without key data.
 */
import t from 'tap';
import { memoryLogger } from '../../../common/log.js';
import { FakeHid } from '../../../hardware/hid/fake-hid.js';
import { REPORTS } from '../../../hardware/hid/fixtures.js';
import { HidKeypad } from '../../../hardware/hid/hid-keypad.js';
import type { KeypadKey } from '../../../hardware/keypad.js';
import { ID_PATTERN } from '../../../wire/messages.js';

const KEYPAD = { vendorId: 0x0c45, productId: 0x7403, path: '/dev/hidraw3', serialNumber: 'SN-77', product: 'PIN\u001bPad' };

async function opened(reportId: number | null = null): Promise<{ hid: FakeHid; keypad: HidKeypad; keys: KeypadKey[]; log: ReturnType<typeof memoryLogger> }> {
  const hid = new FakeHid().attach(KEYPAD);
  const log = memoryLogger();
  const keypad = await HidKeypad.open('hid:0C45:7403', { hid, reportId, logger: log });
  const keys: KeypadKey[] = [];
  keypad.on('key', (k) => keys.push(k));
  return { hid, keypad, keys, log };
}

void t.test('open: identity from the USB descriptors, by hidraw path', async (t) => {
  const { hid, keypad } = await opened();
  t.teardown(() => keypad.close());
  t.equal(hid.opened.length, 1);
  t.equal(hid.last.info.path, '/dev/hidraw3', 'opened by path, not by VID/PID (which takes the first match)');
  t.equal(keypad.path, '/dev/hidraw3');
  t.same(keypad.identity.descriptor, { vendor: '0c45', product: '7403', serial: 'SN-77' });
  t.equal(keypad.identity.id, 'hid-0c45-7403-SN-77', 'the registry ID: derived from the descriptor');
  t.match(keypad.identity.id, ID_PATTERN, 'fits the registry ID pattern');
  t.equal(keypad.identity.kind, 'keypad');
  t.equal(keypad.identity.canSign, false);
  t.equal(keypad.name, 'hid:0c45:7403:SN-77 (PIN Pad)', 'device strings lose their control characters');
});

void t.test('open errors', async (t) => {
  const hid = new FakeHid().attach(KEYPAD);
  await t.rejects(HidKeypad.open('hid:dead:beef', { hid }), { name: 'KeypadError', code: 'NOT_FOUND' });
  await t.rejects(HidKeypad.open('hid:0c45', { hid }), { code: 'ARGUMENT_INVALID' });
  await t.rejects(HidKeypad.open('hid:0c45:7403', { hid, reportId: 0 }), { code: 'ARGUMENT_INVALID', message: /reportId/ }, 'report ID 0 is reserved');
  await t.rejects(HidKeypad.open('hid:0c45:7403', { hid, reportId: 256 }), { code: 'ARGUMENT_INVALID' });
  hid.openError = new Error("Failed to open a device with path '/dev/hidraw3'");
  await t.rejects(HidKeypad.open('hid:0c45:7403', { hid }), { code: 'IO', message: /permissions\? see docs\/keypad\.md/ });
  hid.listError = new Error('binding');
  await t.rejects(HidKeypad.open('hid:0c45:7403', { hid }), { code: 'IO', message: /cannot list/ });
  await t.rejects(HidKeypad.open({ vendorId: 0x0c45, productId: 0x7403, serial: 'other' }, { hid: new FakeHid().attach(KEYPAD) }), { code: 'NOT_FOUND' }, 'a parsed spec with another serial');
});

void t.test('reports: held keys once, rollover and malformed reports counted, not acted on', async (t) => {
  const { hid, keypad, keys } = await opened();
  t.teardown(() => keypad.close());
  const d = hid.last;
  for (const r of [REPORTS.kp1, REPORTS.kp1, REPORTS.kp1kp2, REPORTS.rollover, REPORTS.kp1kp2, REPORTS.released, REPORTS.short, REPORTS.numLock, REPORTS.released, REPORTS.kpEnter, REPORTS.released]) {
    d.emitReport(r);
  }
  d.emitReport(new Uint8Array(64));
  d.emitReport([]);
  t.same(keys, ['1', '2', 'enter']);
  t.same(keypad.reportCounts, { presses: 3, invalid: 3, rollover: 1, otherReportId: 0 });
  t.equal(keypad.attached, true, 'malformed reports do not detach the keypad');
});

void t.test('numbered reports: our ID only', async (t) => {
  const { hid, keypad, keys } = await opened(1);
  t.teardown(() => keypad.close());
  const d = hid.last;
  d.emitReport([1, ...REPORTS.kp1]);
  d.emitReport([2, 0x00, 0xe9]); // consumer control, Volume Increment: another collection
  d.emitReport([1, ...REPORTS.released]);
  d.emitReport(REPORTS.kp0); // 8 bytes starting 00: not report 1
  d.emitReport([1, ...REPORTS.kp0]);
  t.same(keys, ['1', '0']);
  t.same(keypad.reportCounts, { presses: 2, invalid: 0, rollover: 0, otherReportId: 2 });
});

void t.test('report buffers are overwritten once decoded; logs carry no key data', async (t) => {
  const { hid, keypad, keys, log } = await opened();
  const d = hid.last;
  const seen: Buffer[] = [];
  d.on('data', (b: Buffer) => seen.push(b)); // after HidKeypad's listener
  d.emitReport([0, 0, 0x5f, 0, 0, 0, 0, 0]); // keypad 7
  d.emitReport([0, 0, 0x5f, 0x60, 0, 0, 0, 0]); // keypad 7, 8
  d.emitReport(REPORTS.short);
  t.same(keys, ['7', '8']);
  t.ok(seen.length === 3 && seen.every((b) => b.every((x) => x === 0)), 'every report buffer is zero after HidKeypad saw it');
  d.unplug();
  await keypad.close();
  const text = log.lines.join('\n');
  t.notMatch(text, /"(key|keys|digits|report|data)"/, 'no key fields');
  t.notMatch(text, /0x5f|95|\b7\b.*\b8\b/, 'no key codes or digits');
  t.match(text, /keypad detached/, 'the detach is logged');
});

void t.test('detach: the node is released; close does not close it twice', async (t) => {
  const { hid, keypad } = await opened();
  const d = hid.last;
  const detached: string[] = [];
  keypad.on('detached', (e) => detached.push(e.code));
  d.unplug();
  await new Promise((r) => setImmediate(r));
  t.same(detached, ['DETACHED']);
  t.equal(d.closed, true, 'released on detach');
  await keypad.close();
  await keypad.close();
  t.pass('close after detach resolves (the fake rejects a second native close: it was not called)');
});

void t.test('close releases the node; late data is ignored', async (t) => {
  const { hid, keypad, keys } = await opened();
  const d = hid.last;
  await Promise.all([keypad.close(), keypad.close()]);
  t.equal(d.closed, true);
  t.equal(d.emitReport(REPORTS.kp1), false, 'nobody reads after close');
  t.same(keys, []);
});
