/**
 * `--data | --database` and the pool sizes of a PostgreSQL store
 * (`--db-pool`, `--db-lock-connections`): integers 1..1000, with
 * --database only.
 */
import t from 'tap';
import { storeLocation } from '../../../cli/center/store-option.js';
import { UsageError } from '../../../cli/command.js';

const url = 'postgres://cardline@db.example:5432/cardline';

void t.test('--database with and without the pool sizes', (t) => {
  t.same(storeLocation({ database: url }), { url });
  t.same(storeLocation({ database: url, 'db-pool': '20', 'db-lock-connections': '1000' }), { url, pool: 20, lockConnections: 1000 });
  t.same(storeLocation({ data: '/var/lib/cardline' }), { dataDir: '/var/lib/cardline' });
  t.end();
});

void t.test('the pool sizes: 1..1000 in decimal digits, and only with --database', (t) => {
  for (const v of ['0', '1001', '', ' 5', '5 ', '1e2', '0x10', '-1', '2.5', '10000']) {
    t.throws(() => storeLocation({ database: url, 'db-pool': v }), { name: 'UsageError', message: /--db-pool must be an integer 1\.\.1000/ }, JSON.stringify(v));
    t.throws(() => storeLocation({ database: url, 'db-lock-connections': v }), { message: /--db-lock-connections must be an integer 1\.\.1000/ }, JSON.stringify(v));
  }
  t.throws(() => storeLocation({ data: '/d', 'db-pool': '5' }), { message: '--db-pool applies to --database only' });
  t.throws(() => storeLocation({ data: '/d', 'db-lock-connections': '5' }), UsageError);
  t.throws(() => storeLocation({ database: 'mysql://x/y' }), { message: '--database must be a postgres:// URL' });
  t.throws(() => storeLocation({ data: '/d', database: url }), { message: 'give --data or --database, not both' });
  t.end();
});
