/**
 * Issue 3 point 7, "No card data at the kiosk": nothing of the writing data
 * or keys reaches the kiosk's disk or logs.
 *
 * The kiosk runs as its own process (`cardline kiosk`, debug logging) with
 * its working directory, HOME and TMPDIR in a fresh, empty temporary
 * directory and an environment of nothing else; its station directory is
 * elsewhere — it is the simulated cards' own memory, which must hold the
 * data. The center runs in this process with its log captured. Two cards
 * are issued; then every file under the kiosk's directory and every line
 * the kiosk printed (stdout and stderr) is searched for each application's
 * personal data: the DGI values (hex in both cases, and raw), the
 * cardholder name inside DGI 0101, the one-time code, and the center's keys.
 * The center's log is searched for the codes and the DGI values.
 *
 * The scanner is first shown to find a planted value, so that a clean scan
 * means something. When strace is available, the kiosk also runs under it
 * and every file it opened for writing, renamed, linked, created or removed
 * must be inside the station directory or its own temporary directory.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { toHex } from '../../../card/bytes.js';
import { jsonLogger } from '../../../common/log.js';
import { readBackCard } from '../../../cli/demo/read-back.js';
import { spawnCardline } from '../../fixtures/process-rig.js';
import { startLocalRig, type TestApplication } from './local-rig.js';
import { writesOutside } from './strace-writes.js';
import { readKeyFile } from '../../../common/key-files.js';
import { verifyRegistry, type SignedRegistry } from '../../../wire/registry.js';

interface Needle {
  what: string;
  bytes: Buffer;
}

interface Finding {
  where: string;
  what: string;
}

function textNeedles(what: string, hex: string): Needle[] {
  return [
    { what: `${what} (hex, upper case)`, bytes: Buffer.from(hex.toUpperCase()) },
    { what: `${what} (hex, lower case)`, bytes: Buffer.from(hex.toLowerCase()) },
  ];
}

/** Each application's DGI values (hex both cases; raw too when `raw`), cardholder name and code. */
function appNeedles(apps: readonly TestApplication[], raw: boolean): Needle[] {
  return apps.flatMap((a) => [
    ...a.input.dgis.flatMap((d) => {
      const what = `${a.input.id} DGI ${d.tag.toString(16).padStart(4, '0')}${a.secretTags.includes(d.tag) ? ' (secret)' : ''}`;
      return [...textNeedles(what, toHex(d.value)), ...(raw ? [{ what: `${what} (raw bytes)`, bytes: Buffer.from(d.value) }] : [])];
    }),
    { what: `${a.input.id} cardholder name`, bytes: Buffer.from(a.cardholder) },
    { what: `${a.input.id} one-time code`, bytes: Buffer.from(a.input.code) },
  ]);
}

/** The center's secret keys (hex files): both cases of the hex, and the raw bytes. */
async function keyNeedles(pki: string): Promise<Needle[]> {
  const out: Needle[] = [];
  for (const name of ['data.key', 'issuer-master.key', 'signing.key', 'audit.key']) {
    const hex = (await readFile(join(pki, 'center', name), 'ascii')).trim();
    out.push(...textNeedles(`center ${name}`, hex), { what: `center ${name} (raw bytes)`, bytes: Buffer.from(hex, 'hex') });
  }
  return out;
}

/** Every regular file under `dir` (symbolic links are reported, not followed), searched for every needle. */
async function scanTree(dir: string, needles: readonly Needle[]): Promise<{ files: number; findings: Finding[] }> {
  const findings: Finding[] = [];
  let files = 0;
  const walk = async (d: string): Promise<void> => {
    for (const name of await readdir(d)) {
      const path = join(d, name);
      const st = await lstat(path);
      if (st.isDirectory()) await walk(path);
      else if (st.isFile()) {
        files++;
        const bytes = await readFile(path);
        for (const n of needles) if (bytes.includes(n.bytes)) findings.push({ where: relative(dir, path), what: n.what });
      } else findings.push({ where: relative(dir, path), what: 'not a regular file (link, socket or fifo)' });
    }
  };
  await walk(dir);
  return { files, findings };
}

function scanLines(name: string, lines: readonly string[], needles: readonly Needle[]): Finding[] {
  const findings: Finding[] = [];
  lines.forEach((line, i) => {
    const bytes = Buffer.from(line);
    for (const n of needles) if (bytes.includes(n.bytes)) findings.push({ where: `${name} line ${i + 1}`, what: n.what });
  });
  return findings;
}

