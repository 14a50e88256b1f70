/**
 * CPU and memory of a component, read from Linux's /proc: `stat` fields 14
 * and 15 (utime, stime, in clock ticks; proc(5)) and `status` VmRSS. A
 * component is one process (mosquitto, a worker, the kiosk fleet) or a
 * process and its children (PostgreSQL: the postmaster and its backends,
 * found by their parent pid, re-listed at every reading since backends come
 * and go). CPU is the difference between two readings over the wall time
 * between them; 100 % is one core. A process gone between readings counts
 * with what it had at the first.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: 100 on every Linux/x86-64 kernel build (sysconf(_SC_CLK_TCK)). */
const TICKS_PER_SECOND = 100;

export interface ProcReading {
  /** CPU seconds (user + system) per pid. */
  cpu: Map<number, number>;
  rssBytes: number;
  at: number;
}

export interface Component {
  name: string;
  /** The pids that make it up now. */
  pids(): number[];
}

export function singleProcess(name: string, pid: number): Component {
  return { name, pids: () => [pid] };
}

/** `pid` and every descendant (PostgreSQL's backends and background workers). */
export function processTree(name: string, pid: number): Component {
  return { name, pids: () => descendants(pid) };
}

function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statFields(Number(entry));
    if (stat) parent.set(Number(entry), Number(stat[1]));
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const [pid, ppid] of parent) if (ppid === out[i]) out.push(pid);
  return out;
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces): [0] = state, [1] = ppid, [11] = utime, [12] = stime. */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * Memory of one process: its PSS (smaps_rollup: shared pages divided among
 * the processes sharing them, so PostgreSQL's shared buffers are not counted
 * once per backend when summed), else VmRSS from status.
 */
function rss(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // No smaps_rollup (older kernels): VmRSS.
  }
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function read(c: Component): ProcReading {
  const cpu = new Map<number, number>();
  let rssBytes = 0;
  for (const pid of c.pids()) {
    const f = statFields(pid);
    if (!f) continue;
    cpu.set(pid, (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND);
    rssBytes += rss(pid);
  }
  return { cpu, rssBytes, at: performance.now() };
}

export interface Usage {
  name: string;
  /** CPU seconds over the interval. */
  cpuS: number;
  /** Share of one core over the interval (1 = 100 %). */
  cores: number;
  /** Memory (PSS) at the end, summed over the processes, and the highest seen by `sample`. */
  rssBytes: number;
  peakRssBytes: number;
  processes: number;
}

/** Readings of several components at the start of an interval; `sample()` tracks peaks; `end()` gives each one's usage. */
export class Meter {
  readonly #start: Map<string, ProcReading>;
  readonly #peak = new Map<string, number>();
  constructor(readonly components: readonly Component[]) {
    this.#start = new Map(components.map((c) => [c.name, read(c)]));
  }

  sample(): void {
    for (const c of this.components) this.#peak.set(c.name, Math.max(this.#peak.get(c.name) ?? 0, read(c).rssBytes));
  }

  end(): Usage[] {
    return this.components.map((c) => {
      const a = this.#start.get(c.name)!;
      const b = read(c);
      let cpuS = 0;
      for (const [pid, s] of b.cpu) cpuS += s - (a.cpu.get(pid) ?? 0);
      // Processes that ended in the interval: their time up to the start reading is all we know; count none of it.
      const wallS = (b.at - a.at) / 1000;
      return { name: c.name, cpuS, cores: wallS > 0 ? cpuS / wallS : 0, rssBytes: b.rssBytes, peakRssBytes: Math.max(b.rssBytes, this.#peak.get(c.name) ?? 0), processes: b.cpu.size };
    });
  }
}
