/**
 * The fleet's decisions, pure or on a fake clock (docs/provisioning.md
 * §3–4): when a kiosk is asked to renew, at most once per session per hour;
 * one certificate request per kiosk per minute; what the registry says about
 * the certificate a kiosk presents at CONNECT; how long a decommission waits
 * for `wiped`; the fleet limits checked at start.
 */
import t from 'tap';
import { FakeClock } from '../../../common/clock.js';
import type { KioskCertRow } from '../../../center/certs.js';
import { decideCert } from '../../../center/fleet/admission.js';
import { DAY_MS, RENEW_EVERY_MS, RenewalTracker, renewalReason } from '../../../center/fleet/renewal.js';
import { checkFleetLimits } from '../../../center/fleet/start.js';
import { FleetState, WipeWaiters } from '../../../center/fleet/state.js';

const NOW = Date.UTC(2030, 0, 15);

void t.test('renewal is due within renewBeforeDays of the end, or when an operator asked', (t) => {
  const facts = (daysLeft: number | null, requested = false) => ({
    now: NOW,
    notAfter: daysLeft === null ? null : new Date(NOW + daysLeft * DAY_MS),
    renewRequestedAt: requested ? new Date(NOW - 1000) : null,
    renewBeforeDays: 30,
  });
  t.equal(renewalReason(facts(31)), undefined, '31 days left: not yet');
  t.equal(renewalReason(facts(30)), 'expiring', 'exactly 30 days left: due');
  t.equal(renewalReason(facts(1)), 'expiring');
  t.equal(renewalReason(facts(-1)), 'expiring', 'already expired (the kiosk cannot connect with it, but the rule holds)');
  t.equal(renewalReason(facts(200, true)), 'requested', 'an operator request wins over a far end');
  t.equal(renewalReason(facts(null)), undefined, 'no known end, no request: nothing to ask');
  t.equal(renewalReason(facts(null, true)), 'requested');
  t.equal(renewalReason({ ...facts(10), renewBeforeDays: 0 }), undefined, 'renewBeforeDays 0: only requests');
  t.end();
});

void t.test('at most one renew per session per hour', (t) => {
  const clock = new FakeClock(NOW);
  const r = new RenewalTracker();
  t.equal(r.take('s1', clock.now()), true, 'first ask');
  clock.advance(RENEW_EVERY_MS - 1);
  t.equal(r.take('s1', clock.now()), false, 'within the hour: no');
  t.equal(r.take('s2', clock.now()), true, 'another session (the kiosk reconnected): yes');
  clock.advance(1);
  t.equal(r.take('s1', clock.now()), true, 'an hour later: yes');
  t.equal(r.take('s1', clock.now()), false);
  r.forget('s1');
  t.equal(r.take('s1', clock.now()), true, 'an operator request resets it');
  const small = new RenewalTracker(2);
  small.take('a', NOW);
  small.take('b', NOW);
  small.take('c', NOW);
  t.equal(small.take('a', NOW), true, 'bounded: the oldest session is forgotten first');
  t.end();
});

void t.test('one certificate request per kiosk per minute', (t) => {
  const clock = new FakeClock(NOW);
  const f = new FleetState({ pkiDir: '/nowhere', ca: undefined, clock });
  t.equal(f.csrLimiter.take('kiosk-1'), true);
  t.equal(f.csrLimiter.take('kiosk-1'), false, 'a second within the minute is refused');
  t.equal(f.csrLimiter.take('kiosk-2'), true, 'per kiosk');
  clock.advance(59_999);
  t.equal(f.csrLimiter.take('kiosk-1'), false);
  clock.advance(1);
  t.equal(f.csrLimiter.take('kiosk-1'), true, 'the next minute');
  t.end();
});

void t.test('admission by certificate', (t) => {
  const row = (serial: string, fingerprint: string, state: KioskCertRow['state']): KioskCertRow => ({
    serial,
    kiosk_id: 'kiosk-1',
    fingerprint,
    not_after: new Date(NOW + 90 * DAY_MS),
    state,
    source: 'renewal',
    issued_at: new Date(NOW),
    revoked_at: state === 'revoked' || state === 'superseded' ? new Date(NOW) : null,
  });
  const rows = [row('01', 'AA:01', 'superseded'), row('02', 'AA:02', 'current'), row('03', 'AA:03', 'pending'), row('04', 'AA:04', 'revoked')];
  const peer = (fingerprint: string) => ({ fingerprint, serial: '00' });
  t.same(decideCert([], peer('FF:FF')), { kind: 'admit' }, 'a kiosk registered before migration 006 (no rows): admitted as before');
  t.same(decideCert(rows, peer('AA:02')), { kind: 'admit' }, 'its current certificate');
  t.same(decideCert(rows, peer('aa:02')), { kind: 'admit' }, 'fingerprints compare without case');
  t.same(decideCert(rows, peer('AA:03')), { kind: 'promote', cert: rows[2] }, 'a pending one (a renewal) is promoted');
  t.same(decideCert(rows, peer('AA:01')), { kind: 'refuse', reason: 'cert-revoked' }, 'a superseded one');
  t.same(decideCert(rows, peer('AA:04')), { kind: 'refuse', reason: 'cert-revoked' }, 'a revoked one');
  t.same(decideCert(rows, peer('AA:99')), { kind: 'refuse', reason: 'cert-unknown' }, 'one the registry never recorded for this kiosk');
  t.end();
});

void t.test('a decommission waits for wiped, the disconnect, or 10 s', async (t) => {
  const clock = new FakeClock(NOW);
  const w = new WipeWaiters();
  const wiped = w.wait('kiosk-1', 10_000, clock);
  t.equal(w.expects('kiosk-1'), true);
  w.notify('kiosk-2', { kind: 'wiped', ok: true });
  w.notify('kiosk-1', { kind: 'wiped', ok: true });
  t.same(await wiped, { kind: 'wiped', ok: true });
  t.equal(w.expects('kiosk-1'), false, 'nothing left waiting');
  t.equal(clock.pending, 0, 'its timer cancelled');
  const gone = w.wait('kiosk-1', 10_000, clock);
  w.notify('kiosk-1', { kind: 'gone' });
  t.same(await gone, { kind: 'gone' });
  const late = w.wait('kiosk-1', 10_000, clock);
  clock.advance(9_999);
  w.notify('kiosk-3', { kind: 'gone' });
  clock.advance(1);
  t.same(await late, { kind: 'timeout' });
  t.equal(w.expects('kiosk-1'), false);
});

void t.test('fleet limits are checked at start, naming the key', (t) => {
  const ok = { fleetPollMs: 250, renewBeforeDays: 30, certDays: 90 };
  t.doesNotThrow(() => checkFleetLimits(ok));
  t.doesNotThrow(() => checkFleetLimits({ ...ok, fleetPollMs: 0 }), '0: no watcher');
  t.throws(() => checkFleetLimits({ ...ok, fleetPollMs: -1 }), { code: 'CONFIG_INVALID', message: /limits\.fleetPollMs/ });
  t.throws(() => checkFleetLimits({ ...ok, fleetPollMs: 0.5 }), { code: 'CONFIG_INVALID' });
  t.throws(() => checkFleetLimits({ ...ok, renewBeforeDays: 400 }), { message: /limits\.renewBeforeDays/ });
  t.throws(() => checkFleetLimits({ ...ok, certDays: 0 }), { message: /limits\.certDays/ });
  t.end();
});
