/**
 * kiosk/systemd/supervisor.ts on a FakeClock with a scripted agent: READY=1
 * only after `agent.ready` resolves (never on a refusal), WATCHDOG=1 every
 * half of WATCHDOG_USEC, none while the runner is wedged and again once it
 * moves, STATUS lines that follow the phase (sent on change only), and
 * STOPPING=1 with nothing after it.
 */
import t from 'tap';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';
import { KioskError } from '../../../kiosk/errors.js';
import { DatagramNotifier } from '../../../kiosk/systemd/notify.js';
import { decodeSystemdEnv } from '../../../kiosk/systemd/notify-env.js';
import { KioskService } from '../../../kiosk/systemd/service.js';
import { KioskSupervisor, type SupervisedAgent } from '../../../kiosk/systemd/supervisor.js';
import { isSystemdError } from '../../../kiosk/systemd/errors.js';
import type { KioskEvent } from '../../../kiosk/events.js';
import { PCSC_CUSTOMER_WAIT_MS, wedgeThresholdMs } from '../../../kiosk/systemd/wedge-threshold.js';

/** An agent whose phase, health and readiness the test sets. */
class ScriptedAgent implements SupervisedAgent {
  phase = 'offline';
  wedged = false;
  readonly healthAsked: (number | undefined)[] = [];
  readonly ready: Promise<void>;
  resolveReady!: () => void;
  rejectReady!: (e: Error) => void;
  constructor() {
    this.ready = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
  }
  state(): string {
    return this.phase;
  }
  health(wedgedAfterMs?: number): { wedged: boolean; phase: string; stalledMs: number } {
    this.healthAsked.push(wedgedAfterMs);
    return { wedged: this.wedged, phase: this.phase, stalledMs: this.wedged ? 60_000 : 0 };
  }
}

/** Lets promise callbacks run (no timers). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function rig(env: Record<string, string> = { WATCHDOG_USEC: '10000000' }, wedgedAfterMs?: number) {
  const clock = new FakeClock(1_000_000);
  const agent = new ScriptedAgent();
  const sent: { at: number; text: string }[] = [];
  const logger = memoryLogger();
  const notifier = new DatagramNotifier({ send: (text) => sent.push({ at: clock.now() - 1_000_000, text }) }, logger);
  const { watchdog } = decodeSystemdEnv(env, 1);
  const supervisor = new KioskSupervisor({ agent, notifier, clock, logger, ...(watchdog ? { watchdog } : {}), ...(wedgedAfterMs !== undefined ? { wedgedAfterMs } : {}) });
  /** Advances the clock in 100 ms steps, letting the loops run between steps. */
  const run = async (ms: number): Promise<void> => {
    for (let done = 0; done < ms; done += 100) {
      clock.advance(100);
      await settle();
    }
  };
  const pings = (): number[] => sent.filter((s) => s.text === 'WATCHDOG=1\n').map((s) => s.at);
  const statuses = (): string[] => sent.flatMap((s) => s.text.split('\n').filter((l) => l.startsWith('STATUS=')).map((l) => l.slice('STATUS='.length)));
  return { clock, agent, sent, logger, supervisor, run, pings, statuses };
}

void t.test('READY=1 only after agent.ready resolves, with the STATUS of that moment', async (t) => {
  const r = rig();
  r.supervisor.start();
  await settle();
  r.agent.phase = 'awaiting-welcome';
  await r.run(3000);
  // The runner may say 'ready' a moment before the ready promise settles: STATUS does not claim it yet.
  r.agent.phase = 'ready';
  await r.run(2000);
  t.notOk(r.sent.some((s) => s.text.includes('READY=1')), 'no READY=1 before agent.ready resolves');
  t.notOk(r.statuses().includes('ready: waiting for a customer'), 'no "ready" STATUS either');
  r.agent.resolveReady();
  await settle();
  const ready = r.sent.filter((s) => s.text.includes('READY=1'));
  t.equal(ready.length, 1);
  t.equal(ready[0]!.text, 'READY=1\nSTATUS=ready: waiting for a customer\n');
  await r.run(5000);
  t.equal(r.sent.filter((s) => s.text.includes('READY=1')).length, 1, 'READY=1 once');
  r.supervisor.stop();
});

