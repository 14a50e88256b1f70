/**
 * The front end's files (center/console/static/, written beside this
 * server; copied into dist/ by scripts/copy-assets.mjs): `/` is
 * index.html, `/static/<path>` a file under the directory. Only plain
 * relative names are served (no dot segments, no hidden files); anything
 * else, or a file that is not there yet, is a clean 404.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsoleError } from './errors.js';

export const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/;
const MAX_FILE = 2 * 1024 * 1024;

export interface StaticFile {
  type: string;
  body: Buffer;
}

/** The file for a request path (`/` or `/static/…`), or ConsoleError not-found. */
export async function staticFile(dir: string, pathname: string): Promise<StaticFile> {
  const rel = pathname === '/' ? 'index.html' : pathname.startsWith('/static/') ? pathname.slice('/static/'.length) : undefined;
  const segments = rel?.split('/') ?? [];
  if (rel === undefined || segments.length > 8 || !segments.every((s) => SEGMENT.test(s))) throw new ConsoleError('not-found', 'no such page');
  const type = TYPES[extname(rel).toLowerCase()];
  if (type === undefined) throw new ConsoleError('not-found', 'no such page');
  const path = join(dir, ...segments);
  try {
    const s = await stat(path);
    if (!s.isFile() || s.size > MAX_FILE) throw new ConsoleError('not-found', 'no such page');
    return { type, body: await readFile(path) };
  } catch (e) {
    if (e instanceof ConsoleError) throw e;
    throw new ConsoleError('not-found', 'no such page');
  }
}
