/**
 * The external broker's pure parts (center/broker/external/): the dynsec
 * request/response matcher (correlation, timeouts, malformed answers),
 * presence from state messages, the reconciler's commands and passes, the
 * SIGHUP CRL reload, and the link's kick; and the CLI's broker options.
 */
import t from 'tap';
import { BrokerError, isBrokerError } from '../../../center/broker/errors.js';
import { crlReloader, type SighupDeps } from '../../../center/broker/external/crl-reload.js';
import { CONTROL_TOPIC, DynsecControl, parseResponses, type DynsecAnswer, type DynsecCommand } from '../../../center/broker/external/dynsec-control.js';
import { ExternalBrokerLink } from '../../../center/broker/external/link.js';
import { KioskPresence, parseState } from '../../../center/broker/external/presence.js';
import { diff, DynsecReconciler, turnOff, turnOn } from '../../../center/broker/external/reconciler.js';
import { parseBrokerUrl } from '../../../center/broker/external/start.js';
import { kioskRole } from '../../../center/broker/mosquitto/dynsec.js';
import type { Sql } from '../../../center/store/db.js';
import { brokerOption } from '../../../cli/center/broker-option.js';
import { UsageError } from '../../../cli/command.js';
import { FakeClock } from '../../../common/clock.js';
import { recordingLogger } from '../../fixtures/recording-log.js';

/** A publisher that records what was published and can answer it as the plugin would. */
function fakeBroker(): { sent: { topic: string; commands: (DynsecCommand & { correlationData: string })[] }[]; publish: (topic: string, payload: string, o: unknown, cb: (err?: Error) => void) => void; fail?: Error } {
  const b = {
    sent: [] as { topic: string; commands: (DynsecCommand & { correlationData: string })[] }[],
    fail: undefined as Error | undefined,
    publish(topic: string, payload: string, _o: unknown, cb: (err?: Error) => void): void {
      b.sent.push({ topic, commands: (JSON.parse(payload) as { commands: (DynsecCommand & { correlationData: string })[] }).commands });
      queueMicrotask(() => cb(b.fail));
    },
  };
  return b;
}

const answer = (responses: object[]): Buffer => Buffer.from(JSON.stringify({ responses }));
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

void t.test('DynsecControl: answers matched by correlation data; others ignored; timeout and send failure reject, nothing waits forever', async (t) => {
  const clock = new FakeClock(0);
  const b = fakeBroker();
  const c = new DynsecControl(b, { clock, prefix: 'w1-1', timeoutMs: 500 });
  const p = c.run([{ command: 'getClient', username: 'k1' }, { command: 'disableClient', username: 'k1' }]);
  await tick();
  t.equal(b.sent[0]?.topic, CONTROL_TOPIC);
  const [a1, a2] = b.sent[0]!.commands;
  t.match(a1!.correlationData, /^w1-1\.\d+$/);
  // Another worker's answers, an answer without correlation, and garbage: ignored.
  c.onResponse(answer([{ command: 'disableClient', correlationData: 'w2-9.1' }, { command: 'getClient' }]));
  c.onResponse(Buffer.from('not json'));
  c.onResponse(answer([{ command: 7, correlationData: a1!.correlationData }]));
  t.equal(c.waiting, 2);
  c.onResponse(answer([{ command: 'getClient', data: { client: { username: 'k1' } }, correlationData: a1!.correlationData }, { command: 'disableClient', error: 'Client not found', correlationData: a2!.correlationData }]));
  t.same(await p, [{ command: 'getClient', data: { client: { username: 'k1' } } }, { command: 'disableClient', error: 'Client not found' }] satisfies DynsecAnswer[]);
  t.equal(c.waiting, 0);

  const late = c.run([{ command: 'listClients' }]);
  await tick();
  clock.advance(500);
  await t.rejects(late, { name: 'BrokerError', code: 'DYNSEC_TIMEOUT' }, 'no answer within timeoutMs');
  t.equal(c.waiting, 0, 'the timed-out command is forgotten');

  b.fail = new Error('client disconnecting');
  await t.rejects(c.run([{ command: 'listClients' }]), { code: 'CONNECT' }, 'a publish that fails rejects at once');
  t.equal(clock.pending, 0, 'no timer left behind');
  t.same(await c.run([]), []);
});

