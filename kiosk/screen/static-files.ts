/**
 * The pages' files (kiosk/screen/static/: HTML, ES modules, CSS; no build
 * step), read once at start into memory: a request can only ever get one
 * of these files, by its exact name — there is no path to traverse.
 */
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Beside this module, in the sources and in dist/ (scripts/copy-assets.mjs copies it). */
export const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const NAME = /^[a-z0-9-]+\.(html|js|css|svg)$/;

export interface StaticFile {
  type: string;
  body: Buffer;
}

export async function loadStatic(dir = STATIC_DIR): Promise<ReadonlyMap<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  for (const name of await readdir(dir)) {
    if (!NAME.test(name)) continue;
    files.set(name, { type: TYPES[extname(name)]!, body: await readFile(join(dir, name)) });
  }
  return files;
}
