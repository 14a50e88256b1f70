/**
 * Where the time goes in a V8 CPU profile (`node --cpu-prof`, a
 * .cpuprofile JSON: nodes with callFrame and hitCount, samples and
 * timeDeltas): self time summed per function and per area (an npm package,
 * or the project's top folder, or V8/Node internals), as shares of the
 * samples. Self time only: a function's callees count for themselves.
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  startTime: number;
  endTime: number;
}

export interface Share {
  name: string;
  share: number;
}

export interface ProfileSummary {
  seconds: number;
  /** Share of samples in which the thread was idle ((idle), (program), (garbage collector) are kept apart). */
  idle: number;
  areas: Share[];
  functions: Share[];
}

function area(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native / V8 builtins)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const m = /\/work\/main\/([^/]+)\//.exec(url) ?? /\/([^/]+)\/[^/]+$/.exec(url);
  return m ? `${m[1]}/` : url;
}

export async function summarizeProfile(path: string, top = 12): Promise<ProfileSummary> {
  const p = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const hits = new Map<number, number>();
  if (p.samples) for (const id of p.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  else for (const n of p.nodes) hits.set(n.id, n.hitCount ?? 0);
  let total = 0;
  const byArea = new Map<string, number>();
  const byFn = new Map<string, number>();
  for (const n of p.nodes) {
    const h = hits.get(n.id) ?? 0;
    if (h === 0) continue;
    total += h;
    const f = n.callFrame;
    const a = area(f.url, f.functionName);
    byArea.set(a, (byArea.get(a) ?? 0) + h);
    const file = f.url.replace(/^.*\/(node_modules|work\/main)\//, '');
    const name = `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
    byFn.set(name, (byFn.get(name) ?? 0) + h);
  }
  const shares = (m: Map<string, number>): Share[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, h]) => ({ name, share: h / Math.max(1, total) }));
  return { seconds: (p.endTime - p.startTime) / 1e6, idle: (byArea.get('(idle)') ?? 0) / Math.max(1, total), areas: shares(byArea), functions: shares(byFn) };
}

export function profileLines(label: string, s: ProfileSummary): string[] {
  const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
  return [
    `${label}: ${s.seconds.toFixed(0)} s profiled, idle ${pct(s.idle)}`,
    `  by area (self time): ${s.areas.map((a) => `${a.name} ${pct(a.share)}`).join(', ')}`,
    '  top functions (self time):',
    ...s.functions.map((f) => `    ${pct(f.share).padStart(7)}  ${f.name}`),
  ];
}
