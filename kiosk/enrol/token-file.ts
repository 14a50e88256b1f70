/**
 * The enrolment token, from a file (never argv: docs/provisioning.md §7).
 * Read like a secret key (common/key-files.ts `readChecked`: a regular,
 * bounded file, refused when group or others may read it), as bytes that
 * never become a JavaScript string: the caller puts them into the request
 * body and zeroizes both.
 */
import { KeyFileError, readChecked } from '../../common/key-files.js';
import { EnrolClientError } from './errors.js';

/** 43 base64url characters (32 bytes), surrounding whitespace ignored. */
export async function readTokenFile(path: string): Promise<Buffer> {
  let raw: Buffer;
  try {
    raw = await readChecked(path, true, 1024);
  } catch (e) {
    if (e instanceof KeyFileError) throw new EnrolClientError('TOKEN_FILE_INVALID', `the token file ${e.message}`);
    throw e;
  }
  try {
    let start = 0;
    let end = raw.length;
    while (start < end && isSpace(raw[start]!)) start++;
    while (end > start && isSpace(raw[end - 1]!)) end--;
    if (end - start !== 43) throw new EnrolClientError('TOKEN_FILE_INVALID', `the token file ${path}: not a token (43 base64url characters expected, ${end - start} found)`);
    for (let i = start; i < end; i++) {
      if (!isBase64Url(raw[i]!)) throw new EnrolClientError('TOKEN_FILE_INVALID', `the token file ${path}: not a token (character ${i - start + 1} is not base64url)`);
    }
    return Buffer.from(raw.subarray(start, end));
  } finally {
    raw.fill(0);
  }
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
const isBase64Url = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d || c === 0x5f;
