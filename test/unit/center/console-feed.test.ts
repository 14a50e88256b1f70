/**
 * The console feed's stream handling (center/console/feed.ts) on a fake
 * response, a fake store and a fake clock: a client that does not read is
 * disconnected once more than MAX_BUFFERED bytes wait (ordinary
 * backpressure below that is tolerated); the session is checked on a timer
 * whatever the traffic; endFeeds ends a session's or an account's streams
 * at once. The feed over real HTTP is in test/integration/console/.
 */
import t from 'tap';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { DEFAULT_FEED_LIMITS, endFeeds, Feed, MAX_BUFFERED } from '../../../center/console/feed.js';
import type { Db } from '../../../center/store/db.js';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';

/** A response that records what is written; `full` makes write() say the client is behind by `buffered` bytes. */
class FakeResponse extends EventEmitter {
  written: string[] = [];
  ended = false;
  full = false;
  buffered = 0;
  writeHead(): this {
    return this;
  }
  write(chunk: string): boolean {
    this.written.push(chunk);
    return !this.full;
  }
  get writableLength(): number {
    return this.buffered;
  }
  end(): this {
    this.ended = true;
    return this;
  }
}

/** An audit log with entries up to idx 3 and nothing new: every poll is quiet. */
const quietDb = { query: () => Promise.resolve({ rows: [{ m: 3 }], rowCount: 1 }) } as unknown as Db;

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

function setup(alive: () => Promise<boolean> = () => Promise.resolve(true)) {
  const clock = new FakeClock(1_000_000);
  const logger = memoryLogger();
  const feed = new Feed({ db: quietDb, clock, logger }, DEFAULT_FEED_LIMITS);
  const res = new FakeResponse();
  let checks = 0;
  const done = feed.serve(res as unknown as ServerResponse, undefined, { token: 'tok-a', username: 'vera' }, () => {
    checks += 1;
    return alive();
  });
  return { clock, logger, feed, res, done, checks: () => checks };
}

void t.test('a slow client: tolerated while little waits, disconnected beyond MAX_BUFFERED', async (t) => {
  const { clock, logger, feed, res, done } = setup();
  await settle();
  t.equal(feed.open, 1);
  res.full = true;
  res.buffered = 1024;
  clock.advance(DEFAULT_FEED_LIMITS.heartbeatMs);
  await settle();
  t.ok(res.written.includes(': ping\n\n'), 'the heartbeat was written');
  t.notOk(res.ended, 'a little backpressure does not end the stream');
  res.buffered = MAX_BUFFERED + 1;
  clock.advance(DEFAULT_FEED_LIMITS.heartbeatMs);
  await done;
  t.ok(res.ended, 'the stream is closed');
  t.equal(feed.open, 0);
  t.ok(logger.lines.some((l) => l.includes('the client does not read')), 'and the reason logged');
});

void t.test('the session is checked on a timer, whatever the traffic', async (t) => {
  let ok = true;
  const { clock, res, done, checks } = setup(() => Promise.resolve(ok));
  await settle();
  clock.advance(DEFAULT_FEED_LIMITS.checkMs);
  await settle();
  t.equal(checks(), 1, 'checked after checkMs, long before a heartbeat');
  ok = false;
  clock.advance(DEFAULT_FEED_LIMITS.checkMs);
  await done;
  t.equal(checks(), 2);
  t.ok(res.ended, 'the stream ends with its session');
});

void t.test('endFeeds ends the streams of a session token or of a username at once', async (t) => {
  const a = setup();
  await settle();
  t.equal(endFeeds({ token: 'other' }), 0, "another session's token ends nothing");
  t.equal(endFeeds({ username: 'otto' }), 0);
  t.equal(endFeeds({ token: 'tok-a' }), 1);
  await a.done;
  t.ok(a.res.ended, 'ended without the clock moving');
  const b = setup();
  await settle();
  t.equal(endFeeds({ username: 'vera' }), 1);
  await b.done;
  t.ok(b.res.ended);
  t.equal(b.feed.open, 0);
});