void t.test('parseResponses keeps only well-formed entries', (t) => {
  t.same(parseResponses(Buffer.from(JSON.stringify({ responses: [{ command: 'a', error: 5 }, { command: 'b', correlationData: 1 }, null, { command: 'c' }] }))), [{ command: 'c' }]);
  t.same(parseResponses(Buffer.from('{"responses":{}}')), []);
  t.end();
});

void t.test('presence: exactly {"online":<boolean>} counts; anything else is refused and logged without its content', (t) => {
  const log = recordingLogger('t');
  const gone: string[] = [];
  const p = new KioskPresence(log, { onGone: (k) => gone.push(k) });
  t.ok(p.onState('kiosk/k1/state', Buffer.from('{"online":true}')));
  t.ok(p.has('k1'));
  for (const bad of ['{"online":"yes"}', '{"online":true,"x":1}', '[true]', 'true', 'secret-garbage', `{"online":${' '.repeat(80)}true}`]) {
    t.ok(p.onState('kiosk/k2/state', Buffer.from(bad)), 'a state topic is consumed');
  }
  t.notOk(p.has('k2'), 'no malformed payload made k2 online');
  t.equal(log.matching(/kiosk state message refused/).length, 6);
  t.notOk(log.lines.some((l) => l.includes('secret-garbage')), 'the payload is never logged');
  t.notOk(p.onState('kiosk/k1/up', Buffer.from('{"online":false}')), 'not a state topic: left to the caller');
  t.notOk(p.onState('kiosk/+/state', Buffer.from('{"online":true}')));
  p.onState('kiosk/k1/state', Buffer.from('{"online":false}'));
  t.notOk(p.has('k1'));
  t.same(gone, ['k1']);
  t.equal(parseState(Buffer.alloc(0)), false, 'a cleared retained message is offline');
  t.end();
});

void t.test('reconciler commands: the role is the generator\'s; off removes the role before disabling', (t) => {
  const on = turnOn('k1');
  t.same(on[0], { command: 'createRole', rolename: 'kiosk-k1', acls: kioskRole('k1').acls }, 'the role of center/broker/mosquitto/dynsec.ts');
  t.same(on.map((c) => c.command), ['createRole', 'createClient', 'removeClientRole', 'addClientRole', 'enableClient']);
  t.same(turnOff('k1').map((c) => c.command), ['removeClientRole', 'disableClient']);
  t.same(diff('k1', 'on', { disabled: false, roles: ['kiosk-k1'] }), [], 'nothing when already so');
  t.same(diff('k1', 'off', undefined), [], 'an unknown client already has nothing');
  t.same(diff('k1', 'off', { disabled: false, roles: ['kiosk-k1'] }).map((c) => c.command), ['removeClientRole', 'disableClient']);
  t.same(diff('k1', 'off', { disabled: true, roles: [] }), []);
  t.same(diff('k1', 'on', { disabled: true, roles: [] }).map((c) => c.command), ['createRole', 'addClientRole', 'enableClient']);
  t.end();
});

/** A registry of (id, status) rows and a control that records commands and answers as scripted. */
function reconcilerRig(rows: { id: string; status: string }[], clients: object[], online: Set<string> = new Set()): { r: DynsecReconciler; runs: DynsecCommand[][]; clock: FakeClock; off: string[]; errors: Map<string, string> } {
  const runs: DynsecCommand[][] = [];
  const errors = new Map<string, string>();
  const db = { query: () => Promise.resolve({ rows }) } as unknown as Sql;
  const control = {
    run: (cmds: readonly DynsecCommand[]): Promise<DynsecAnswer[]> => {
      runs.push([...cmds]);
      return Promise.resolve(cmds.map((c) => (c.command === 'listClients' ? { command: c.command, data: { clients } } : { command: c.command, ...(errors.has(c.command) ? { error: errors.get(c.command)! } : {}) })));
    },
  };
  const clock = new FakeClock(0);
  const off: string[] = [];
  return { r: new DynsecReconciler({ db, clock, logger: recordingLogger('t'), control, onOff: (k) => off.push(k), isOnline: (k) => online.has(k), fullEveryMs: 10_000 }), runs, clock, off, errors };
}

