/**
 * Where a batch manifest lives and how it is written: `<station>/batches/<batch>.json`,
 * written once (atomic, never overwritten: a batch is prepared once).
 */
import { access, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeManifest, type BatchManifest } from '../../card/stock/index.js';
import { KeyFileError, writeAtomic } from '../../common/key-files.js';
import { StockError } from './errors.js';

export const BATCHES_DIR = 'batches';

export function manifestPath(dir: string, batch: string): string {
  return join(dir, BATCHES_DIR, `${batch}.json`);
}

/** Throws StockError BATCH_EXISTS when the batch's manifest is there already (checked before any card is made). */
export async function refuseExistingManifest(dir: string, batch: string): Promise<void> {
  const path = manifestPath(dir, batch);
  const there = await access(path).then(
    () => true,
    () => false,
  );
  if (there) throw new StockError('BATCH_EXISTS', `${path} exists: batch ${batch} was prepared already`);
}

/** Writes the manifest; BATCH_EXISTS if another writer got there first (link(2) is atomic), IO otherwise. */
export async function writeManifest(dir: string, m: BatchManifest): Promise<string> {
  const path = manifestPath(dir, m.batch);
  try {
    await mkdir(join(dir, BATCHES_DIR), { recursive: true });
    await writeAtomic(path, new TextEncoder().encode(encodeManifest(m)), { secret: false });
  } catch (e) {
    if (e instanceof KeyFileError && e.code === 'EXISTS') throw new StockError('BATCH_EXISTS', `${path} exists: batch ${m.batch} was prepared already`);
    throw new StockError('IO', `cannot write ${path} (${(e as { code?: string }).code ?? 'error'})`);
  }
  return path;
}
