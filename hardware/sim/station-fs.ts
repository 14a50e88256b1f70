/**
 * The simulated station on disk. One directory per device:
 *
 *   <dir>/station.json             {format, version, id, created}
 *   <dir>/reader.key, reader.pub   the reader identity (reader-key.ts)
 *   <dir>/hopper/<serial>.eeprom   cards not yet fed (fed in ascending file-name order)
 *   <dir>/ic/<serial>.eeprom       at most one: the card at the IC station
 *   <dir>/gate/<serial>.eeprom     ejected to the customer
 *   <dir>/reject/<serial>.eeprom   captured
 *
 * The file's location IS the card's place. A move is one rename(2), atomic
 * within a file system (POSIX rename: the name refers to the old or the new
 * file, never neither), then an fsync of both directories so the move is
 * durable. A kill at any instant leaves each card in exactly one place.
 * Other names in a place (a card's `*.eeprom.tmp-*` left by a crash in the
 * middle of an EEPROM write) are not cards and are ignored.
 */
import { open, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StationError } from '../station.js';

export const PLACES = ['hopper', 'ic', 'gate', 'reject'] as const;
export type Place = (typeof PLACES)[number];

export const STATION_FILE = 'station.json';
const FORMAT = 'cardline-sim-station';
const VERSION = 1;
const MAX_STATION_FILE_BYTES = 64 * 1024;
/** A simulated card's serial as the hopper writes it: 4..10 bytes, uppercase hex. */
export const SERIAL_RE = /^(?:[0-9A-F]{2}){4,10}$/;
const CARD_FILE_RE = /^((?:[0-9A-F]{2}){4,10})\.eeprom$/;

export interface StationFile {
  format: typeof FORMAT;
  version: typeof VERSION;
  /** The reader identity's registry ID. */
  id: string;
  /** ISO 8601 time of creation. */
  created: string;
}

/** The errno code of a file-system error, for messages ('error' when there is none). */
export function fsCode(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'error';
}

/** fsyncs a directory, so that a rename in it is durable. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function isPlace(p: unknown): p is Place {
  return typeof p === 'string' && (PLACES as readonly string[]).includes(p);
}

export function placeDir(dir: string, place: Place): string {
  return join(dir, place);
}

export function cardPath(dir: string, place: Place, serial: string): string {
  return join(dir, place, `${serial}.eeprom`);
}

/** Serials of the cards in `place`, in feed order (ascending file name). */
export async function listPlace(dir: string, place: Place): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(placeDir(dir, place));
  } catch (e) {
    throw new StationError('IO', `cannot list ${placeDir(dir, place)} (${fsCode(e)})`);
  }
  return names
    .filter((n) => CARD_FILE_RE.test(n))
    .sort()
    .map((n) => n.slice(0, -'.eeprom'.length));
}

/**
 * Moves one card between places: rename, then fsync of the destination and
 * the source directory. Refuses (IO, nothing moved) when the destination
 * name is taken, rather than letting rename replace another card's image.
 */
export async function moveCard(dir: string, serial: string, from: Place, to: Place): Promise<void> {
  await moveCardFile(cardPath(dir, from, serial), cardPath(dir, to, serial));
  // The rename is done: the card has moved. A failed fsync only weakens durability against power loss.
  await Promise.all([syncDir(placeDir(dir, to)), syncDir(placeDir(dir, from))]).catch(() => undefined);
}

/** One rename of a card image, refused (IO) when `dst` exists; the caller fsyncs the directories. */
export async function moveCardFile(src: string, dst: string): Promise<void> {
  if (await exists(dst)) throw new StationError('IO', `${dst} already exists: a card would be in two places`);
  try {
    await rename(src, dst);
  } catch (e) {
    throw new StationError('IO', `cannot move ${src} to ${dst} (${fsCode(e)})`);
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (e) {
    if (fsCode(e) === 'ENOENT') return false;
    throw new StationError('IO', `cannot access ${path} (${fsCode(e)})`);
  }
}

/** Writes station.json atomically (temp file, fsync, rename, directory fsync). */
export async function writeStationFile(dir: string, id: string, created: Date): Promise<void> {
  const body: StationFile = { format: FORMAT, version: VERSION, id, created: created.toISOString() };
  const path = join(dir, STATION_FILE);
  const tmp = `${path}.tmp`;
  try {
    await writeFile(tmp, `${JSON.stringify(body, null, 2)}\n`, { flag: 'w', mode: 0o644 });
    const fh = await open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await syncDir(dir);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new StationError('IO', `cannot write ${path} (${fsCode(e)})`);
  }
}

/** Reads and validates station.json; StationError IO names what is wrong. */
export async function readStationFile(dir: string): Promise<StationFile> {
  const path = join(dir, STATION_FILE);
  let text: string;
  try {
    const { size } = await stat(path);
    if (size > MAX_STATION_FILE_BYTES) throw new StationError('IO', `${path} is ${size} bytes (limit ${MAX_STATION_FILE_BYTES})`);
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof StationError) throw e;
    throw new StationError('IO', `no simulated station in ${dir}: cannot read ${STATION_FILE} (${fsCode(e)})`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new StationError('IO', `${path} is not JSON`);
  }
  const f = (typeof v === 'object' && v !== null ? v : {}) as Partial<Record<keyof StationFile, unknown>>;
  if (f.format !== FORMAT || f.version !== VERSION) throw new StationError('IO', `${path} is not a version ${VERSION} ${FORMAT} file`);
  if (typeof f.id !== 'string' || f.id.length === 0) throw new StationError('IO', `${path}: id must be a non-empty string`);
  if (typeof f.created !== 'string' || Number.isNaN(Date.parse(f.created))) throw new StationError('IO', `${path}: created must be an ISO 8601 time`);
  return { format: FORMAT, version: VERSION, id: f.id, created: f.created };
}
