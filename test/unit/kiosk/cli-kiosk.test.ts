/**
 * `cardline kiosk` through the dispatcher: usage errors, a config error
 * naming the key, and one customer over a simulated station (SimStation)
 * and a scripted center on an in-memory MQTT client: the code is read from
 * stdin, never printed, and the exit code follows the outcome.
 */
import t from 'tap';
import { PassThrough } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../../card/bytes.js';
import { FakeClock } from '../../../common/clock.js';
import { makeKioskCommand } from '../../../cli/commands/kiosk.js';
import { runCommands, type CliRun } from '../../fixtures/cli-run.js';
import { SimKeypad } from '../../../hardware/sim/sim-keypad.js';
import { SimStation } from '../../../hardware/sim/sim-station.js';
import { readKeyFile } from '../../../common/key-files.js';
import { signRegistry } from '../../../wire/registry.js';
import { encodeCommand, parseResponse } from '../../../card/apdu.js';
import { hex } from '../../../card/bytes.js';
import { diversifyKdf3 } from '../../../card/diversify.js';
import { getData } from '../../../card/gp/get-data.js';
import { parseInitializeUpdateResponse } from '../../../card/gp/initialize-update.js';
import { HostSecureChannel } from '../../../card/scp03/index.js';
import { CODE, JOB, NOW } from './fakes.js';
import { CenterOnTheWire, ID, pki, type SubTest } from './wire-center.js';

// A unit test spawns nothing: the core-dump limit (prlimit on this process) is the integration test's (systemd-kiosk.test.ts).
const noCoreLimit = (): Promise<{ soft: number; hard: number }> => Promise.resolve({ soft: 0, hard: 0 });
const cli = (args: string[], deps: Parameters<typeof makeKioskCommand>[0]): Promise<CliRun> =>
  runCommands(args, [makeKioskCommand({ disableCoreDumps: noCoreLimit, ...deps })], { clock: new FakeClock(NOW) });

void t.test('usage: required options, and a bad broker URL names the key', async (t) => {
  const stdin = (): PassThrough => new PassThrough();
  const r1 = await cli(['kiosk', '--broker', 'mqtts://127.0.0.1:1', '--station', '/s'], { stdin });
  t.equal(r1.code, 2);
  t.match(r1.err, /--identity is required/);
  const r2 = await cli(['kiosk', '--identity', '/i', '--broker', 'http://127.0.0.1:1', '--station', '/s'], { stdin });
  t.equal(r2.code, 1);
  t.match(r2.err, /CONFIG_INVALID: config key 'brokerUrl'/);
});