void t.test('reconciler passes: a full pass sends only differences; later passes act on changed statuses; unexpected errors reject', async (t) => {
  const rows = [
    { id: 'k1', status: 'active' },
    { id: 'k2', status: 'active' },
    { id: 'k3', status: 'revoked' },
  ];
  const x = reconcilerRig(rows, [{ username: 'cardline-center', roles: [{ rolename: 'cardline-center' }] }, { username: 'k1', roles: [{ rolename: 'kiosk-k1' }] }, { username: 'k3', roles: [{ rolename: 'kiosk-k3' }] }]);
  await x.r.pass();
  t.same(x.runs[0]?.map((c) => c.command), ['listClients']);
  t.same(
    x.runs[1]?.map((c) => `${c.command}:${String(c.username ?? c.rolename)}`),
    ['createRole:kiosk-k2', 'createClient:k2', 'removeClientRole:k2', 'addClientRole:k2', 'enableClient:k2', 'removeClientRole:k3', 'disableClient:k3'],
    'k2 added, k3 turned off, k1 untouched, the center untouched',
  );
  t.ok(x.r.isOff('k3'));
  t.same(x.off, ['k3']);
  x.runs.length = 0;
  await x.r.pass();
  t.same(x.runs, [], 'nothing changed: nothing sent, no listClients before fullEveryMs');
  rows[0]!.status = 'revoked';
  await x.r.pass();
  t.same(x.runs[0]?.map((c) => `${c.command}:${String(c.username)}`), ['removeClientRole:k1', 'disableClient:k1'], 'revoked by another process: turned off');
  t.same(x.off, ['k3', 'k1']);
  x.runs.length = 0;
  x.clock.advance(10_000);
  x.errors.set('createRole', 'Role already exists');
  x.errors.set('createClient', 'Client already exists');
  rows[1]!.status = 'active';
  await x.r.pass();
  t.same(x.runs[0]?.map((c) => c.command), ['listClients'], 'a full pass again after fullEveryMs');

  // An online kiosk to turn off is the watcher's (a decommissioned one is told to wipe first): left until it is gone.
  const online = new Set(['k5']);
  const z = reconcilerRig([{ id: 'k5', status: 'decommissioned' }], [{ username: 'k5', roles: [{ rolename: 'kiosk-k5' }] }], online);
  await z.r.pass();
  t.same(z.runs.map((r) => r.map((c) => c.command)), [['listClients']], 'online: not turned off by the reconciler');
  t.notOk(z.r.isOff('k5'));
  online.delete('k5');
  await z.r.pass();
  t.same(z.runs.at(-1)?.map((c) => c.command), ['removeClientRole', 'disableClient'], 'once offline: turned off');

  const y = reconcilerRig([{ id: 'k9', status: 'active' }], []);
  y.errors.set('addClientRole', 'Internal error');
  await t.rejects(y.r.pass(), { name: 'BrokerError', code: 'DYNSEC_REFUSED' });
  y.errors.clear();
  await y.r.pass();
  t.same(y.runs.at(-1)?.map((c) => c.command), ['createRole', 'createClient', 'removeClientRole', 'addClientRole', 'enableClient'], 'a failed pass is retried whole');
});

void t.test('link: disconnectKiosk kicks through dynsec, counts a kick once, forgets the presence', async (t) => {
  const log = recordingLogger('t');
  const presence = new KioskPresence(log);
  presence.onState('kiosk/k1/state', Buffer.from('{"online":true}'));
  const runs: DynsecCommand[][] = [];
  let enabled = true;
  const control = {
    run: (cmds: readonly DynsecCommand[]): Promise<DynsecAnswer[]> => {
      runs.push([...cmds]);
      const was = enabled;
      enabled = false;
      return Promise.resolve(cmds.map((c) => (c.command === 'getClient' ? { command: 'getClient', data: { client: { username: c.username, roles: was ? [{ rolename: 'kiosk-k1' }] : [], ...(was ? {} : { disabled: true }) } } } : { command: c.command })));
    },
  };
  const x = reconcilerRig([], []);
  const offline: string[] = [];
  const link = new ExternalBrokerLink({ presence, control, reconciler: x.r, reloadCrl: () => undefined, publishOffline: (id) => void offline.push(id), logger: log });
  t.same(link.connectedKiosks(), ['k1']);
  t.equal(await link.disconnectKiosk('k1'), true);
  t.same(runs[0]?.map((c) => c.command), ['getClient', 'removeClientRole', 'disableClient']);
  t.same(offline, ['k1'], 'the kick is followed by the retained offline state (the plugin kicks without the will)');
  t.notOk(link.isKioskConnected('k1'));
  t.same(link.connectedKiosks(), []);
  presence.onState('kiosk/k1/state', Buffer.from('{"online":true}'));
  t.notOk(link.isKioskConnected('k1'), 'an online state from a turned-off kiosk does not make it connected');
  t.equal(await link.disconnectKiosk('k1'), false, 'already off: not counted again');
  t.equal(await link.disconnectKiosk('k7'), false, 'never seen: false');

  const refusing = new ExternalBrokerLink({ presence, control: { run: (c) => Promise.resolve(c.map((x) => ({ command: x.command, error: 'Internal error' }))) }, reconciler: x.r, reloadCrl: () => undefined, publishOffline: (id) => void offline.push(`refused ${id}`), logger: log });
  await t.rejects(refusing.disconnectKiosk('k1'), { code: 'DYNSEC_REFUSED' });
  t.notOk(offline.some((o) => o.startsWith('refused')), 'no offline state when the kick was refused');
});

