/**
 * The console's read views after a real issuance (rig: center, kiosk agent,
 * simulated station, PGlite): the fleet shows the kiosk online with its
 * agent version, its reader authenticated and its certificate's end; the
 * job counts and list; the audit view verified with its entries; the stats
 * count the card and its latency; the feed emits the job's moves.
 */
import t from 'tap';
import { startConsoleRig } from '../../fixtures/console-rig.js';
import { Browserish } from './client.js';
import { openSse } from './sse.js';

// Every audit view verifies afresh (no 10 s reuse): the tampering below must show at once.
const c = await startConsoleRig(t, { console: { auditVerifyTtlMs: 0 } });
const b = new Browserish(c.url);
await b.login(c.accounts.viewer.username, c.accounts.viewer.password);

const feed = await openSse(c.url, { Cookie: b.cookie });
t.teardown(() => feed.close());
const [app] = await c.rig.addApps(1);
const outcome = await c.kiosk!.request(app!.id, app!.code);
const job = await c.rig.jobOf(app!.id);

void t.test('the issuance went through', (t) => {
  t.equal(outcome.outcome, 'issued');
  t.equal(job?.state, 'ISSUED');
  t.end();
});

void t.test('feed: an SSE stream with a job event for each move of the issuance', async (t) => {
  t.equal(feed.status, 200);
  t.match(feed.headers['content-type'], /^text\/event-stream/);
  t.equal(feed.headers['content-security-policy']?.toString().startsWith("default-src 'none'"), true, 'strict headers on the stream too');
  const issued = await feed.waitFor((e) => e.event === 'job' && (JSON.parse(e.data) as { state: string; application: string }).application === app!.id && e.data.includes('"ISSUED"'), 'the ISSUED event');
  const ev = JSON.parse(issued.data) as Record<string, unknown>;
  t.match(ev, { id: job!.id, application: app!.id, state: 'ISSUED', kiosk: 'kiosk-1', at: /^\d{4}-\d\d-\d\dT/ });
  t.match(issued.id, /^\d+$/, 'the audit index is the event id');
  const states = feed.events.filter((e) => e.data.includes(job!.id)).map((e) => (JSON.parse(e.data) as { state: string }).state);
  t.same(states.slice(-5), ['RESERVED', 'CARD_AUTHENTICATED', 'WRITING', 'VERIFYING', 'ISSUED'], 'every move, in order');
  t.notMatch(feed.events.map((e) => e.data).join(''), app!.code, 'no one-time code');
});

void t.test('feed: Last-Event-ID replays what came after it', async (t) => {
  const first = feed.events.find((e) => e.data.includes(job!.id))!;
  const again = await openSse(c.url, { Cookie: b.cookie, 'Last-Event-ID': first.id! });
  t.teardown(() => again.close());
  const replayed = await again.waitFor((e) => e.data.includes('"ISSUED"') && e.data.includes(job!.id), 'the replayed ISSUED event');
  t.ok(Number(replayed.id) > Number(first.id));
  t.notOk(again.events.some((e) => e.id === first.id), 'not the event it already had');
});

void t.test('fleet: the kiosk online, its agent, reader status and certificate end', async (t) => {
  const r = await b.get('/api/fleet');
  t.equal(r.status, 200);
  const { kiosks } = r.json as { kiosks: Record<string, unknown>[] };
  t.equal(kiosks.length, 1);
  t.match(kiosks[0], {
    id: 'kiosk-1',
    status: 'active',
    mode: c.rig.mode,
    site: '',
    online: true,
    agent: /^cardline-kiosk\//,
    certNotAfter: /^\d{4}-\d\d-\d\dT.*Z$/,
    lastSeen: /^\d{4}-\d\d-\d\dT/,
    readers: [{ id: c.rig.stations['kiosk-1']!.identity.id, kind: 'sim', state: 'authenticated' }],
  });
  t.ok(Date.parse(kiosks[0]!.certNotAfter as string) > Date.now(), 'the certificate is still valid');
});

