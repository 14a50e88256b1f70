import t from 'tap';
import { formatStationSpec, parseStationSpec } from '../../../hardware/station-spec.js';

void t.test('the station specs a kiosk config may give', (t) => {
  t.same(parseStationSpec('sim:/srv/station-1'), { kind: 'sim', dir: '/srv/station-1' });
  t.same(parseStationSpec('/srv/station-1'), { kind: 'sim', dir: '/srv/station-1' }, 'a bare directory is a simulated station');
  t.same(parseStationSpec('relative/dir'), { kind: 'sim', dir: 'relative/dir' });
  t.same(parseStationSpec('serial:/dev/ttyUSB0'), { kind: 'serial', path: '/dev/ttyUSB0', baudRate: 115200 });
  t.same(parseStationSpec('serial:/dev/ttyS1@9600'), { kind: 'serial', path: '/dev/ttyS1', baudRate: 9600 });
  t.same(parseStationSpec('pcsc'), { kind: 'pcsc', reader: undefined });
  t.same(parseStationSpec('pcsc:ACS ACR39U ICC Reader 00 00'), { kind: 'pcsc', reader: 'ACS ACR39U ICC Reader 00 00' });
  for (const s of ['sim:/a', 'serial:/dev/ttyS1@9600', 'pcsc', 'pcsc:Virtual PCD 00 00']) t.equal(formatStationSpec(parseStationSpec(s)), s, `${s} round-trips`);
  t.end();
});

void t.test('bad specs are refused ARGUMENT_INVALID with the reason', (t) => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['sim:', /directory is empty/],
    ['serial:ttyUSB0', /absolute path/],
    ['serial:/dev/ttyUSB0@1234', /baud rate/],
    ['serial:/dev/ttyUSB0@fast', /baud rate/],
    ['pcsc:', /reader name/],
    ['pcsc: padded ', /reader name/],
    ['usb:/dev/x', /unknown scheme/],
    ['sim:/a\nb', /control characters/],
    ['x'.repeat(2000), /longer than/],
  ];
  for (const [spec, why] of cases) t.throws(() => parseStationSpec(spec), { name: 'StationError', code: 'ARGUMENT_INVALID', message: why }, JSON.stringify(spec.slice(0, 30)));
  t.end();
});
