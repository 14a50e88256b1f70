/**
 * `cardline sim card` in process, against our own vpcd reader
 * (VpcdReaderTransport) on a random loopback port: the connected line, a
 * clean stop on abort, keys given directly or by master key, and the
 * --state rules (an existing image; key options must match it).
 */
import t from 'tap';
import { join } from 'node:path';
import { encodeCommand, parseResponse } from '../../../card/apdu.js';
import { hex, toHex } from '../../../card/bytes.js';
import { diversifyKdf3 } from '../../../card/diversify.js';
import { selectIsd } from '../../../card/gp/select.js';
import { HostSecureChannel } from '../../../card/scp03/host-channel.js';
import { initializeUpdateCommand, parseInitializeUpdateResponse } from '../../../card/scp03/initialize-update.js';
import { systemClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';
import { COMMANDS } from '../../../cli/commands/index.js';
import { runCli } from '../../../cli/run.js';
import { VpcdReaderTransport } from '../../../hardware/sim/vpcd/vpcd-reader.js';

const ENC = '00112233445566778899AABBCCDDEEFF';
const MAC = '102132435465768798A9BACBDCEDFE0F';
const DEK = '2F2E2D2C2B2A29282726252423222120';
const KEYS = `${ENC}:${MAC}:${DEK}`;
const CHALLENGE = hex('1122334455667788');

interface Run {
  out: string[];
  err: string[];
  logs: string[];
  stop(): void;
  done: Promise<number>;
}

function run(args: string[]): Run {
  const controller = new AbortController();
  const out: string[] = [];
  const err: string[] = [];
  const logger = memoryLogger();
  const done = runCli(args, COMMANDS, {
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    logger,
    clock: systemClock,
    env: {},
    signal: controller.signal,
  });
  return { out, err, logs: logger.lines, stop: () => controller.abort(), done };
}

function inserted(reader: VpcdReaderTransport): Promise<void> {
  if (reader.cardPresent) return Promise.resolve();
  return new Promise((r) => {
    const off = reader.on('inserted', () => {
      off();
      r();
    });
  });
}

/** Powers the card in `reader`, selects the ISD, INITIALIZE UPDATE; returns the response data. */
async function initUpdate(reader: VpcdReaderTransport, kvn = 0): Promise<Uint8Array> {
  await reader.powerOn();
  const sel = parseResponse(await reader.transmit(encodeCommand(selectIsd())));
  const iu = parseResponse(await reader.transmit(encodeCommand(initializeUpdateCommand(kvn, CHALLENGE))));
  if (sel.sw !== 0x9000 || iu.sw !== 0x9000) throw new Error(`SW ${sel.sw.toString(16)} / ${iu.sw.toString(16)}`);
  return iu.data;
}

function verifies(keys: { enc: Uint8Array; mac: Uint8Array; dek: Uint8Array }, iu: Uint8Array): boolean {
  const kvn = parseInitializeUpdateResponse(iu).kvn;
  try {
    HostSecureChannel.open({ keys: { ...keys, kvn }, hostChallenge: CHALLENGE, initUpdateResponse: iu, securityLevel: 0x01 }).close();
    return true;
  } catch {
    return false;
  }
}

const given = (): { enc: Uint8Array; mac: Uint8Array; dek: Uint8Array } => ({ enc: hex(ENC), mac: hex(MAC), dek: hex(DEK) });

void t.test('--keys, --kvn, --i, --state: connects, prints one line, answers, stops cleanly on abort', async (t) => {
  const reader = await VpcdReaderTransport.listen();
  t.teardown(() => reader.close());
  const state = join(t.testdir(), 'card.eeprom');
  const ins = inserted(reader);
  const r = run(['sim', 'card', '--vpcd', `127.0.0.1:${reader.port}`, '--keys', KEYS, '--kvn', '0x21', '--i', '60', '--state', state]);
  await ins;
  const iu = await initUpdate(reader);
  const parsed = parseInitializeUpdateResponse(iu);
  t.equal(parsed.kvn, 0x21, 'KVN from --kvn');
  t.equal(parsed.i, 0x60, 'i from --i');
  t.ok(verifies(given(), iu), 'the card has the keys given');
  t.equal(r.out.length, 1, 'one line');
  t.match(r.out[0], new RegExp(`^sim card [0-9A-F]+ connected to vpcd at 127\\.0\\.0\\.1:${reader.port} \\(ATR 3B[0-9A-F]+\\)\\n$`));
  r.stop();
  t.equal(await r.done, 0, 'exit 0 on abort');
  const all = [...r.out, ...r.err, ...r.logs].join('');
  for (const k of [ENC, MAC, DEK]) t.notMatch(all, new RegExp(k, 'i'), 'no key printed or logged');
});

void t.test('--master: keys are KDF3(KMC, KDD); no key options: the GP test key', async (t) => {
  const reader = await VpcdReaderTransport.listen();
  t.teardown(() => reader.close());
  const kmc = '000102030405060708090A0B0C0D0E0F';
  let ins = inserted(reader);
  let r = run(['sim', 'card', '--vpcd', `127.0.0.1:${reader.port}`, '--master', kmc]);
  await ins;
  let iu = await initUpdate(reader);
  t.ok(verifies(diversifyKdf3(hex(kmc), parseInitializeUpdateResponse(iu).kdd), iu), 'diversified from --master');
  t.notOk(verifies(given(), iu), 'not some other keys');
  r.stop();
  t.equal(await r.done, 0);
  await new Promise<void>((res) => (reader.cardPresent ? reader.on('removed', () => res()) : res()));

  ins = inserted(reader);
  r = run(['sim', 'card', '--vpcd', `127.0.0.1:${reader.port}`]);
  await ins;
  iu = await initUpdate(reader);
  const gp = hex('404142434445464748494A4B4C4D4E4F');
  t.ok(verifies({ enc: gp, mac: gp, dek: gp }, iu), 'GP test key by default');
  r.stop();
  t.equal(await r.done, 0);
});

void t.test('--state FILE that exists: loaded as is; key options must match it', async (t) => {
  const reader = await VpcdReaderTransport.listen();
  t.teardown(() => reader.close());
  const state = join(t.testdir(), 'card.eeprom');
  const vpcd = ['sim', 'card', '--vpcd', `127.0.0.1:${reader.port}`];
  const startAndStop = async (args: string[]): Promise<{ code: number; r: Run; serial?: string }> => {
    const ins = inserted(reader);
    const r = run([...vpcd, ...args]);
    const first = await Promise.race([ins.then(() => 'in' as const), r.done.then(() => 'done' as const)]);
    if (first === 'done') return { code: await r.done, r };
    const serial = /sim card ([0-9A-F]+)/.exec(r.out.join(''))?.[1];
    const removed = new Promise<void>((res) => reader.on('removed', () => res()));
    r.stop();
    const code = await r.done;
    await removed;
    return { code, r, ...(serial ? { serial } : {}) };
  };

  const made = await startAndStop(['--keys', KEYS, '--kvn', '5', '--state', state]);
  t.equal(made.code, 0, 'image created');
  const same = await startAndStop(['--keys', KEYS, '--kvn', '5', '--i', '70', '--state', state]);
  t.equal(same.code, 0, 'the same keys: accepted');
  t.equal(same.serial, made.serial, 'the same card came back');
  const bare = await startAndStop(['--state', state]);
  t.equal(bare.code, 0, 'no key options: accepted');

  const wrongKeys = await startAndStop(['--keys', `${DEK}:${MAC}:${ENC}`, '--state', state]);
  t.equal(wrongKeys.code, 2, 'other keys: usage error');
  t.match(wrongKeys.r.err.join(''), /--keys: not the keys of the card in .*card\.eeprom/);
  t.notMatch(wrongKeys.r.err.join(''), new RegExp(`${ENC}|${DEK}`), 'keys not echoed');
  const wrongMaster = await startAndStop(['--master', ENC, '--state', state]);
  t.equal(wrongMaster.code, 2);
  t.match(wrongMaster.r.err.join(''), /--master: not the keys/);
  const wrongKvn = await startAndStop(['--keys', KEYS, '--kvn', '6', '--state', state]);
  t.equal(wrongKvn.code, 2);
  t.match(wrongKvn.r.err.join(''), /--kvn 6: the card in .* has no key set of that version/);
  const wrongI = await startAndStop(['--i', '60', '--state', state]);
  t.equal(wrongI.code, 2);
  t.match(wrongI.r.err.join(''), /--i 60: the card in .* uses i=70/);
  const wrongDek = await startAndStop(['--keys', `${ENC}:${MAC}:${ENC}`, '--state', state]);
  t.equal(wrongDek.code, 2, 'only the DEK differs: still refused');

  // The image still opens with its own keys after all the refusals.
  const ins = inserted(reader);
  const r = run([...vpcd, '--state', state]);
  await ins;
  t.ok(verifies(given(), await initUpdate(reader, 5)), 'keys unchanged');
  r.stop();
  t.equal(await r.done, 0);
  t.equal(toHex(hex(made.serial ?? '')), made.serial ?? '', 'serial is hex');
});
