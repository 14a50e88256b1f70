/**
 * Reads an `strace -f -y -x -s N` log of file syscalls and finds what the
 * traced processes did to files:
 *
 * - every path a call wrote, created, renamed, linked, truncated or removed
 *   (`writes`; `writesOutside` lists those outside the allowed directories);
 * - the bytes each write(2)-family call put into a regular file (`data`, per
 *   path, in trace order), so that even a file written and removed again
 *   (a temp file) can be searched for secrets;
 * - calls that move bytes into a file without showing them (sendfile,
 *   copy_file_range, splice: `opaque`).
 *
 * `-y` prints a descriptor with its path (`3</tmp/x>`, `AT_FDCWD</tmp>`), so
 * `*at` calls and writes resolve without tracking descriptors. `-x` prints a
 * string with any non-ASCII byte entirely as `\xNN`, others as C strings.
 * Calls that failed (`= -1 E…`) changed nothing and are not counted.
 */
import { isAbsolute, join, normalize } from 'node:path';

/** Open flags that mean the file may be written (open(2)). */
const WRITE_FLAGS = /\bO_(?:WRONLY|RDWR|CREAT|TRUNC|APPEND)\b/;
/** Devices any process may write to without storing anything. */
const HARMLESS = [/^\/dev\/null$/, /^\/dev\/tty$/, /^\/dev\/pts\/\d+$/];
/** Calls whose first argument is a descriptor and whose data follow it. */
const DATA_CALLS = new Set(['write', 'pwrite64', 'writev', 'pwritev', 'pwritev2']);
/** Calls that fill a file from another descriptor: the data are not in the trace. */
const OPAQUE_CALLS = new Set(['sendfile', 'sendfile64', 'copy_file_range', 'splice', 'tee']);

/** The strace options this reader needs, for the callers' command lines. */
export const STRACE_FLAGS = ['-f', '-qq', '-y', '-x', '-s', String(16 * 1024 * 1024)];

/** Every call a kiosk could change a file with: names, links, sizes and contents. */
export const TRACED_CALLS = [
  'open',
  'openat',
  'openat2',
  'creat',
  'rename',
  'renameat',
  'renameat2',
  'link',
  'linkat',
  'symlink',
  'symlinkat',
  'unlink',
  'unlinkat',
  'mkdir',
  'mkdirat',
  'truncate',
  'ftruncate',
  'fallocate',
  ...DATA_CALLS,
  ...OPAQUE_CALLS,
];

type Token = { kind: 'dir'; path: string } | { kind: 'str'; value: string };

/** The path arguments of one call, each resolved against the directory descriptor before it (or the cwd). */
function pathsOf(args: string, cwd: string): string[] {
  const tokens: Token[] = [];
  for (const m of args.matchAll(/AT_FDCWD(?:<([^>]*)>)?|\d+<([^>]*)>|"((?:[^"\\]|\\.)*)"/g)) {
    if (m[0].startsWith('AT_FDCWD')) tokens.push({ kind: 'dir', path: m[1] ?? cwd });
    else if (m[2] !== undefined) tokens.push({ kind: 'dir', path: m[2] });
    else tokens.push({ kind: 'str', value: decodeStraceString(m[3]!).toString('latin1') });
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
  switch (call) {
    case 'open':
    case 'openat':
    case 'openat2':
      return WRITE_FLAGS.test(args) ? pathsOf(args, cwd).slice(0, 1) : [];
    case 'link':
    case 'linkat':
    case 'symlink':
    case 'symlinkat':
      return pathsOf(args, cwd).slice(-1);
    case 'ftruncate':
    case 'fallocate':
      return fdPath(args, 0);
    default:
      if (DATA_CALLS.has(call)) return fdPath(args, 0);
      if (OPAQUE_CALLS.has(call)) return fdPath(args, call === 'copy_file_range' || call === 'splice' ? 1 : 0);
      // creat, rename*, unlink*, mkdir*, truncate: every path named is changed.
      return pathsOf(args, cwd);
  }
}

/** The file path of the n-th descriptor argument (`5</tmp/x>`), when it is a file (not a pipe, socket, anon inode). */
function fdPath(args: string, n: number): string[] {
  const fds = [...args.matchAll(/(?:^|, )-?\d+<([^>]*)>/g)].map((m) => m[1]!.replace(/ \(deleted\)$/, ''));
  const path = fds[n];
  return path !== undefined && path.startsWith('/') ? [normalize(path)] : [];
}