void t.test('a refused kiosk or reader never sends READY=1; STATUS says why', async (t) => {
  const r = rig();
  r.supervisor.start();
  r.supervisor.event({ type: 'reader-refused', reader: 'sim-1', reason: 'identity-mismatch' });
  r.agent.phase = 'reader-refused';
  r.agent.rejectReady(new KioskError('READER_REFUSED', 'reader refused'));
  await settle();
  await r.run(1000);
  t.notOk(r.sent.some((s) => s.text.includes('READY=1')));
  t.equal(r.statuses().at(-1), 'reader refused: identity-mismatch');
  r.supervisor.event({ type: 'refused', reason: 'Kiosk Revoked\n', message: 'card data never goes here' });
  r.agent.phase = 'refused';
  await r.run(1000);
  t.equal(r.statuses().at(-1), 'refused: kiosk-revoked (issuance not possible here)', 'the reason code only, reduced to [a-z0-9-]');
  r.supervisor.stop();
});

void t.test('WATCHDOG=1 every half of WATCHDOG_USEC while healthy', async (t) => {
  const r = rig({ WATCHDOG_USEC: '10000000' });
  r.supervisor.start();
  await r.run(30_000);
  t.same(r.pings(), [5000, 10_000, 15_000, 20_000, 25_000, 30_000], '10 s watchdog: a ping every 5 s');
  r.supervisor.stop();
  const r2 = rig({ WATCHDOG_USEC: '3000000' });
  r2.supervisor.start();
  await r2.run(6000);
  t.same(r2.pings(), [1500, 3000, 4500, 6000], '3 s watchdog: every 1.5 s');
  r2.supervisor.stop();
});

void t.test('no WATCHDOG=1 while the runner is wedged; they resume when it moves; STATUS says so', async (t) => {
  const r = rig({ WATCHDOG_USEC: '2000000' }, 25_000);
  r.supervisor.start();
  r.agent.resolveReady();
  r.agent.phase = 'writing';
  await r.run(4000);
  t.same(r.pings(), [1000, 2000, 3000, 4000]);
  r.agent.wedged = true;
  await r.run(10_000);
  t.same(r.pings(), [1000, 2000, 3000, 4000], 'no ping for 10 s: systemd would abort the service after 2 s');
  t.equal(r.statuses().filter((s) => s.startsWith('wedged')).length, 1, 'the wedged STATUS is sent once, not every poll');
  t.equal(r.statuses().at(-1), 'wedged: no progress in phase writing; watchdog pings withheld');
  t.equal(r.logger.lines.filter((l) => l.includes('runner wedged')).length, 1, 'logged once');
  t.ok(r.agent.healthAsked.every((ms) => ms === 25_000), 'the configured wedge threshold is passed to health()');
  r.agent.wedged = false;
  await r.run(2000);
  t.same(r.pings().slice(4), [15_000, 16_000]);
  t.equal(r.statuses().at(-1), 'writing card');
  r.supervisor.stop();
});

void t.test('STATUS follows the phase and is sent only when it changes', async (t) => {
  const r = rig({});
  r.supervisor.start();
  r.agent.phase = 'ready';
  r.agent.resolveReady();
  await settle();
  for (const phase of ['ready', 'requesting', 'card', 'writing', 'verifying', 'ready', 'offline']) {
    r.agent.phase = phase;
    await r.run(3000);
  }
  t.same(r.statuses(), [
    'offline: connecting to the issuing center',
    'ready: waiting for a customer',
    'serving a customer: checking the request',
    'serving a customer: taking and authenticating a card',
    'writing card',
    'verifying the written card',
    'ready: waiting for a customer',
    'offline: connecting to the issuing center',
  ]);
  t.same(r.pings(), [], 'no WATCHDOG_USEC: no pings');
  r.supervisor.stop();
});

