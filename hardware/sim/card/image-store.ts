/**
 * The EEPROM image file: each simulated card's persistent state, owned by
 * the simulator (a card is a device; its memory is not the kiosk's disk).
 *
 *   {
 *     "format": "cardline-sim-card",
 *     "version": 1,
 *     "checksum": "sha256:<hex of SHA-256 over JSON.stringify(body)>",
 *     "body": { ...image-codec.ts... }
 *   }
 *
 * - Writes are atomic: write a temporary file beside the image (mode 0600,
 *   it holds the card's keys), fsync it, rename it over the image, fsync the
 *   directory. A crash leaves the old image or the new one, never a mix.
 *   save() fails (IMAGE_IO) exactly when the image was not replaced.
 * - Reads validate everything: larger than MAX_IMAGE_BYTES, not JSON or cut
 *   short → IMAGE_CORRUPT;
 *   another format or version → IMAGE_VERSION; body edited or damaged →
 *   IMAGE_CHECKSUM; a field of the wrong type → IMAGE_CORRUPT. A missing
 *   file is "no card yet" (undefined), anything else unreadable IMAGE_IO.
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SimCardError } from './errors.js';
import { decodeBody, encodeBody } from './image-codec.js';
import type { CardState } from './state.js';

export const IMAGE_FORMAT = 'cardline-sim-card';
export const IMAGE_VERSION = 1;
/**
 * Largest image file read: far above any real card (1 MB of application
 * memory at most, base64 in JSON, plus a small file system), far below what
 * could hurt the process.
 */
export const MAX_IMAGE_BYTES = 4 * 1024 * 1024;

/** Where a card's persistent state lives between commands. */
export interface ImageStore {
  /** The committed state, or undefined when the card has no image yet. */
  load(): Promise<CardState | undefined>;
  /** Replaces the image atomically. Throws SimCardError `IMAGE_IO` when, and only when, the old image is still the image. */
  save(state: CardState): Promise<void>;
}

function checksumOf(bodyJson: string): string {
  return `sha256:${createHash('sha256').update(bodyJson, 'utf8').digest('hex')}`;
}

/** The image file's text for `state`. */
export function encodeImage(state: CardState): string {
  const body = encodeBody(state);
  const checksum = checksumOf(JSON.stringify(body));
  return `${JSON.stringify({ format: IMAGE_FORMAT, version: IMAGE_VERSION, checksum, body }, null, 2)}\n`;
}

/** Parses and validates an image file's text. Throws SimCardError IMAGE_CORRUPT / IMAGE_VERSION / IMAGE_CHECKSUM. */
export function decodeImage(text: string): CardState {
  if (text.trim().length === 0) throw new SimCardError('IMAGE_CORRUPT', 'image is empty (truncated)');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new SimCardError('IMAGE_CORRUPT', `image of ${text.length} characters is not JSON (truncated or damaged)`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new SimCardError('IMAGE_CORRUPT', 'image is not a JSON object');
  const { format, version, checksum, body } = doc as Record<string, unknown>;
  if (format !== IMAGE_FORMAT) throw new SimCardError('IMAGE_VERSION', 'not a Cardline simulated card image');
  if (version !== IMAGE_VERSION) throw new SimCardError('IMAGE_VERSION', `image version ${String(version)} (this simulator reads ${IMAGE_VERSION})`);
  if (typeof checksum !== 'string' || body === undefined) throw new SimCardError('IMAGE_CORRUPT', 'image without checksum or body');
  if (checksumOf(JSON.stringify(body)) !== checksum) throw new SimCardError('IMAGE_CHECKSUM', 'image body does not match its checksum');
  return decodeBody(body);
}

function ioError(op: string, path: string, e: unknown): SimCardError {
  const code = (e as { code?: unknown }).code;
  return new SimCardError('IMAGE_IO', `${op} ${path}: ${typeof code === 'string' ? code : 'failed'}`);
}

/** fsyncs a directory, so that a rename in it is durable. */
async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** An image in a file, written atomically (see above). */
export class FileImageStore implements ImageStore {
  private tmpSeq = 0;

  constructor(
    readonly path: string,
    /** Directory fsync (injectable so that tests can make it fail). */
    private readonly syncDir: (dir: string) => Promise<void> = syncDirectory,
  ) {}

  async load(): Promise<CardState | undefined> {
    let text: string;
    try {
      // Size first: the file is input, and reading an arbitrary one whole could exhaust memory.
      const { size } = await stat(this.path);
      if (size > MAX_IMAGE_BYTES) throw new SimCardError('IMAGE_CORRUPT', `image of ${size} bytes exceeds ${MAX_IMAGE_BYTES}`);
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if (e instanceof SimCardError) throw e;
      if ((e as { code?: unknown }).code === 'ENOENT') return undefined;
      throw ioError('reading', this.path, e);
    }
    return decodeImage(text);
  }

  async save(state: CardState): Promise<void> {
    const text = encodeImage(state);
    const tmp = `${this.path}.tmp-${process.pid}-${this.tmpSeq++}`;
    try {
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(text, 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.path);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw ioError('writing', this.path, e);
    }
    // The rename is durable only once the directory entry is on disk. But once
    // it is done, the new image IS the image: a failed directory fsync must not
    // be reported as a failed write, or the card would answer 6581 and keep its
    // old state in memory while its EEPROM holds the new one (and a reopened
    // card would disagree with what the host was told).
    await this.syncDir(dirname(this.path)).catch(() => undefined);
  }
}

/** No file: the state lives only in the SimCard object (profile `statePath` absent). */
export class MemoryImageStore implements ImageStore {
  load(): Promise<CardState | undefined> {
    return Promise.resolve(undefined);
  }

  save(): Promise<void> {
    return Promise.resolve();
  }
}
