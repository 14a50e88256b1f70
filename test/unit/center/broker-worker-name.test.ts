/**
 * An invalid worker name given to the center (CenterOptions.broker.worker)
 * is a configuration error (CenterError CONFIG_INVALID naming the key),
 * found before any connection is tried, not a broker's CONNECT failure.
 */
import t from 'tap';
import { startBrokerSide, type BrokerSideDeps } from '../../../center/broker/compose.js';
import { CenterError } from '../../../center/errors.js';

void t.test('worker: an invalid name is CONFIG_INVALID', async (t) => {
  // Nothing of the deps is reached: the name is checked first.
  const d = {} as BrokerSideDeps;
  for (const worker of ['', 'a b', 'x'.repeat(33), 'w/1']) {
    await t.rejects(startBrokerSide({ kind: 'external', url: 'mqtts://127.0.0.1:1', worker }, d), CenterError, JSON.stringify(worker));
    await t.rejects(startBrokerSide({ kind: 'external', url: 'mqtts://127.0.0.1:1', worker }, d), { code: 'CONFIG_INVALID', message: /broker\.worker/ });
  }
});
