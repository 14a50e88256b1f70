/**
 * The terminal front end: one human line per event, prompts for the
 * application ID and the code, and the code never printed (nor echoed: on
 * a TTY it is read in raw mode). Also the line reader's edge cases and the
 * config schema.
 */
import t from 'tap';
import { PassThrough } from 'node:stream';
import { decodeKioskConfig } from '../../../kiosk/config.js';
import type { KioskEvent } from '../../../kiosk/events.js';
import { LineInput } from '../../../kiosk/front/line-input.js';
import { describeEvent, runTerminal, terminalEvents } from '../../../kiosk/front/terminal.js';
import type { KioskOutcome } from '../../../kiosk/runner-context.js';
import { CODE, JOB } from './fakes.js';

const ALL_EVENTS: KioskEvent[] = [
  { type: 'connected' },
  { type: 'disconnected' },
  { type: 'session-open' },
  { type: 'reader-authenticated', reader: 'r1' },
  { type: 'reader-refused', reader: 'r1', reason: 'bad-signature' },
  { type: 'refused', reason: 'kiosk-revoked', message: 'Out of\u001b[2J service' },
  { type: 'request-sent' },
  { type: 'request-refused', reason: 'bad-credentials', attemptsLeft: 2 },
  { type: 'insert-card', job: JOB, attempt: 1, recover: false },
  { type: 'card-read', job: JOB },
  { type: 'card-authenticated', job: JOB, kind: 'write', apdus: 9 },
  { type: 'writing', job: JOB, index: 3, total: 9 },
  { type: 'verifying', job: JOB },
  { type: 'card-refused', job: JOB, reason: 'card-authentication' },
  { type: 'card-captured', job: JOB, ok: true },
  { type: 'issued', job: JOB, ok: true },
  { type: 'failed', job: JOB, reason: 'verification' },
  { type: 'error', code: 'hopper-empty' },
];

void t.test('every event is one printable line', (t) => {
  const out: string[] = [];
  const sink = terminalEvents((s) => out.push(s));
  for (const e of ALL_EVENTS) sink(e);
  t.equal(out.length, ALL_EVENTS.length);
  for (const line of out) {
    t.match(line, /^[^\n]+\n$/, 'one line');
    // eslint-disable-next-line no-control-regex
    t.notMatch(line.slice(0, -1), /[\u0000-\u001f\u007f]/, 'no control characters (the center cannot steer the terminal)');
  }
  t.match(describeEvent({ type: 'refused', reason: 'kiosk-revoked', message: 'Closed.' }), /^Issuance not possible here: kiosk-revoked\. Closed\.$/);
  t.match(describeEvent({ type: 'request-refused', reason: 'bad-credentials', attemptsLeft: 2 }), /wrong application ID or code \(2 attempts left\)/);
  t.match(describeEvent({ type: 'writing', job: JOB, index: 3, total: 9 }), /3\/9/);
  t.end();
});

function fakeAgent(outcome: KioskOutcome = { outcome: 'issued', job: JOB }) {
  const calls: { application: string; code: string }[] = [];
  return {
    calls,
    request: (application: string, code: string): Promise<KioskOutcome> => {
      calls.push({ application, code });
      return Promise.resolve(outcome);
    },
  };
}

void t.test('prompts for application and code, serves until EOF, never prints the code', async (t) => {
  const stdin = new PassThrough();
  const out: string[] = [];
  const agent = fakeAgent();
  stdin.end(`app-1\n${CODE}\n\napp-2\r\nSecond99\n`);
  const last = await runTerminal({ agent, input: new LineInput(stdin), write: (s) => out.push(s) });
  t.same(agent.calls, [
    { application: 'app-1', code: CODE },
    { application: 'app-2', code: 'Second99' },
  ]);
  t.same(last, { outcome: 'issued', job: JOB });
  const screen = out.join('');
  t.match(screen, /Application ID: /);
  t.match(screen, /One-time code: /);
  t.match(screen, /Result: issued/);
  t.notOk(screen.includes(CODE), 'the code is not on the screen');
  t.notOk(screen.includes('Second99'));
});

