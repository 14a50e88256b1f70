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
 * - Reads validate everything: not JSON or cut short → IMAGE_CORRUPT;
 *   another format or version → IMAGE_VERSION; body edited or damaged →
 *   IMAGE_CHECKSUM; a field of the wrong type → IMAGE_CORRUPT. A missing
 *   file is "no card yet" (undefined), anything else unreadable IMAGE_IO.
 */
import { createHash } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SimCardError } from './errors.js';
import { decodeBody, encodeBody } from './image-codec.js';
import type { CardState } from './state.js';

export const IMAGE_FORMAT = 'cardline-sim-card';
export const IMAGE_VERSION = 1;

/** Where a card's persistent state lives between commands. */
export interface ImageStore {
  /** The committed state, or undefined when the card has no image yet. */
  load(): Promise<CardState | undefined>;
  /** Replaces the image atomically. Throws SimCardError `IMAGE_IO`. */
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

/** An image in a file, written atomically (see above). */
export class FileImageStore implements ImageStore {
  private tmpSeq = 0;

  constructor(readonly path: string) {}

  async load(): Promise<CardState | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
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
    // The rename is durable only once the directory entry is on disk.
    try {
      const dir = await open(dirname(this.path), 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch (e) {
      throw ioError('syncing the directory of', this.path, e);
    }
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
