/**
 * `cardline sim station init|status` in process: the station it makes (the
 * cards' keys come from the master key file), the text and JSON output,
 * and the usage errors (exit 2) and failures (exit 1).
 */
import t from 'tap';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeClock } from '../../../common/clock.js';
import { memoryLogger } from '../../../common/log.js';
import { simStationInitCommand, simStationStatusCommand } from '../../../cli/commands/sim-station.js';
import { runCli } from '../../../cli/run.js';
import { SimStation } from '../../../hardware/sim/sim-station.js';
import { initUpdate, KMC, madeWith } from '../hardware/station-helpers.js';

const KMC_HEX = '404142434445464748494A4B4C4D4E4F';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string; logs: string }> {
  let out = '';
  let err = '';
  const logger = memoryLogger();
  const code = await runCli(args, [simStationInitCommand, simStationStatusCommand], {
    out: (s) => (out += s),
    err: (s) => (err += s),
    logger,
    clock: new FakeClock(Date.parse('2026-12-01T10:00:00Z')),
    env: {},
    signal: new AbortController().signal,
  });
  return { code, out, err, logs: logger.lines.join('') };
}

void t.test('init makes a station the kiosk can open; status counts the places', async (t) => {
  const root = t.testdir({ 'kmc.hex': `${KMC_HEX.toLowerCase()}\n` });
  const dir = join(root, 'st');
  const r = await cli(['sim', 'station', 'init', dir, '--cards', '3', '--master-key-file', join(root, 'kmc.hex'), '--serial-prefix', 'ab']);
  t.equal(r.code, 0, r.err);
  const pub = readFileSync(join(dir, 'reader.pub'), 'utf8').trim();
  t.match(r.out, new RegExp(`reader id   sim-${pub.slice(0, 8)}\\n`));
  t.match(r.out, `public key  ${pub}\n`);
  t.match(r.out, 'hopper      3 cards, serials AB00000001 .. AB00000003\n');
  for (const s of [r.out, r.err, r.logs]) t.notMatch(s, /404142434445/i, 'the master key is never printed or logged');
  t.notMatch(r.out, readFileSync(join(dir, 'reader.key'), 'utf8').trim(), 'the reader key is never printed');
  t.match(JSON.parse(readFileSync(join(dir, 'station.json'), 'utf8')), { created: '2026-12-01T10:00:00.000Z' }, 'time from the injected clock');

  const s = await SimStation.open(dir);
  await s.feed();
  await s.transport.powerOn();
  t.ok(madeWith(KMC, await initUpdate((a) => s.transport.transmit(a))), 'cards made with the key in the file');
  await s.eject();
  await s.feed();
  await s.close();

  const st = await cli(['sim', 'station', 'status', dir]);
  t.equal(st.code, 0, st.err);
  t.equal(st.out, `sim station sim-${pub.slice(0, 8)} in ${dir}\nhopper  1 (low)\nic      1 (AB00000002)\ngate    1\nreject  0\n`);
  const js = await cli(['sim', 'station', 'status', dir, '--json']);
  t.same(JSON.parse(js.out), { dir, id: `sim-${pub.slice(0, 8)}`, publicKey: pub, hopper: 1, hopperLevel: 'low', ic: ['AB00000002'], gate: 1, reject: 0 });
});

void t.test('init --json; a 32-byte master key', async (t) => {
  const root = t.testdir({ 'kmc.hex': KMC_HEX + KMC_HEX });
  const r = await cli(['sim', 'station', 'init', join(root, 'st'), '--cards', '2', '--master-key-file', join(root, 'kmc.hex'), '--json']);
  t.equal(r.code, 0, r.err);
  const info = JSON.parse(r.out) as Record<string, unknown>;
  t.match(info, { id: /^sim-[0-9a-f]{8}$/, publicKey: /^[0-9a-f]{64}$/, cards: 2, first: 'CA4D000000000001', last: 'CA4D000000000002' });
});

void t.test('usage errors exit 2 and name the option; failures exit 1 with the code', async (t) => {
  const root = t.testdir({ short: '0011', odd: `${KMC_HEX}0`, nothex: 'zz'.repeat(16), big: '0'.repeat(2000), good: KMC_HEX });
  const init = (...a: string[]) => cli(['sim', 'station', 'init', ...a]);
  const cases: [string[], RegExp][] = [
    [['--cards', '2', '--master-key-file', join(root, 'good')], /DIR is required/],
    [[join(root, 'a'), '--master-key-file', join(root, 'good')], /--cards N is required/],
    [[join(root, 'a'), '--cards', '0', '--master-key-file', join(root, 'good')], /--cards: '0'/],
    [[join(root, 'a'), '--cards', 'x', '--master-key-file', join(root, 'good')], /--cards/],
    [[join(root, 'a'), '--cards', '2'], /--master-key-file FILE is required/],
    [[join(root, 'a'), '--cards', '2', '--master-key-file', join(root, 'short')], /4 hex digits/],
    [[join(root, 'a'), '--cards', '2', '--master-key-file', join(root, 'odd')], /33 hex digits/],
    [[join(root, 'a'), '--cards', '2', '--master-key-file', join(root, 'nothex')], /not hex/],
    [[join(root, 'a'), '--cards', '2', '--master-key-file', join(root, 'big')], /2000 bytes/],
    [[join(root, 'a'), '--cards', '2', '--master-key-file', join(root, 'none')], /cannot read .*ENOENT/],
    [[join(root, 'a'), '--cards', '2', '--master-key-file', root], /is not a file/],
    [[join(root, 'a'), '--cards', '2', '--master-key-file', join(root, 'good'), '--serial-prefix', 'ABC'], /--serial-prefix/],
    [[join(root, 'a'), '--cards', '2', '--master-key-file', join(root, 'good'), '--bogus'], /bogus/],
  ];
  for (const [args, msg] of cases) {
    const r = await init(...args);
    t.equal(r.code, 2, args.join(' ').replaceAll(root, 'ROOT'));
    t.match(r.err, msg);
    t.notMatch(r.err, /zzzz|4041424344/i, 'no key file content in the message');
  }
  await writeFile(join(root, 'used'), 'x');
  const used = await init(root, '--cards', '1', '--master-key-file', join(root, 'good'));
  t.equal(used.code, 1, 'a non-empty directory');
  t.match(used.err, /ARGUMENT_INVALID: .* not empty/);
  const none = await cli(['sim', 'station', 'status', join(root, 'nothing')]);
  t.equal(none.code, 1);
  t.match(none.err, /IO: no simulated station/);
});