void t.test('jobs: counts by state and the newest jobs', async (t) => {
  const r = await b.get('/api/jobs');
  t.equal(r.status, 200);
  const body = r.json as { counts: Record<string, number>; jobs: Record<string, unknown>[] };
  t.same(Object.keys(body.counts).sort(), ['CARD_AUTHENTICATED', 'FAILED', 'ISSUED', 'PENDING', 'RESERVED', 'VERIFYING', 'VOIDED', 'WRITING']);
  t.equal(body.counts.ISSUED, 1);
  t.match(body.jobs[0], { id: job!.id, application: app!.id, state: 'ISSUED', kiosk: 'kiosk-1', attempt: 1, reason: null, updatedAt: /Z$/ });
  const [pending] = await c.rig.addApps(1);
  const only = (await b.get('/api/jobs?state=PENDING&limit=1')).json as { counts: Record<string, number>; jobs: { application: string }[] };
  t.same(only.jobs.map((j) => j.application), [pending!.id], 'filtered by state, limited');
  t.equal(only.counts.PENDING, 1);
  t.match((await b.get('/api/jobs?state=NOPE')).json, { error: 'bad-request' });
  t.match((await b.get('/api/jobs?limit=201')).json, { error: 'bad-request' });
});

void t.test('audit: verified, newest entries first, paged with before', async (t) => {
  const r = await b.get('/api/audit?limit=20');
  t.equal(r.status, 200);
  const body = r.json as { verification: { ok: boolean; treeSize: number; problems: string[] }; entries: { index: number; kind: string; detail: Record<string, unknown> }[] };
  t.equal(body.verification.ok, true);
  t.same(body.verification.problems, []);
  t.ok(body.verification.treeSize > 20);
  t.equal(body.entries.length, 20);
  t.ok(body.entries[0]!.index > body.entries[19]!.index, 'newest first');
  const all = (await b.get(`/api/audit?limit=200&before=${body.entries[19]!.index}`)).json as typeof body;
  t.equal(all.entries[0]!.index, body.entries[19]!.index - 1, 'the next page starts below');
  const everything = [...body.entries, ...all.entries];
  t.ok(everything.some((e) => e.kind === 'job.move' && e.detail.to === 'ISSUED'));
  t.ok(everything.some((e) => e.kind === 'console.login'), 'the login is in the log');
  // Tamper with one entry: the view says so.
  await c.rig.center.deps.db.query(`UPDATE audit_entries SET entry = replace(entry, '"kind":"console.login"', '"kind":"console.logim"') WHERE entry LIKE '%"kind":"console.login"%'`);
  await c.rig.center.deps.db.transaction((tx) => c.rig.center.deps.audit.append(tx, { kind: 'test.marker', detail: {} }));
  const bad = (await b.get('/api/audit?limit=1')).json as typeof body;
  t.equal(bad.verification.ok, false, 'tampering is shown');
  t.match(bad.verification.problems.join('\n'), /leaf hash does not match/);
  await c.rig.center.deps.db.query(`UPDATE audit_entries SET entry = replace(entry, '"kind":"console.logim"', '"kind":"console.login"') WHERE entry LIKE '%"kind":"console.logim"%'`);
});

void t.test('stats: the card in its minute, and its latency', async (t) => {
  // The application was added a day before the customer came: that wait is not the issuance's latency.
  await c.rig.center.deps.db.query(`UPDATE jobs SET created_at = created_at - interval '1 day' WHERE id = $1`, [job!.id]);
  const r = await b.get('/api/stats?minutes=5');
  t.equal(r.status, 200);
  const body = r.json as { perMinute: { minute: string; issued: number; failed: number }[]; latency: { count: number; p50: number; p90: number; p99: number } };
  t.equal(body.perMinute.length, 5, 'one entry per minute');
  t.equal(body.perMinute.reduce((n, m) => n + m.issued, 0), 1);
  t.equal(body.perMinute.reduce((n, m) => n + m.failed, 0), 0);
  t.equal(body.latency.count, 1);
  const rows = await c.rig.center.deps.db.query<{ ms: number }>(`SELECT (extract(epoch FROM updated_at - reserved_at) * 1000)::float8 AS ms FROM jobs WHERE id = $1`, [job!.id]);
  t.equal(body.latency.p50, Math.round(rows.rows[0]!.ms), "from the customer's request (RESERVED) to ISSUED");
  t.ok(body.latency.p99 < 60_000, `not from the job's creation a day before (${body.latency.p99} ms)`);
  t.ok(body.latency.p50 > 0 && body.latency.p50 <= body.latency.p90 && body.latency.p90 <= body.latency.p99);
  t.match((await b.get('/api/stats?minutes=0')).json, { error: 'bad-request' });
});

void t.test('the fleet shows the kiosk offline once its connection ends', async (t) => {
  await c.kiosk!.stop();
  const until = Date.now() + 10_000;
  let online = true;
  while (online && Date.now() < until) {
    online = ((await b.get('/api/fleet')).json as { kiosks: { online: boolean }[] }).kiosks[0]!.online;
    if (online) await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(online, false);
});