void t.test('--request: the application is fixed, one code line is read, then it ends', async (t) => {
  const stdin = new PassThrough();
  const agent = fakeAgent({ outcome: 'refused', reason: 'bad-credentials' });
  const out: string[] = [];
  stdin.write(`${CODE}\nMore\n`);
  const last = await runTerminal({ agent, input: new LineInput(stdin), write: (s) => out.push(s), application: 'app-9', once: true });
  t.same(agent.calls, [{ application: 'app-9', code: CODE }]);
  t.same(last, { outcome: 'refused', reason: 'bad-credentials' });
  t.notMatch(out.join(''), /Application ID/);
  t.match(out.join(''), /Result: refused \(bad-credentials\)/);
});

void t.test('on a TTY the code is read in raw mode (no echo), with backspace; Ctrl-C cancels', async (t) => {
  const stdin = Object.assign(new PassThrough(), { isTTY: true, modes: [] as boolean[] });
  const tty = Object.assign(stdin, { setRawMode: (m: boolean) => stdin.modes.push(m) });
  const input = new LineInput(tty);
  const code = input.readLine({ secret: true });
  t.same(stdin.modes, [true], 'raw mode while the code is typed');
  stdin.write('Ab\u007fc12\r');
  t.equal(await code, 'Ac12');
  t.same(stdin.modes, [true, false], 'cooked mode again afterwards');
  const plain = input.readLine();
  stdin.write('\nnext\n');
  t.equal(await plain, 'next', 'the LF of a split CRLF is not an empty line');
  const cancelled = input.readLine({ secret: true });
  stdin.write('12\u0003');
  t.equal(await cancelled, undefined);
  input.close();
});

void t.test('EOF without a newline still yields the last line; abort ends the loop', async (t) => {
  const stdin = new PassThrough();
  const input = new LineInput(stdin);
  stdin.end('tail');
  t.equal(await input.readLine(), 'tail');
  t.equal(await input.readLine(), undefined);

  const open = new PassThrough();
  const ac = new AbortController();
  const agent = fakeAgent();
  const run = runTerminal({ agent, input: new LineInput(open), write: () => undefined, signal: ac.signal });
  await new Promise((r) => setImmediate(r));
  ac.abort();
  t.equal(await run, undefined);
  t.same(agent.calls, []);
});

void t.test('config: defaults, and invalid values name their key', (t) => {
  const base = { identityDir: '/id', brokerUrl: 'mqtts://127.0.0.1:8883', station: '/st' };
  t.same(decodeKioskConfig(base), { ...base, station: { kind: 'sim', dir: '/st' }, keyStore: { kind: 'sealed-file', machineSecretFile: '/etc/cardline/machine-secret' }, requestTimeoutMs: 45_000, answerTimeoutMs: 35_000, apduTimeoutMs: 10_000, exitOnRefused: false, logLevel: 'info' });
  t.same(decodeKioskConfig({ ...base, station: 'serial:/dev/ttyUSB0@9600' }).station, { kind: 'serial', path: '/dev/ttyUSB0', baudRate: 9600 }, 'a serial dispenser by configuration');
  t.same(decodeKioskConfig({ ...base, station: 'pcsc:Virtual PCD 00 00' }).station, { kind: 'pcsc', reader: 'Virtual PCD 00 00' }, 'a PC/SC reader by configuration');
  const bad: [object, RegExp][] = [
    [{ ...base, brokerUrl: 'mqtt://127.0.0.1:1883' }, /'brokerUrl'/],
    [{ ...base, brokerUrl: 'mqtts://127.0.0.1' }, /'brokerUrl'/],
    [{ ...base, brokerUrl: 'mqtts://user:pw@127.0.0.1:8883' }, /'brokerUrl'/],
    [{ ...base, brokerUrl: 'mqtts://127.0.0.1:8883/x?y' }, /'brokerUrl'/],
    [{ ...base, kioskId: 'a/b' }, /'kioskId'/],
    [{ ...base, requestTimeoutMs: 5 }, /'requestTimeoutMs'/],
    [{ ...base, logLevel: 'verbose' }, /'logLevel'/],
    [{ ...base, colour: 'red' }, /'colour'/],
    [{ brokerUrl: base.brokerUrl, station: '/st' }, /'identityDir'/],
    [{ ...base, station: 'serial:/dev/ttyUSB0@300' }, /'station'.*baud rate/],
    [{ ...base, station: 'usb:x' }, /'station'.*unknown scheme/],
  ];
  for (const [input, key] of bad) t.throws(() => decodeKioskConfig(input), { code: 'CONFIG_INVALID', message: key });
  t.end();
});
