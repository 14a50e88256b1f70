/**
 * Issue 3 point 7 and issue 4 ("No persistence, proved for both modes"):
 * nothing of the writing data or of any key reaches the kiosk's disk or its
 * logs — in relay mode, where the kiosk only relays a secured script, and in
 * sealed mode (DESIGN §3 "Sealed mode"), where it opens the card's keys and
 * the plain writing data in memory. DESIGN §6: "The kiosk stores nothing but
 * its sealed keys, its signed reader registry …; its logs carry no personal
 * data."
 *
 The center runs in this process (the rig, test/fixtures/rig.ts: Aedes with
 * mutual TLS, PGlite, its log kept); the kiosk runs as `cardline kiosk`
 * processes over the station's directory, under strace (traced-kiosk.ts).
 * 20 customers are served in relay mode; then the kiosk is switched to
 * sealed mode at the center (registry setKioskMode, what `cardline center
 * kiosks mode --mode sealed` runs; the CLI cannot open the store while this
 * process holds it) and a new kiosk process serves 20 more. Then, per mode:
 *
 * - every file any kiosk process (or thread, or child) created, opened for
 *   writing, renamed, linked, truncated or removed lies in the station, the
 *   kiosk's own empty home, or is its signed reader registry;
 * - every byte it wrote to any file (taken from the trace, so files written
 *   and removed again count), and every file it changed that still exists,
 *   holds no needle (secret-needles.ts): the 40 applications' DGI values,
 *   cardholder names and card numbers, the one-time codes, the kiosk's
 *   signing, sealing and TLS private keys, the 40 cards' static keys, the
 *   center's keys (the issuer master key among them) — raw, hex in either
 *   case, base64 at every alignment;
 * - the kiosk's home, its identity directory and its station hold no needle.
 *   The one exception: the simulated cards' EEPROM images
 *   (station/{hopper,ic,gate,reject}/<serial>.eeprom and their temp files).
 *   They are the cards: a personalized card must hold its data and its keys
 *   (the images are read back below to prove it). They stand for the chip,
 *   not for the kiosk's disk;
 * - no line of the kiosk's stdout or stderr holds a needle, and the center's
 *   log holds no code and no DGI value.
 *
 * The scanners are first shown to find planted values, and the trace reader
 * to see a planted write, so that a clean scan means something. The dev
 * machine secret in the identity directory is the one secret file there:
 * the stand-in for /etc/cardline/machine-secret, read (never written: the
 * trace shows it) by the kiosk to open its key store. It is not searched for
 * itself.
 */
