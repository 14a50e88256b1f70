/**
 * `cardline center --port`: a decimal port only (as `cardline broker
 * config` checks it); Number() would take 0x1bb, 1e3, " 1" and "" as ports.
 */
import t from 'tap';
import { brokerOption } from '../../../cli/center/broker-option.js';
import { UsageError } from '../../../cli/command.js';

void t.test('--port: decimal digits of 0..65535, anything else a usage error', (t) => {
  t.same(brokerOption({ port: '0' }), { kind: 'embedded', host: '127.0.0.1', port: 0 }, '0: a port the system picks');
  t.same(brokerOption({ port: '65535' }), { kind: 'embedded', host: '127.0.0.1', port: 65535 });
  t.same(brokerOption({ port: '08883' }), { kind: 'embedded', host: '127.0.0.1', port: 8883 });
  for (const port of ['0x1bb', '1e3', '', ' 1', '1 ', '+1', '-1', '1.0', '65536', '123456', 'Infinity', '0b1', '0o7']) {
    t.throws(() => brokerOption({ port }), UsageError, JSON.stringify(port));
  }
  t.end();
});
