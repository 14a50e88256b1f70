/** PostgreSQL URLs at the boundary: accepted schemes, and a display form without the password. */
import t from 'tap';
import { parsePostgresUrl } from '../../../center/store/pg-url.js';

void t.test('postgres:// and postgresql:// are accepted; the display hides the password and query', (t) => {
  const a = parsePostgresUrl('postgres://center:s%40cret@db.example:5433/cardline?sslmode=require&password=x');
  t.equal(a.display, 'postgres://center:***@db.example:5433/cardline');
  t.equal(a.scrub('auth failed for s%40cret and s@cret'), 'auth failed for *** and ***');
  t.equal(parsePostgresUrl('postgresql://u@h/d').display, 'postgresql://u@h/d');
  t.equal(parsePostgresUrl('postgres:///cardline?host=/run/postgresql').display, 'postgres:///cardline');
  t.end();
});

void t.test('anything else is OPEN_FAILED, and the message never quotes the URL', (t) => {
  for (const bad of ['', '   ', 'mysql://u:pw-x@h/d', 'http://u:pw-x@h/d', 'u:pw-x@h/d', 'pw-x', `postgres://h/${'a'.repeat(2100)}`]) {
    t.throws(() => parsePostgresUrl(bad), { code: 'OPEN_FAILED' }, bad.slice(0, 20));
    try {
      parsePostgresUrl(bad);
    } catch (e) {
      t.notMatch((e as Error).message, /pw-x/);
    }
  }
  t.end();
});
