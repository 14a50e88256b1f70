/**
 * Crash safety of the simulated station (CardStation contract: "a card is in
 * exactly one place at any time; moves survive a crash at any instant").
 * A child process (fixtures/station-loop.ts) cycles cards through the
 * station; the test kills it with SIGKILL at random moments, several times,
 * and after each kill checks on disk that every card is in exactly one
 * place, none is lost, every image still loads, and the station reopens.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../../../hardware/sim/card/index.js';
import { SimStation } from '../../../hardware/sim/sim-station.js';
import { KMC } from './station-helpers.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const FIXTURE = join(ROOT, 'test', 'integration', 'fixtures', 'station-loop.ts');
const PLACES = ['hopper', 'ic', 'gate', 'reject'] as const;
const CARDS = 60;
const KILLS = 5;

interface Run {
  lines: string[];
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

/**
 * Starts the loop and kills it with SIGKILL `ms` after its `afterSteps`-th
 * step line: the kills land at random points of the feed / write / move
 * cycle, and every run makes progress however slowly the machine starts it.
 */
function runAndKill(dir: string, afterSteps: number, ms: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let steps = 0;
    let stderr = '';
    let buf = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop() ?? '';
      for (const l of parts) {
        lines.push(l);
        if (l !== 'ready' && ++steps === afterSteps) setTimeout(() => child.kill('SIGKILL'), ms);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ lines, signal, code, stderr }));
  });
}

/** Where each serial is, read straight from the directories (exact `<serial>.eeprom` names only). */
function places(dir: string): Map<string, string[]> {
  const where = new Map<string, string[]>();
  for (const p of PLACES) {
    for (const name of readdirSync(join(dir, p))) {
      const m = /^([0-9A-F]+)\.eeprom$/.exec(name);
      if (!m) continue;
      where.set(m[1]!, [...(where.get(m[1]!) ?? []), p]);
    }
  }
  return where;
}

function loads(path: string): boolean {
  try {
    decodeImage(readFileSync(path, 'utf8'));
    return true;
  } catch {
    return false;
  }
}

void t.test('kill -9 at random moments: every card in exactly one place, none lost, the station reopens', async (t) => {
  const dir = join(t.testdir(), 'station');
  const made = await SimStation.create({ dir, count: CARDS, stockMasterKey: KMC });
  const serials = await made.cards('hopper');
  await made.close();
  t.equal(serials.length, CARDS);

  let killed = 0;
  let moves = 0;
  for (let i = 0; i < KILLS; i++) {
    const steps = 1 + Math.floor(Math.random() * 8);
    const delay = Math.floor(Math.random() * 25);
    const run = await runAndKill(dir, steps, delay);
    t.equal(run.stderr, '', `run ${i}: no error from the loop`);
    if (run.signal === 'SIGKILL') killed++;
    moves += run.lines.filter((l) => l === 'fed' || l.startsWith('moved') || l === 'capture leftover').length;

    const where = places(dir);
    t.same([...where.keys()].sort(), serials, `run ${i} (killed ${delay} ms after step ${steps}): no card lost, none made`);
    const twice = [...where].filter(([, ps]) => ps.length !== 1);
    t.same(twice, [], `run ${i}: every card in exactly one place`);
    t.ok(readdirSync(join(dir, 'ic')).filter((n) => n.endsWith('.eeprom')).length <= 1, `run ${i}: at most one card at the station`);
    const broken = [...where].filter(([serial, [p]]) => !loads(join(dir, p!, `${serial}.eeprom`)));
    t.same(broken, [], `run ${i}: every image loads (no torn EEPROM write)`);
    const s = await SimStation.open(dir);
    t.equal(await s.cardAtStation(), [...where.values()].some(([p]) => p === 'ic'), `run ${i}: the reopened station knows whether a card is at the IC station`);
    await s.close();
  }
  t.equal(killed, KILLS, 'every run was killed mid-run');
  t.ok(moves > 0, `cards moved between kills (${moves})`);
  const final = places(dir);
  const count = (p: string): number => [...final.values()].filter((ps) => ps[0] === p).length;
  t.comment(`after ${KILLS} kills: hopper ${count('hopper')}, ic ${count('ic')}, gate ${count('gate')}, reject ${count('reject')}`);
});