void t.test('CRL reload: SIGHUP to the pid file\'s mosquitto; a missing, bad or foreign pid is a PID_FILE error; no pid file is a warning', (t) => {
  const log = recordingLogger('t');
  const killed: [number, string][] = [];
  const deps = (file: string | Error, name: string | undefined): SighupDeps => ({
    readFile: () => {
      if (file instanceof Error) throw file;
      return file;
    },
    processName: () => name,
    kill: (pid, s) => killed.push([pid, s]),
  });
  crlReloader('/run/m.pid', log, deps('4242\n', 'mosquitto'))();
  t.same(killed, [[4242, 'SIGHUP']]);
  t.ok(log.matching(/broker told to reload its CRL/).length === 1);
  const enoent = Object.assign(new Error('nope'), { code: 'ENOENT' });
  t.throws(() => crlReloader('/run/m.pid', log, deps(enoent, 'mosquitto'))(), { name: 'BrokerError', code: 'PID_FILE', message: /cannot be read: ENOENT/ });
  t.throws(() => crlReloader('/run/m.pid', log, deps('12x', 'mosquitto'))(), { code: 'PID_FILE', message: /does not hold a process id/ });
  t.throws(() => crlReloader('/run/m.pid', log, deps('1', 'mosquitto'))(), { code: 'PID_FILE' });
  t.throws(() => crlReloader('/run/m.pid', log, deps('4243', 'postgres'))(), { code: 'PID_FILE', message: /not mosquitto: not signalled/ });
  t.equal(killed.length, 1, 'nothing else was signalled');
  crlReloader(undefined, log)();
  t.equal(log.matching(/no broker pid file configured/).length, 1);
  t.ok(isBrokerError(new BrokerError('PID_FILE', 'x'), 'PID_FILE'));
  t.end();
});

void t.test('broker URL and CLI options', (t) => {
  t.same(parseBrokerUrl('mqtts://broker.site:8883'), { host: 'broker.site', port: 8883 });
  t.same(parseBrokerUrl('mqtts://[::1]:8883'), { host: '[::1]', port: 8883 });
  for (const bad of ['mqtt://h:1883', 'mqtts://h', 'mqtts://h:0', 'mqtts://h:70000', 'mqtts://h:1/x', 'mqtts://u@h:1']) t.throws(() => parseBrokerUrl(bad), RangeError, bad);
  t.same(brokerOption({}), { kind: 'embedded', host: '127.0.0.1', port: 8883 });
  t.same(brokerOption({ host: '0.0.0.0', port: '0' }), { kind: 'embedded', host: '0.0.0.0', port: 0 });
  t.same(brokerOption({ broker: 'mqtts://b:8883', 'broker-pid-file': '/run/mosquitto.pid', worker: 'w-2' }), { kind: 'external', url: 'mqtts://b:8883', pidFile: '/run/mosquitto.pid', worker: 'w-2' });
  const usage = [{ broker: 'mqtts://b:1', port: '1' }, { broker: 'mqtts://b:1', host: 'x' }, { worker: 'w' }, { 'broker-pid-file': '/p' }, { broker: 'mqtts://b:1', worker: 'a b' }, { broker: 'mqtts://b:1', 'broker-pid-file': 'rel.pid' }, { broker: 'tcp://b:1' }, { port: '65536' }];
  for (const o of usage) t.throws(() => brokerOption(o), UsageError, JSON.stringify(o));
  t.end();
});