void t.test('an event refreshes STATUS at once, without waiting for the poll', async (t) => {
  const r = rig({});
  r.supervisor.start();
  r.agent.resolveReady();
  await settle();
  r.agent.phase = 'card';
  r.supervisor.event({ type: 'insert-card', job: 'j', attempt: 1, recover: false });
  t.equal(r.statuses().at(-1), 'serving a customer: taking and authenticating a card');
  r.supervisor.stop();
});

void t.test('stop: STOPPING=1 once, then nothing; no timer is left behind', async (t) => {
  const r = rig({ WATCHDOG_USEC: '2000000' });
  r.supervisor.start();
  await r.run(2000);
  r.supervisor.stop();
  r.supervisor.stop();
  await settle();
  const at = r.sent.length;
  t.equal(r.sent.at(-1)?.text, 'STOPPING=1\nSTATUS=stopping\n');
  t.equal(r.sent.filter((s) => s.text.includes('STOPPING=1')).length, 1);
  r.agent.resolveReady();
  await r.run(5000);
  t.equal(r.sent.length, at, 'no READY, STATUS or WATCHDOG after STOPPING');
  t.equal(r.clock.pending, 0, 'the timers are gone');
});

void t.test('KioskService (the CLI side): bad WATCHDOG_USEC refused at start; events teed; STOPPING=1 even before an agent', async (t) => {
  const deps = { pid: 7, clock: new FakeClock(), logger: memoryLogger() };
  try {
    KioskService.fromEnv({ NOTIFY_SOCKET: '/run/n', WATCHDOG_USEC: '30s' }, { ...deps, loadTransport: () => ({ send: () => undefined }) });
    t.fail('accepted WATCHDOG_USEC=30s');
  } catch (e) {
    t.ok(isSystemdError(e, 'WATCHDOG_USEC_INVALID'), String(e));
  }
  const sent: string[] = [];
  const service = KioskService.fromEnv({ NOTIFY_SOCKET: '@n', WATCHDOG_USEC: '2000000' }, { ...deps, loadTransport: () => ({ send: (d) => sent.push(d) }) });
  service.status('starting: opening the card station');
  const seen: KioskEvent[] = [];
  const sink = service.events((e) => seen.push(e));
  sink({ type: 'connected' });
  t.same(seen, [{ type: 'connected' }], 'the screen still gets every event');
  service.stop();
  service.stop();
  service.status('late');
  t.same(sent, ['STATUS=starting: opening the card station\n', 'STOPPING=1\nSTATUS=stopping\n']);
  const agent = new ScriptedAgent();
  const quiet = KioskService.fromEnv({}, deps);
  quiet.supervise(agent);
  agent.resolveReady();
  await settle();
  quiet.stop();
  t.notOk(quiet.notifier.enabled, 'no NOTIFY_SOCKET: nothing to send to');
});

void t.test('wedge threshold: twice the APDU timeout + 5 s; a plain PC/SC reader adds its wait for the customer', async (t) => {
  t.equal(wedgeThresholdMs({ apduTimeoutMs: 10_000, station: { kind: 'sim', dir: '/s' } }), 25_000);
  t.equal(wedgeThresholdMs({ apduTimeoutMs: 10_000, station: { kind: 'serial', path: '/dev/ttyUSB0', baudRate: 115200 } }), 25_000);
  t.equal(wedgeThresholdMs({ apduTimeoutMs: 10_000, station: { kind: 'pcsc', reader: undefined } }), 25_000 + PCSC_CUSTOMER_WAIT_MS);
  // Through KioskService: the threshold reaches agent.health().
  const agent = new ScriptedAgent();
  const clock = new FakeClock();
  const service = KioskService.fromEnv({ NOTIFY_SOCKET: '@n', WATCHDOG_USEC: '2000000' }, { pid: 7, clock, logger: memoryLogger(), loadTransport: () => ({ send: () => undefined }) });
  service.supervise(agent, { wedgedAfterMs: 85_000 });
  clock.advance(1000);
  await settle();
  service.stop();
  t.ok(agent.healthAsked.length > 0 && agent.healthAsked.every((ms) => ms === 85_000));
});