/** strace, when it is installed and may trace here (containers may forbid ptrace). */
function straceUsable(): boolean {
  try {
    execFileSync('strace', ['-f', '-qq', '-o', '/dev/null', 'true'], { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/** Ends the processes an strace log names (ours: strace -f traced only the kiosk and its threads). */
async function killTraced(traceFile: string): Promise<void> {
  const trace = await readFile(traceFile, 'utf8').catch(() => '');
  for (const pid of new Set(trace.split('\n').map((l) => Number(/^(\d+) /.exec(l)?.[1])))) {
    if (!Number.isInteger(pid) || pid <= 1) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

const TRACED = 'trace=open,openat,creat,rename,renameat,renameat2,link,linkat,symlink,symlinkat,unlink,unlinkat,mkdir,mkdirat,truncate';

void t.test('the kiosk writes no card data, code or key to its disk or its logs', async (t) => {
  const started = Date.now();
  const centerLines: string[] = [];
  const rig = await startLocalRig({ cards: 4, kiosk: false, centerLogger: jsonLogger({ write: (l) => centerLines.push(l), level: 'debug' }) });
  t.teardown(() => rig.close());
  // The kiosk process drives the station from now on (one process per station).
  await rig.station.close();
  const sandbox = await realpath(await mkdtemp(join(tmpdir(), 'cardline-kiosk-home-')));
  t.teardown(() => rm(sandbox, { recursive: true, force: true }));
  const stationDir = await realpath(rig.station.dir);
  const apps = await rig.addApps(2, 'NODATA');
  const fileNeedles = [...appNeedles(apps, true), ...(await keyNeedles(rig.pki))];
  const lineNeedles = [...appNeedles(apps, false), ...(await keyNeedles(rig.pki))];

  await t.test('self-test: the scanners find a planted value', async (t) => {
    const secret = apps[0]!.input.dgis.find((d) => d.tag === 0x8000)!;
    const record = apps[1]!.input.dgis.find((d) => d.tag === 0x0101)!;
    await mkdir(join(sandbox, 'nested', 'deeper'), { recursive: true });
    await writeFile(join(sandbox, 'planted.txt'), `note: ${toHex(secret.value).toLowerCase()}\n`);
    await writeFile(join(sandbox, 'nested', 'deeper', 'planted.bin'), Buffer.concat([Buffer.from([0, 1, 2]), Buffer.from(record.value), Buffer.from([3])]));
    const { findings } = await scanTree(sandbox, fileNeedles);
    t.ok(findings.some((f) => f.where === 'planted.txt' && f.what === `${apps[0]!.input.id} DGI 8000 (secret) (hex, lower case)`), 'finds a secret DGI as lower-case hex');
    t.ok(findings.some((f) => f.where === join('nested', 'deeper', 'planted.bin') && f.what === `${apps[1]!.input.id} DGI 0101 (raw bytes)`), 'finds a DGI as raw bytes, two directories down');
    t.ok(findings.some((f) => f.where === join('nested', 'deeper', 'planted.bin') && f.what === `${apps[1]!.input.id} cardholder name`), 'finds the cardholder name inside it');
    const lines = scanLines('log', ['{"msg":"ok"}', `{"code":"${apps[1]!.input.code}"}`], lineNeedles);
    t.same(lines, [{ where: 'log line 2', what: `${apps[1]!.input.id} one-time code` }], 'finds a code in a log line, and only there');
    await rm(join(sandbox, 'planted.txt'));
    await rm(join(sandbox, 'nested'), { recursive: true });
    t.same(await readdir(sandbox), [], 'the kiosk directory is empty again');
  });

  const useStrace = straceUsable();
  const traceFile = join(rig.root, 'kiosk.strace');
  const gateBefore = await rig.station.cards('gate');
  const kiosk = spawnCardline('kiosk', ['kiosk', '--identity', rig.kioskDir, '--broker', rig.center.url, '--station', stationDir], {
    cwd: sandbox,
    // Nothing of this process's environment (`env -i`): no NODE_OPTIONS, no test runner hooks.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: sandbox, TMPDIR: sandbox, LANG: 'C.UTF-8' },
    isolate: true,
    logLevel: 'debug',
    ...(useStrace ? { prefix: ['strace', '-f', '-qq', '-y', '-e', TRACED, '-o', traceFile] } : {}),
  });
  t.teardown(async () => {
    const running = kiosk.running;
    await kiosk.stop(5_000);
    // A stopped strace detaches: the traced kiosk (our child's child) would live on. (strace that ended by itself outlived its tracees.)
    if (useStrace && running) await killTraced(traceFile);
  });
  // The customers at the keypad: application ID, then code; then EOF, and the kiosk exits.
  kiosk.write(apps.map((a) => `${a.input.id}\n${a.input.code}\n`).join(''));
  kiosk.endInput();
  const exit = await kiosk.waitExit(120_000, 'two customers served, then EOF');
  t.comment(`kiosk process: ${((Date.now() - started) / 1000).toFixed(1)} s since the start${useStrace ? ' (under strace)' : ''}`);
  t.equal(exit.code, 0, 'the kiosk exits 0 at EOF');
  t.equal(kiosk.out.filter((l) => /Result: issued/.test(l)).length, 2, 'both customers got their card');

  // The data did pass through the kiosk: the cards at the gate hold it.
  const fresh = (await rig.station.cards('gate')).filter((s) => !gateBefore.includes(s));
  t.equal(fresh.length, 2, 'two new cards at the gate');
  for (const [i, serial] of fresh.entries()) {
    t.same(await readBackCard(rig.station.imagePath('gate', serial), apps[i]!, () => undefined), [], `card ${serial} reads back equal to ${apps[i]!.input.id}`);
  }

  const tree = await scanTree(sandbox, fileNeedles);
  t.comment(`kiosk directory: ${tree.files} file(s) scanned for ${fileNeedles.length} values`);
  t.same(tree.findings, [], 'no file under the kiosk directory holds card data, a code or a key');
  t.ok(kiosk.out.length + kiosk.err.length > 20, `the kiosk printed ${kiosk.out.length} stdout and ${kiosk.err.length} stderr lines`);
  t.same([...scanLines('kiosk stdout', kiosk.out, lineNeedles), ...scanLines('kiosk stderr', kiosk.err, lineNeedles)], [], 'no kiosk output line holds card data, a code or a key');
  t.ok(centerLines.length > 20, `the center logged ${centerLines.length} lines`);
  t.same(scanLines('center log', centerLines, appNeedles(apps, false)), [], 'no center log line holds a code or a DGI value');

  await t.test('every file the kiosk wrote (strace)', { skip: useStrace ? false : 'strace is not installed or may not trace here (apt-get install strace)' }, async (t) => {
    const trace = await readFile(traceFile, 'utf8');
    // The one file the kiosk keeps outside its station (DESIGN §6): its signed reader registry, written whole (temp file, rename).
    const registryFile = join(rig.kioskDir, 'registry.json');
    const keptRegistry = (w: string): boolean => w.endsWith(` ${registryFile}`) || new RegExp(`^\\w+ ${rig.kioskDir}/\\.registry\\.json\\.[0-9a-f]{8}\\.tmp$`).test(w);
    const { writes, outside: all } = writesOutside(trace, sandbox, [stationDir, sandbox]);
    const outside = all.filter((w) => !keptRegistry(w));
    t.ok(all.some(keptRegistry), 'the kiosk kept its signed registry');
    const kept = JSON.parse(await readFile(registryFile, 'utf8')) as SignedRegistry;
    t.same(Object.keys(kept).sort(), ['r', 's'], 'the registry file holds the signed registry and nothing else');
    t.equal(verifyRegistry(kept, await readKeyFile(join(rig.kioskDir, 'center-signing.pub'), 32), 'kiosk-1').kiosk, 'kiosk-1', 'and it verifies with the center key');
    const inStation = writes.filter((p) => p.startsWith(`${stationDir}/`));
    t.comment(`strace: ${writes.length} file writes/creations/renames/removals, ${inStation.length} of them in the station`);
    t.ok(inStation.some((p) => p.startsWith(join(stationDir, 'ic'))), 'strace saw the cards at the station being written');
    t.same(outside, [], 'every file the kiosk wrote is in its station or its own temporary directory');
    // The parser itself: a write outside is reported, a read or a failed call is not.
    const probe = ['1 openat(AT_FDCWD, "/etc/x", O_WRONLY|O_CREAT, 0600) = 3', '1 openat(AT_FDCWD, "/etc/y", O_RDONLY) = 4', '1 renameat2(5</var>, "a", 5</var>, "b", 0) = 0', '1 unlink("/z") = -1 ENOENT (No such file or directory)'].join('\n');
    t.same(writesOutside(probe, sandbox, [sandbox]).outside, ['openat /etc/x', 'renameat2 /var/a', 'renameat2 /var/b'], 'the trace reader flags writes outside and nothing else');
  });
  t.comment(`total: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
