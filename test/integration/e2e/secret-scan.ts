/**
 * The no-persistence scanner (issue 4, "No file written may contain a
 * personal-data value or key material"; DESIGN §6 "Kiosk disk"): a value
 * as it could be written — raw bytes, hex in either case, base64 at each of
 * the three alignments it can take inside a longer encoding (and base64url)
 * — and one pass over a file, a log or a trace's written bytes that finds
 * every such form of every value at once.
 *
 * One pass: needles are indexed by their first four bytes, so a haystack is
 * read once whatever the number of needles (thousands here: 40
 * applications, 40 cards' keys, the center's and the kiosk's keys).
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { toHex } from '../../../card/bytes.js';

export interface Needle {
  what: string;
  bytes: Buffer;
}

export interface Finding {
  where: string;
  what: string;
}

/** Shorter needles could turn up in a binary file by chance. */
export const MIN_NEEDLE = 8;

/**
 * The forms of one value: hex (both cases), base64 of the value from byte
 * 0, 1 and 2 on, cut to whole 3-byte groups (whatever encloses the value,
 * one of the three is aligned with the enclosing encoding), base64url where
 * it differs, and the raw bytes unless `raw: false` (log lines are text).
 */
export function valueForms(what: string, value: Uint8Array, o: { raw?: boolean } = {}): Needle[] {
  const hex = toHex(value);
  const out: Needle[] = [
    { what: `${what} (hex, upper case)`, bytes: Buffer.from(hex.toUpperCase()) },
    { what: `${what} (hex, lower case)`, bytes: Buffer.from(hex.toLowerCase()) },
  ];
  for (let k = 0; k < 3; k++) {
    const whole = Math.floor((value.length - k) / 3) * 3;
    if (whole < 6) continue;
    const b64 = Buffer.from(value.subarray(k, k + whole)).toString('base64');
    out.push({ what: `${what} (base64, from byte ${k})`, bytes: Buffer.from(b64) });
    const url = b64.replace(/\+/g, '-').replace(/\//g, '_');
    if (url !== b64) out.push({ what: `${what} (base64url, from byte ${k})`, bytes: Buffer.from(url) });
  }
  if (o.raw !== false && value.length >= MIN_NEEDLE) out.push({ what: `${what} (raw bytes)`, bytes: Buffer.from(value) });
  return out;
}

/** A text value (a name, a code) as its UTF-8 bytes. */
export function textNeedle(what: string, text: string): Needle {
  return { what, bytes: Buffer.from(text, 'utf8') };
}

const prefixOf = (b: Uint8Array, i: number): number => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;

/** Many needles, found in one pass over each haystack. */
export class NeedleSet {
  readonly #byPrefix = new Map<number, Needle[]>();

  constructor(readonly needles: readonly Needle[]) {
    for (const n of needles) {
      if (n.bytes.length < MIN_NEEDLE) throw new RangeError(`needle '${n.what}' is ${n.bytes.length} bytes: at least ${MIN_NEEDLE}`);
      const key = prefixOf(n.bytes, 0);
      const list = this.#byPrefix.get(key);
      if (list) list.push(n);
      else this.#byPrefix.set(key, [n]);
    }
  }

  get size(): number {
    return this.needles.length;
  }

  /** Every needle that occurs in `hay` (once each, in the order first found). */
  find(hay: Uint8Array): Needle[] {
    const found = new Set<Needle>();
    const map = this.#byPrefix;
    for (let i = 0; i + MIN_NEEDLE <= hay.length; i++) {
      const list = map.get(prefixOf(hay, i));
      if (list === undefined) continue;
      for (const n of list) {
        if (found.has(n) || i + n.bytes.length > hay.length) continue;
        if (Buffer.compare(n.bytes, hay.subarray(i, i + n.bytes.length)) === 0) found.add(n);
      }
    }
    return [...found];
  }

  scan(where: string, hay: Uint8Array): Finding[] {
    return this.find(hay).map((n) => ({ where, what: n.what }));
  }
}

/** Each line of a log, as `name line N`. */
export function scanLines(name: string, lines: readonly string[], set: NeedleSet): Finding[] {
  return lines.flatMap((line, i) => set.scan(`${name} line ${i + 1}`, Buffer.from(line)));
}

export interface TreeScan {
  /** Regular files read and searched. */
  files: number;
  /** Files not searched, by `skip` (relative paths). */
  skipped: string[];
  findings: Finding[];
}

/**
 * Every regular file under `dir` (symbolic links are reported, not
 * followed) searched for every needle, except those `skip` names (given the
 * path relative to `dir`); findings name the relative path.
 */
export async function scanTree(dir: string, set: NeedleSet, skip: (rel: string) => boolean = () => false): Promise<TreeScan> {
  const out: TreeScan = { files: 0, skipped: [], findings: [] };
  const walk = async (d: string): Promise<void> => {
    for (const name of (await readdir(d)).sort()) {
      const path = join(d, name);
      const rel = relative(dir, path);
      const st = await lstat(path);
      if (st.isDirectory()) await walk(path);
      else if (skip(rel)) out.skipped.push(rel);
      else if (st.isFile()) {
        out.files++;
        out.findings.push(...set.scan(rel, await readFile(path)));
      } else out.findings.push({ where: rel, what: 'not a regular file (link, socket or fifo)' });
    }
  };
  await walk(dir);
  return out;
}