/** A station with `count` cards and a registry that approves its reader. */
async function simStation(t: SubTest, centerSecret: Uint8Array, kmc: Uint8Array) {
  const dir = await mkdtemp(join(tmpdir(), 'cardline-kiosk-station-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const station = await SimStation.create({ dir, count: 2, stockMasterKey: kmc });
  const readerId = station.identity.id;
  await station.close();
  const readerPub = await readKeyFile(join(dir, 'reader.pub'), 32);
  const registry = signRegistry({ v: 2, kiosk: ID, version: 1, issuedAt: NOW, readers: [{ id: readerId, kind: 'sim', vendor: 'cardline', product: 'sim-reader', serial: readerId, publicKey: toHex(readerPub) }] }, centerSecret);
  return { dir, readerId, registry };
}

void t.test('a real simulated card: the center authenticates it over the relay, the script runs in its secure channel, exit 0', async (t) => {
  const p = await pki(t);
  const kmc = new Uint8Array(16).fill(9);
  const sim = await simStation(t, p.centerSecret, kmc);
  const stdin = new PassThrough();
  stdin.end(`${CODE}\n`);
  const hostChallenge = hex('1122334455667788');
  const isd = hex('A000000151000000');
  let channel: HostSecureChannel | undefined;
  let iuSeen: Uint8Array | undefined;
  let client: CenterOnTheWire | undefined;
  const r = await cli(['kiosk', '--identity', p.kioskDir, '--machine-secret', p.machineSecret, '--broker', 'mqtts://127.0.0.1:18883', '--station', sim.dir, '--request', 'app-1', '--once'], {
    stdin: () => stdin,
    mqttConnect: () => {
      client = new CenterOnTheWire(new FakeClock(NOW), p.centerSecret, p.kioskPublic, (m, reply) => {
        if (m.type === 'hello') reply('welcome', { registry: sim.registry });
        if (m.type === 'request') reply('insert-card', { job: JOB, attempt: 1, challenge: toHex(hostChallenge), sdAid: toHex(isd), kvn: 0, recover: false });
        if (m.type === 'card') {
          // S260 at the center: the card's keys from the stock master key and its KDD; the cryptogram is checked in open().
          const iu = hex(m.body.iu ?? '');
          iuSeen = iu;
          const { kdd, kvn } = parseInitializeUpdateResponse(iu);
          channel = HostSecureChannel.open({ keys: { ...diversifyKdf3(kmc, kdd), kvn }, hostChallenge, initUpdateResponse: iu, securityLevel: 0x33, aid: isd });
          const apdus = [channel.externalAuthenticate(), channel.wrap(getData(0x9f7f))].map((c) => toHex(encodeCommand(c)));
          reply('script', { job: JOB, attempt: 1, kind: 'write', stop: 'first-error', apdus, summary: { storeDataBlocks: 0, dgis: 0 } });
        }
        if (m.type === 'result') {
          const [ea, cplc] = m.body.responses.map((x) => parseResponse(hex(x)));
          const plain = cplc && channel ? channel.unwrap(cplc) : undefined;
          const ok = ea?.sw === 0x9000 && plain?.sw === 0x9000 && plain.data.length > 0;
          if (ok) reply('issued', { job: JOB, card: toHex(parseInitializeUpdateResponse(iuSeen!).kdd), sdAid: toHex(isd) });
          else reply('failed', { job: JOB, reason: 'verification' });
        }
      });
      const c = client;
      setImmediate(() => {
        c.connected = true;
        c.emit('connect');
      });
      return c;
    },
  });
  t.equal(r.code, 0, r.err);
  t.same(
    client?.ups.map((m) => m.type),
    ['hello', 'reader-report', 'request', 'card', 'result', 'card-done'],
  );
  t.same(client?.ups.at(-1)?.body, { job: JOB, action: 'ejected', ok: true });
  t.match(r.out, /Done: please take your card\./);
  const station = await SimStation.open(sim.dir);
  t.match(await station.status(), { cardAtStation: false, hopperRemaining: 1 }, 'the card left the station through the gate');
  await station.close();
});

void t.test('--request APP --once: code from stdin, refused by the center → exit 1; the code is never printed', async (t) => {
  const p = await pki(t);
  const { dir: stationDir, readerId, registry } = await simStation(t, p.centerSecret, new Uint8Array(16).fill(9));

  const stdin = new PassThrough();
  stdin.end(`${CODE}\n`);
  let client: CenterOnTheWire | undefined;
  const r = await cli(['kiosk', '--identity', p.kioskDir, '--machine-secret', p.machineSecret, '--broker', 'mqtts://127.0.0.1:18883', '--station', stationDir, '--request', 'app-1', '--once'], {
    stdin: () => stdin,
    mqttConnect: () => {
      client = new CenterOnTheWire(new FakeClock(NOW), p.centerSecret, p.kioskPublic, (m, reply) => {
        if (m.type === 'hello') reply('welcome', { registry });
        if (m.type === 'request') reply('request-refused', { reason: 'bad-credentials', attemptsLeft: 4 });
      });
      const c = client;
      setImmediate(() => {
        c.connected = true;
        c.emit('connect');
      });
      return c;
    },
  });
  t.equal(r.code, 1, r.err);
  t.same(
    client?.ups.map((m) => m.type),
    ['hello', 'reader-report', 'request'],
  );
  t.same(client?.ups[1]?.body, { reader: readerId, status: 'authenticated' }, 'the simulated reader signs the challenge');
  t.same(client?.ups[2]?.body, { application: 'app-1', code: CODE }, 'the code went to the center');
  t.match(r.out, /Card reader .* authenticated/);
  t.match(r.out, /Request refused: wrong application ID or code \(4 attempts left\)/);
  t.notOk(r.out.includes(CODE) || r.err.includes(CODE) || r.logs.includes(CODE), 'the code is nowhere on screen or in logs');
  t.same(client?.states, ['{"online":true}', '{"online":false}']);
});

/** One run of `cardline kiosk --keypad` with a SimKeypad; `registryOf` says which devices the center approves. */
async function keypadRun(t: SubTest, listKeypad: boolean) {
  const p = await pki(t);
  const kmc = new Uint8Array(16).fill(9);
  const dir = await mkdtemp(join(tmpdir(), 'cardline-kiosk-keypad-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const station = await SimStation.create({ dir, count: 1, stockMasterKey: kmc });
  const reader = { id: station.identity.id, kind: 'sim' as const, ...station.identity.descriptor, publicKey: station.identity.publicKeyHex };
  await station.close();
  const keypad = new SimKeypad({ descriptor: { vendor: '0c45', product: '7403', serial: 'KP0001' } });
  const readers = listKeypad ? [reader, { id: keypad.identity.id, kind: 'keypad' as const, ...keypad.identity.descriptor, publicKey: null }] : [reader];
  const registry = signRegistry({ v: 2, kiosk: ID, version: 1, issuedAt: NOW, readers }, p.centerSecret);
  let client: CenterOnTheWire | undefined;
  const r = await cli(['kiosk', '--identity', p.kioskDir, '--machine-secret', p.machineSecret, '--broker', 'mqtts://127.0.0.1:18883', '--station', `sim:${dir}`, '--keypad', 'hid:0c45:7403', '--request', 'app-1', '--once', '--exit-on-refused'], {
    stdin: () => {
      throw new Error('stdin must not be read when a keypad is given');
    },
    openKeypad: (spec) => {
      t.equal(spec, 'hid:0c45:7403', 'the keypad spec reaches the opener');
      return Promise.resolve(keypad);
    },
    mqttConnect: () => {
      client = new CenterOnTheWire(new FakeClock(NOW), p.centerSecret, p.kioskPublic, (m, reply) => {
        if (m.type === 'hello') reply('welcome', { registry });
        // The customer types once both devices are reported (keys pressed before a prompt are dropped).
        if (m.type === 'reader-report' && m.body.reader === keypad.identity.id) setTimeout(() => keypad.type('4242'), 50);
        if (m.type === 'request') reply('request-refused', { reason: 'bad-credentials', attemptsLeft: 4 });
      });
      const c = client;
      setImmediate(() => {
        c.connected = true;
        c.emit('connect');
      });
      return c;
    },
  });
  return { r, ups: client?.ups ?? [], keypad, reader };
}

void t.test('--keypad: the keypad is authenticated by identity match and the code is typed on it', async (t) => {
  const { r, ups, keypad, reader } = await keypadRun(t, true);
  t.equal(r.code, 1, 'refused by the center: exit 1');
  t.same(
    ups.map((m) => m.type),
    ['hello', 'reader-report', 'reader-report', 'request'],
  );
  t.same(ups[1]?.body, { reader: reader.id, status: 'authenticated' });
  t.same(ups[2]?.body, { reader: keypad.identity.id, status: 'authenticated' }, 'the keypad, by identity match');
  t.same(ups[3]?.body, { application: 'app-1', code: '4242' }, 'the code typed on the keypad went to the center');
  t.notOk(r.out.includes('4242') || r.logs.includes('4242'), 'the typed code is nowhere on screen or in logs');
  t.equal(keypad.attached, false, 'the keypad was closed at exit');
});

void t.test('--keypad: a keypad the registry does not list is refused, reported, and nobody is served', async (t) => {
  const { r, ups, keypad, reader } = await keypadRun(t, false);
  t.equal(r.code, 1);
  t.same(
    ups.filter((m) => m.type === 'reader-report').map((m) => m.body),
    [
      { reader: reader.id, status: 'authenticated' },
      { reader: keypad.identity.id, status: 'refused', reason: 'unknown-reader' },
    ],
  );
  t.notOk(
    ups.some((m) => m.type === 'request'),
    'no request was sent',
  );
  t.match(r.logs, /reader refused.*unknown-reader/);
});
