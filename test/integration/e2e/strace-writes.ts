/**
 * Reads an `strace -f -y` log (file syscalls only) and finds every file the
 * traced processes wrote, created, renamed, linked or removed outside the
 * allowed directories. `-y` prints a directory descriptor with its path
 * (`3</tmp/x>`), so `*at` calls resolve without tracking descriptors.
 * Calls that failed (`= -1 E…`) changed nothing and are not counted.
 */
import { isAbsolute, join, normalize } from 'node:path';

/** Open flags that mean the file may be written (open(2)). */
const WRITE_FLAGS = /\bO_(?:WRONLY|RDWR|CREAT|TRUNC|APPEND)\b/;
/** Devices any process may write to without storing anything. */
const HARMLESS = [/^\/dev\/null$/, /^\/dev\/tty$/, /^\/dev\/pts\/\d+$/];

type Token = { kind: 'dir'; path: string } | { kind: 'str'; value: string };

/** The path arguments of one call, each resolved against the directory descriptor before it (or the cwd). */
function pathsOf(args: string, cwd: string): string[] {
  const tokens: Token[] = [];
  for (const m of args.matchAll(/AT_FDCWD|\d+<([^>]*)>|"((?:[^"\\]|\\.)*)"/g)) {
    if (m[0] === 'AT_FDCWD') tokens.push({ kind: 'dir', path: cwd });
    else if (m[1] !== undefined) tokens.push({ kind: 'dir', path: m[1] });
    else tokens.push({ kind: 'str', value: m[2]! });
  }
  const out: string[] = [];
  tokens.forEach((tok, i) => {
    if (tok.kind !== 'str') return;
    const before = tokens[i - 1];
    const base = before?.kind === 'dir' ? before.path : cwd;
    out.push(normalize(isAbsolute(tok.value) ? tok.value : join(base, tok.value)));
  });
  return out;
}

/** Which of a call's paths it changes: a link's target and a symlink's content are not written. */
function writtenPaths(call: string, args: string, cwd: string): string[] {
  const paths = pathsOf(args, cwd);
  switch (call) {
    case 'open':
    case 'openat':
      return WRITE_FLAGS.test(args) ? paths.slice(0, 1) : [];
    case 'link':
    case 'linkat':
    case 'symlink':
    case 'symlinkat':
      return paths.slice(-1);
    default:
      // creat, rename*, unlink*, mkdir*, truncate: every path named is changed.
      return paths;
  }
}

function inside(path: string, dirs: readonly string[]): boolean {
  return dirs.some((d) => path === d || path.startsWith(`${d}/`)) || HARMLESS.some((re) => re.test(path));
}

/** The paths the writing calls in `trace` changed, and those outside `allowed` (each as "call path"). */
export function writesOutside(trace: string, cwd: string, allowed: readonly string[]): { writes: string[]; outside: string[] } {
  const writes: string[] = [];
  const outside = new Set<string>();
  for (const line of trace.split('\n')) {
    // "1234 openat(…) = 3" or "1234 openat(… <unfinished ...>"; "<... openat resumed>" lines repeat no path.
    const m = /^(?:\d+\s+)?(\w+)\((.*)$/.exec(line);
    if (!m) continue;
    const [, call, rest] = m as unknown as [string, string, string];
    if (/\)\s+=\s+-1\s+E/.test(rest)) continue;
    const args = rest.replace(/\)\s+=\s+.*$/, '').replace(/\s*<unfinished \.\.\.>$/, '');
    for (const path of writtenPaths(call, args, cwd)) {
      writes.push(path);
      if (!inside(path, allowed)) outside.add(`${call} ${path}`);
    }
  }
  return { writes, outside: [...outside].sort() };
}