import t, { type Test } from 'tap';
import { mkdir, mkdtemp, readdir, readFile, realpath, stat, writeFile, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { hex, toHex } from '../../../card/bytes.js';
import { addApplications } from '../../../center/applications.js';
import { setKioskMode } from '../../../center/registry.js';
import { readBackCard } from '../../../cli/demo/read-back.js';
import { sameCard } from '../../fixtures/process-rig.js';
import { random, startRig } from '../../fixtures/rig.js';
import { appNeedles, cardKeyNeedles, centerKeyNeedles, kioskKeyNeedles } from './secret-needles.js';
import { NeedleSet, scanLines, scanTree, type Finding } from './secret-scan.js';
import { changesOutside, readTrace } from './strace-writes.js';
import { runTracedKiosk, straceUsable, type KioskRun } from './traced-kiosk.js';
import { uniqueApps, type UniqueApplication } from './unique-apps.js';

const PER_MODE = 20;
const MODES = ['relay', 'sealed'] as const;
type Mode = (typeof MODES)[number];
const KIOSK = 'kiosk-1';
/** The simulated cards' own memory (station-fs.ts, image-store.ts): the one place card data must be. */
const CARD_IMAGE = /^(?:hopper|ic|gate|reject)\/[0-9A-F]+\.eeprom(?:\.tmp-\d+-\d+)?$/;
/** The issuer master key the self-test derives card keys from (GPC's test KMC). */
const TEST_KMC = '404142434445464748494A4B4C4D4E4F';

interface Served {
  run: KioskRun;
  /** The center's log lines while this mode's customers were served. */
  centerLines: string[];
}

void t.test('no card data, code or key on the kiosk\'s disk or in its logs, relay and sealed mode', async (t) => {
  const started = Date.now();
  const lap = (what: string): void => void t.comment(`${((Date.now() - started) / 1000).toFixed(1)} s: ${what}`);
  // 40 customers back to back at one kiosk: over the default 30 requests a minute (center/deps.ts), lifted here.
  const rig = await startRig(t, { mode: 'relay', cardsPerStation: 2 * PER_MODE + 2, limits: { requestsPerMinute: 1000 } });
  const d = rig.center.deps;
  // The kiosk processes drive the station from now on (one process per station).
  await rig.stations[KIOSK]!.close();
  const root = await realpath(rig.dir);
  const stationDir = await realpath(rig.stations[KIOSK]!.dir);
  const kioskDir = await realpath(rig.pki.kiosks[KIOSK]!.dir);
  const kioskArgs = ['kiosk', '--identity', kioskDir, '--broker', rig.center.url, '--station', stationDir, '--machine-secret', join(kioskDir, 'machine-secret')];
  const apps = uniqueApps(2 * PER_MODE, 'NODATA');
  const appsOf = (mode: Mode): UniqueApplication[] => (mode === 'relay' ? apps.slice(0, PER_MODE) : apps.slice(PER_MODE));
  // Copies: the center's side zeroizes what it is given; the test keeps the values to search for.
  await addApplications({ db: d.db, audit: d.audit, clock: d.clock, dataKey: d.keys.dataKey, random, scrypt: d.scrypt }, apps.map((a) => ({ ...a.input, dgis: a.input.dgis.map((g) => ({ tag: g.tag, value: g.value.slice() })) })));
  const useStrace = straceUsable();
  const isCardImage = (path: string): boolean => path.startsWith(`${stationDir}/`) && CARD_IMAGE.test(relative(stationDir, path));
  lap('rig up, applications added');

  await t.test('self-test: the scanners find planted values, the trace reader a planted write', (t) => selfTest(t, root, apps));

  const served = new Map<Mode, Served>();
  for (const mode of MODES) {
    if (mode === 'sealed') await setKioskMode({ db: d.db, audit: d.audit, clock: d.clock }, KIOSK, 'sealed');
    const line = rig.logs.center.lines.length;
    const customers = appsOf(mode).map((a) => ({ id: a.input.id, code: a.input.code }));
    const run = await runTracedKiosk({ root, name: `kiosk-${mode}`, kioskArgs, customers, strace: useStrace, ms: 150_000 });
    await rig.center.idle();
    served.set(mode, { run, centerLines: rig.logs.center.lines.slice(line) });
    lap(`${mode}: ${PER_MODE} customers in ${run.seconds.toFixed(1)} s${useStrace ? ' under strace' : ''}`);
  }

  // What is searched for: files hold raw bytes too, log lines are text.
  const kmc = hex((await readFile(rig.pki.center.issuerMasterKey, 'ascii')).trim());
  const jobs = (await Promise.all(apps.map((a) => rig.jobsOf(a.input.id)))).flat();
  const kdds = jobs.flatMap((j) => (j.card_serial === null ? [] : [j.card_serial]));
  const keyNeedles = [...(await kioskKeyNeedles(kioskDir)), ...(await centerKeyNeedles(rig.pki.dir)), ...cardKeyNeedles(kmc, kdds)];
  kmc.fill(0);
  const fileSet = new NeedleSet([...appNeedles(apps), ...keyNeedles]);
  const lineSet = new NeedleSet([...appNeedles(apps, { raw: false }), ...keyNeedles]);
  t.comment(`${fileSet.size} needles for files, ${lineSet.size} for log lines (${kdds.length} cards' keys)`);
  const audit = await rig.audit();

  for (const mode of MODES) {
    await t.test(`${mode} mode: ${PER_MODE} cards issued; nothing the kiosk wrote or logged holds card data, a code or a key`, async (t) => {
      const { run, centerLines } = served.get(mode)!;
      const mine = appsOf(mode);
      t.equal(run.exit.code, 0, 'the kiosk exits 0 at EOF');
      t.equal(run.kiosk.out.filter((l) => /Result: issued/.test(l)).length, PER_MODE, `all ${PER_MODE} customers got their card`);
      const scriptRuns = run.kiosk.err.filter((l) => l.includes('"msg":"script run"'));
      t.equal(scriptRuns.filter((l) => l.includes(`"mode":"${mode}"`)).length, PER_MODE, `the kiosk ran ${PER_MODE} scripts in ${mode} mode`);

      // The center: every job ISSUED, sent `script` (relay) or `package` (sealed) and never the other.
      const mineJobs = jobs.filter((j) => mine.some((a) => a.input.id === j.application_id));
      t.same(mineJobs.map((j) => j.state), mine.map(() => 'ISSUED'), 'one job per application, each ISSUED');
      const sent = new Set(audit.filter((e) => e.kind === 'wire.out' && mineJobs.some((j) => j.id === e.job)).map((e) => e.detail.type));
      const [want, never] = mode === 'relay' ? ['script', 'package'] : ['package', 'script'];
      t.ok(sent.has(want), `the center sent a ${want}`);
      t.notOk(sent.has(never), `and never a ${never}`);

      // The data did pass through the kiosk: each card at the gate holds its application.
      const gate = await readdir(join(stationDir, 'gate'));
      for (const job of mineJobs) {
        const app = mine.find((a) => a.input.id === job.application_id)!;
        const image = gate.find((f) => sameCard(job.card_serial, f.replace(/\.eeprom$/, '')));
        t.ok(image, `card ${job.card_serial ?? '?'} is at the gate`);
        if (image) t.same(await readBackCard(join(stationDir, 'gate', image), app, () => undefined), [], `card ${image} reads back equal to ${app.input.id}`);
      }

      const home = await scanTree(run.sandbox, fileSet);
      t.comment(`kiosk home: ${home.files} file(s) searched`);
      t.same(home.findings, [], "no file in the kiosk's home (cwd, HOME, TMPDIR) holds a needle");
      t.ok(run.kiosk.out.length + run.kiosk.err.length > 100, `the kiosk printed ${run.kiosk.out.length} stdout and ${run.kiosk.err.length} stderr lines`);
      t.same([...scanLines('kiosk stdout', run.kiosk.out, lineSet), ...scanLines('kiosk stderr', run.kiosk.err, lineSet)], [], 'no kiosk output line holds a needle');
      t.ok(centerLines.length > 100, `the center logged ${centerLines.length} lines`);
      t.same(scanLines('center log', centerLines, new NeedleSet(appNeedles(apps, { raw: false }))), [], 'no center log line holds a code or a DGI value');

      await t.test('every file the kiosk wrote (strace -f)', { skip: run.trace === undefined ? 'strace is not installed or may not trace here (apt-get install strace)' : false }, async (t) => {
        const trace = readTrace(run.trace!, run.sandbox);
        const registry = join(kioskDir, 'registry.json');
        const registryTemp = (p: string): boolean => p.startsWith(`${kioskDir}/`) && /^\.registry\.json\.[0-9a-f]{8}\.tmp$/.test(relative(kioskDir, p));
        const kept = (p: string): boolean => p === registry || registryTemp(p);
        t.same(changesOutside(trace.changes.filter((c) => !kept(c.path)), [stationDir, run.sandbox]), [], 'every file the kiosk changed is in its station or its home, or is its signed reader registry (DESIGN §6)');
        t.ok(trace.changes.some((c) => isCardImage(c.path) && c.path.includes('/ic/')), 'strace saw the cards at the station being written (it sees the threads that write)');
        t.ok(trace.changes.some((c) => kept(c.path)), 'the kiosk kept its signed registry');
        t.notOk(trace.changes.some((c) => c.path === join(kioskDir, 'machine-secret') || c.path === join(kioskDir, 'keys.sealed')), 'it did not write its key store or machine secret');
        t.same(trace.opaque, [], 'no file was filled by a call whose bytes the trace cannot show');
        t.same(trace.truncated, [], 'strace printed every written byte');

        const findings: Finding[] = [];
        let bytes = 0;
        for (const [path, data] of trace.data) {
          if (isCardImage(path)) continue;
          bytes += data.length;
          findings.push(...fileSet.scan(`bytes written to ${path}`, data));
        }
        let existing = 0;
        for (const path of new Set(trace.changes.map((c) => c.path))) {
          if (isCardImage(path) || !(await stat(path).catch(() => undefined))?.isFile()) continue;
          existing++;
          findings.push(...fileSet.scan(path, await readFile(path)));
        }
        t.comment(`strace: ${trace.changes.length} file changes; ${(bytes / 1024).toFixed(0)} KiB written to ${trace.data.size} files outside the card images, searched; ${existing} changed files still there, searched`);
        t.same(findings, [], 'no byte the kiosk wrote to a file, and no file it changed, holds a needle');
      });
    });
  }

  await t.test("the kiosk's identity directory and station after both modes", async (t) => {
    const identity = await scanTree(kioskDir, fileSet, (rel) => rel === 'machine-secret');
    t.same(identity.skipped, ['machine-secret'], 'every file searched but the dev machine secret');
    t.ok(identity.files >= 6, `${identity.files} files searched (certificates, public keys, the sealed store, the registry)`);
    t.same(identity.findings, [], 'none holds a needle: the sealed key store holds no key in clear');
    const station = await scanTree(stationDir, fileSet, (rel) => CARD_IMAGE.test(rel));
    t.ok(station.skipped.filter((p) => p.startsWith('gate/')).length >= 2 * PER_MODE, `${station.skipped.length} card images not searched: they are the cards`);
    t.same(station.findings, [], `the station's other ${station.files} files hold no needle`);
  });
  lap('total');
});

/** The scanners find planted values in files and log lines; the trace reader finds a planted write and its bytes. */
async function selfTest(t: Test, root: string, apps: readonly UniqueApplication[]): Promise<void> {
  const dir = await mkdtemp(join(root, 'planted-'));
  const [a0, a1] = [apps[0]!, apps[1]!];
  const set = new NeedleSet([...appNeedles([a0, a1]), ...cardKeyNeedles(hex(TEST_KMC), ['0000CA4D000000000001'])]);
  const secret = a0.input.dgis.find((g) => g.tag === 0x8000)!.value;
  const record = a1.input.dgis.find((g) => g.tag === 0x0101)!.value;
  await mkdir(join(dir, 'nested', 'deeper'), { recursive: true });
  await writeFile(join(dir, 'planted.txt'), `note: ${toHex(secret).toLowerCase()}\n`);
  await writeFile(join(dir, 'nested', 'deeper', 'planted.bin'), Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(record), Buffer.from([3])]));
  // Base64 of a longer buffer in which the value starts at byte 1: only its "from byte 2" form is aligned.
  await writeFile(join(dir, 'planted.json'), JSON.stringify({ b: Buffer.concat([Buffer.from([9]), Buffer.from(secret)]).toString('base64') }));
  const { findings } = await scanTree(dir, set);
  const has = (where: string, what: string): boolean => findings.some((f) => f.where === where && f.what === what);
  t.ok(has('planted.txt', `${a0.input.id} DGI 8000 (secret) (hex, lower case)`), 'finds a secret DGI as lower-case hex');
  t.ok(has(join('nested', 'deeper', 'planted.bin'), `${a1.input.id} DGI 0101 (raw bytes)`), 'finds a DGI as raw bytes, two directories down');
  t.ok(has(join('nested', 'deeper', 'planted.bin'), `${a1.input.id} cardholder name`), 'finds the cardholder name inside it');
  t.ok(has('planted.json', `${a0.input.id} DGI 8000 (secret) (base64, from byte 2)`), 'finds a DGI inside a longer base64 text');
  const lines = scanLines('log', ['{"msg":"ok"}', `{"code":"${a1.input.code}"}`], new NeedleSet(appNeedles([a0, a1], { raw: false })));
  t.same(lines, [{ where: 'log line 2', what: `${a1.input.id} one-time code` }], 'finds a code in a log line, and only there');
  // The trace reader: writes outside, their bytes (escaped as strace prints them), a read, a failed call.
  const probe = [
    `1 openat(AT_FDCWD</x>, "/etc/x", O_WRONLY|O_CREAT, 0600) = 3</etc/x>`,
    `1 write(3</etc/x>, "${toHex(secret).toLowerCase()}\\n\\"q\\"", 101) = 101`,
    `2 pwrite64(4</etc/y (deleted)>, "${[...record].map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')}", ${record.length}, 0) = ${record.length}`,
    '1 openat(AT_FDCWD, "/etc/z", O_RDONLY) = 4',
    '1 renameat2(5</var>, "a", 5</var>, "b", 0) = 0',
    '1 unlink("/z") = -1 ENOENT (No such file or directory)',
  ].join('\n');
  const report = readTrace(probe, dir);
  t.same(changesOutside(report.changes, [dir]), ['openat /etc/x', 'pwrite64 /etc/y', 'renameat2 /var/a', 'renameat2 /var/b', 'write /etc/x'], 'the trace reader flags the writes outside and nothing else');
  t.same(set.scan('/etc/x', report.data.get('/etc/x')!).map((f) => f.what), [`${a0.input.id} DGI 8000 (secret) (hex, lower case)`], 'and finds a value in the bytes written');
  t.ok(set.scan('/etc/y', report.data.get('/etc/y')!).some((f) => f.what === `${a1.input.id} DGI 0101 (raw bytes)`), 'also in bytes strace printed as \\x escapes, to a file since deleted');
  await rm(dir, { recursive: true });
}
