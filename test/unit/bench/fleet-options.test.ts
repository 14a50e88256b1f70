/** bench/fleet.ts's options (bench/fleet/options.ts): flags beat the environment, every bad value is refused naming where it came from. */
import t, { type Test } from 'tap';
import { DEFAULTS, FleetBenchUsageError, MAX_DEFAULT_CARDS, parseFleetOptions } from '../../../bench/fleet/options.js';

const refused = (t: Test, argv: string[], env: Record<string, string>, code: string, mentions: RegExp): void => {
  let caught: unknown;
  try {
    parseFleetOptions(argv, env);
  } catch (e) {
    caught = e;
  }
  const what = `${argv.join(' ')} ${JSON.stringify(env)}`;
  t.ok(caught instanceof FleetBenchUsageError, `${what}: a usage error`);
  t.match(caught, { code, message: mentions }, what);
};

void t.test('defaults, flags and their environment equivalents', (t) => {
  const d = parseFleetOptions([], {});
  t.match(d, { kiosks: DEFAULTS.kiosks, workers: DEFAULTS.workers, durationS: DEFAULTS.durationS, reconnectKiosks: DEFAULTS.reconnectKiosks, rate: DEFAULTS.rate, profile: false });
  t.ok(d.cardsPerKiosk >= 1 && d.cardsPerKiosk <= MAX_DEFAULT_CARDS);
  const f = parseFleetOptions(['--kiosks=1000', '--workers=4', '--duration=60', '--reconnect-kiosks=10000', '--rate=200', '--cards-per-kiosk=7', '--profile'], {});
  t.match(f, { kiosks: 1000, workers: 4, durationS: 60, reconnectKiosks: 10000, rate: 200, cardsPerKiosk: 7, profile: true });
  const e = parseFleetOptions(['--workers=3'], { FLEET_BENCH_KIOSKS: '50', FLEET_BENCH_WORKERS: '5', FLEET_BENCH_RECONNECT_KIOSKS: '0', FLEET_BENCH_PROFILE: '1' });
  t.match(e, { kiosks: 50, workers: 3, reconnectKiosks: 0, profile: true }, 'the flag wins over FLEET_BENCH_WORKERS');
  t.equal(parseFleetOptions(['--kiosks=500'], {}).reconnectKiosks, 500, 'the reconnect phase has at least the issuing kiosks by default');
  t.end();
});

void t.test('the workers\' connection counts: not passed by default, 0..1000 otherwise', (t) => {
  t.match(parseFleetOptions([], {}), { dbPool: 0, dbLockConnections: 0 });
  t.match(parseFleetOptions(['--db-pool=20', '--db-lock-connections=60'], {}), { dbPool: 20, dbLockConnections: 60 });
  t.match(parseFleetOptions([], { FLEET_BENCH_DB_POOL: '15', FLEET_BENCH_DB_LOCK_CONNECTIONS: '30' }), { dbPool: 15, dbLockConnections: 30 });
  refused(t, ['--db-pool=1001'], {}, 'VALUE_INVALID', /--db-pool must be an integer 0\.\.1000/);
  refused(t, [], { FLEET_BENCH_DB_LOCK_CONNECTIONS: 'many' }, 'VALUE_INVALID', /FLEET_BENCH_DB_LOCK_CONNECTIONS must be an integer 0\.\.1000/);
  t.end();
});

void t.test('bad values are refused with the flag or variable named', (t) => {
  refused(t, ['--kiosks=0'], {}, 'VALUE_INVALID', /--kiosks must be an integer 1\.\.20000/);
  refused(t, ['--workers=two'], {}, 'VALUE_INVALID', /--workers/);
  refused(t, ['--duration=-5'], {}, 'VALUE_INVALID', /--duration/);
  refused(t, ['--rate=1.5'], {}, 'VALUE_INVALID', /--rate/);
  refused(t, [], { FLEET_BENCH_WORKERS: '99' }, 'VALUE_INVALID', /FLEET_BENCH_WORKERS must be an integer 1\.\.16/);
  refused(t, ['--kiosk=5'], {}, 'ARGUMENT_UNKNOWN', /unknown argument '--kiosk=5'/);
  refused(t, ['20'], {}, 'ARGUMENT_UNKNOWN', /usage/);
  refused(t, ['--kiosks=100', '--reconnect-kiosks=50'], {}, 'COMBINATION_INVALID', /at least --kiosks \(100\)/);
  t.end();
});