/** Decodes the inside of a strace C string (`\xNN`, `\NNN`, `\n`, `\"`, …) into its bytes. */
export function decodeStraceString(s: string): Buffer {
  const out: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, v: 11, f: 12, a: 7, b: 8, '"': 34, '\\': 92, "'": 39, '?': 63 };
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out.push(c.charCodeAt(0) & 0xff);
      continue;
    }
    const e = s[++i] ?? '';
    if (e === 'x') {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (/[0-7]/.test(e)) {
      const oct = /^[0-7]{1,3}/.exec(s.slice(i))![0];
      out.push(parseInt(oct, 8));
      i += oct.length - 1;
    } else out.push(simple[e] ?? e.charCodeAt(0));
  }
  return Buffer.from(out);
}

/** The data strings of a write-family call (one for write/pwrite64, one per iovec for writev/pwritev). */
function dataOf(args: string): { chunks: Buffer[]; truncated: boolean } {
  const chunks: Buffer[] = [];
  let truncated = false;
  for (const m of args.matchAll(/"((?:[^"\\]|\\.)*)"(\.\.\.)?/g)) {
    chunks.push(decodeStraceString(m[1]!));
    if (m[2] !== undefined) truncated = true;
  }
  return { chunks, truncated };
}

export interface FileChange {
  call: string;
  path: string;
}

export interface TraceReport {
  /** Every path a writing call changed, in trace order (repeats kept). */
  changes: FileChange[];
  /** The bytes written to each regular file, concatenated in trace order. */
  data: Map<string, Buffer>;
  /** Files filled by a call whose data the trace cannot show (each as "call path"). */
  opaque: string[];
  /** Write calls whose data strace cut short (raise -s): their files are not fully searched. */
  truncated: string[];
}

/** Reads the trace; relative paths resolve against `cwd` where strace printed no directory. */
export function readTrace(trace: string, cwd: string): TraceReport {
  const changes: FileChange[] = [];
  const parts = new Map<string, Buffer[]>();
  const opaque = new Set<string>();
  const truncated = new Set<string>();
  for (const line of trace.split('\n')) {
    // "1234 openat(…) = 3" or "1234 write(… <unfinished ...>"; "<... write resumed>" lines repeat no argument.
    const m = /^(?:\d+\s+)?(\w+)\((.*)$/.exec(line);
    if (!m) continue;
    const [, call, rest] = m as unknown as [string, string, string];
    if (/\)\s+=\s+-1\s+E[A-Z]+(?: \([^)]*\))?$/.test(rest)) continue;
    // The arguments: without the result (after the last string) and without an "unfinished" mark.
    const args = rest.replace(/\s*<unfinished \.\.\.>$/, '').replace(/\)\s+=\s+[^"]*$/, '');
    const paths = writtenPaths(call, args, cwd);
    changes.push(...paths.map((path) => ({ call, path })));
    const path = paths[0];
    if (path === undefined) continue;
    if (OPAQUE_CALLS.has(call)) opaque.add(`${call} ${path}`);
    if (!DATA_CALLS.has(call)) continue;
    const d = dataOf(args.slice(args.indexOf('>') + 1));
    if (d.truncated) truncated.add(`${call} ${path}`);
    const list = parts.get(path) ?? [];
    list.push(...d.chunks);
    parts.set(path, list);
  }
  const data = new Map([...parts].map(([p, chunks]) => [p, Buffer.concat(chunks)]));
  return { changes, data, opaque: [...opaque].sort(), truncated: [...truncated].sort() };
}

/** True when `path` is one of `dirs` or below one, or a device that stores nothing. */
export function inside(path: string, dirs: readonly string[]): boolean {
  return dirs.some((d) => path === d || path.startsWith(`${d}/`)) || HARMLESS.some((re) => re.test(path));
}

/** The changes outside `allowed` (each as "call path", sorted, once). */
export function changesOutside(changes: readonly FileChange[], allowed: readonly string[]): string[] {
  return [...new Set(changes.filter((c) => !inside(c.path, allowed)).map((c) => `${c.call} ${c.path}`))].sort();
}
