import t from 'tap';
import { KeyEdges, parseBootReport, usageKey, USAGE_KEYS } from '../../../hardware/hid/boot-report.js';
import { REPORTS } from '../../../hardware/hid/fixtures.js';
import type { KeypadKey } from '../../../hardware/keypad.js';

const bytes = (r: readonly number[]): Uint8Array => Uint8Array.from(r);

/** Runs reports through parse + edges, as HidKeypad does; returns the keys pressed. */
function keysOf(reports: readonly (readonly number[])[], reportId: number | null = null): KeypadKey[] {
  const edges = new KeyEdges();
  const out: KeypadKey[] = [];
  for (const r of reports) {
    const p = parseBootReport(bytes(r), reportId);
    if (p.kind === 'state') out.push(...edges.next(p));
  }
  return out;
}

void t.test('the decoding table (HID Usage Tables §10, docs/keypad.md)', (t) => {
  const table: [number, KeypadKey][] = [
    [0x59, '1'], [0x5a, '2'], [0x5b, '3'], [0x5c, '4'], [0x5d, '5'], [0x5e, '6'], [0x5f, '7'], [0x60, '8'], [0x61, '9'], [0x62, '0'],
    [0x1e, '1'], [0x1f, '2'], [0x20, '3'], [0x21, '4'], [0x22, '5'], [0x23, '6'], [0x24, '7'], [0x25, '8'], [0x26, '9'], [0x27, '0'],
    [0x58, 'enter'], [0x28, 'enter'], [0x29, 'cancel'], [0x2a, 'backspace'], [0xbb, 'backspace'], [0x9c, 'clear'], [0xd8, 'clear'], [0x63, '.'], [0x37, '.'],
  ];
  for (const [usage, key] of table) t.equal(usageKey(usage, 0), key, `0x${usage.toString(16)} -> ${key}`);
  t.equal(USAGE_KEYS.size, table.length, 'nothing else is mapped');
  t.equal(usageKey(0x53, 0), undefined, 'NumLock is ignored');
  t.equal(usageKey(0x04, 0), undefined, 'letters are not keypad keys');
  t.equal(usageKey(0x22, 0x02), undefined, 'LShift + top-row 5 is %, not a digit');
  t.equal(usageKey(0x22, 0x20), undefined, 'RShift + top-row 5 too');
  t.equal(usageKey(0x5d, 0x02), '5', 'keypad digits ignore Shift');
  t.equal(usageKey(0x22, 0x01), '5', 'other modifiers do not change a digit');
  t.end();
});

void t.test('a press is a key-down edge: held keys emit once', (t) => {
  t.same(keysOf([REPORTS.kp1, REPORTS.released]), ['1'], 'press and release');
  t.same(keysOf([REPORTS.kp1, REPORTS.kp1, REPORTS.kp1, REPORTS.released]), ['1'], 'held across three reports: once');
  t.same(keysOf([REPORTS.kp1, REPORTS.kp1kp2, REPORTS.kp1, REPORTS.kp1kp2]), ['1', '2', '2'], '2 pressed twice while 1 stays down');
  t.same(keysOf([REPORTS.kp1, REPORTS.released, REPORTS.kp1]), ['1', '1'], 'pressed again after a release');
  t.same(keysOf([REPORTS.kp1, REPORTS.kp0]), ['1', '0'], 'a new key without a release report between');
  t.same(keysOf([[0, 0, 0x59, 0x5a, 0, 0, 0, 0]]), ['1', '2'], 'two keys in one report, in slot order');
  t.same(keysOf([[0, 0, 0x59, 0x59, 0, 0, 0, 0]]), ['1'], 'a code repeated in one report counts once');
  t.same(keysOf([[0, 0, 0, 0x59, 0, 0, 0, 0]]), ['1'], 'slots need not be packed');
  t.same(keysOf([REPORTS.numLock, REPORTS.released, REPORTS.kpEnter]), ['enter'], 'NumLock dropped');
  t.same(keysOf([REPORTS.shiftTop5]), [], 'shifted top-row digit dropped');
  t.same(keysOf([REPORTS.escape, REPORTS.backspace]), ['cancel', 'backspace']);
  t.end();
});

void t.test('all-zero and rollover reports', (t) => {
  t.same(parseBootReport(bytes(REPORTS.released), null), { kind: 'state', modifiers: 0, keycodes: [] }, 'all-zero: nothing down');
  t.same(keysOf([REPORTS.released, REPORTS.released]), [], 'all-zero reports press nothing');
  t.same(parseBootReport(bytes(REPORTS.rollover), null), { kind: 'ignored', reason: 'rollover' });
  t.same(keysOf([REPORTS.kp1, REPORTS.rollover, REPORTS.kp1]), ['1'], 'rollover keeps the previous state: 1 still held');
  t.same(keysOf([REPORTS.kp1, REPORTS.rollover, REPORTS.kp1kp2]), ['1', '2']);
  t.same(parseBootReport(bytes([0, 0, 0x59, 0x01, 0, 0, 0, 0]), null), { kind: 'ignored', reason: 'rollover' }, 'ErrorRollOver in one slot is enough');
  t.same(parseBootReport(bytes([0, 0, 0x02, 0, 0, 0, 0, 0]), null), { kind: 'ignored', reason: 'rollover' }, 'POSTFail');
  t.same(parseBootReport(bytes([0, 0, 0x03, 0, 0, 0, 0, 0]), null), { kind: 'ignored', reason: 'rollover' }, 'ErrorUndefined');
  t.end();
});

void t.test('malformed reports: wrong length, report IDs', (t) => {
  const invalid = { kind: 'invalid', reason: 'length' };
  t.same(parseBootReport(bytes(REPORTS.short), null), invalid, '7 bytes');
  t.same(parseBootReport(bytes([...REPORTS.kp1, 0]), null), invalid, '9 bytes without a report ID');
  t.same(parseBootReport(new Uint8Array(0), null), invalid, 'empty');
  t.same(parseBootReport(new Uint8Array(64), null), invalid, '64 bytes');
  t.same(parseBootReport(new Uint8Array(0), 1), invalid, 'empty with a report ID');
  t.same(parseBootReport(bytes([1, ...REPORTS.kp1]), 1), { kind: 'state', modifiers: 0, keycodes: [0x59] }, 'numbered: ID 1 then the boot layout');
  t.same(parseBootReport(bytes([2, 0, 0xe9, 0]), 1), { kind: 'ignored', reason: 'other-report-id' }, 'another collection (consumer control)');
  t.same(parseBootReport(bytes([1, ...REPORTS.short]), 1), invalid, 'ID 1 but short');
  t.same(parseBootReport(bytes(REPORTS.kp1), 1), { kind: 'ignored', reason: 'other-report-id' }, 'unnumbered report when an ID is expected: first byte 0 is not ID 1');
  t.same(keysOf([[1, ...REPORTS.kp1], [2, 0, 0, 0, 0, 0, 0, 0, 0], [1, ...REPORTS.kp1]], 1), ['1'], 'other IDs do not release keys');
  t.end();
});

void t.test('wipe forgets the held keys', (t) => {
  const edges = new KeyEdges();
  t.same(edges.next({ modifiers: 0, keycodes: [0x59] }), ['1']);
  edges.wipe();
  t.same(edges.next({ modifiers: 0, keycodes: [0x59] }), ['1'], 'after wipe a held key counts as new');
  t.same(edges.next({ modifiers: 0, keycodes: [0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e] }), ['2', '3', '4', '5', '6'], 'six slots');
  t.end();
});
