/**
 * Secrets a person types (one-time codes, console passwords, the kiosk
 * operator's PIN) are stored only as a slow hash: scrypt (RFC 7914) through
 * node:crypto, which runs it on libuv's thread pool so the event loop is
 * not blocked while a hash is computed.
 *
 * Stored form: `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`, so the cost
 * can be raised later without invalidating stored hashes.
 */
import { scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** log2 of the CPU/memory cost N. Default 15 (N = 32768, 32 MiB with r = 8). */
  logN: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT: ScryptParams = { logN: 15, r: 8, p: 1 };
const KEY_BYTES = 32;
const FORMAT = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9+/=]{1,64})\$([A-Za-z0-9+/=]{1,128})$/;

/** A stored value that is not a hash of ours (`HASH_INVALID`) or whose cost is out of range (`HASH_COST`). */
export class SlowHashError extends Error {
  override readonly name = 'SlowHashError';
  constructor(
    readonly code: 'HASH_INVALID' | 'HASH_COST',
    message: string,
  ) {
    super(message);
  }
}

function scrypt(secret: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  const opts: ScryptOptions = { N: 2 ** params.logN, r: params.r, p: params.p, maxmem: 256 * 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(secret.normalize('NFC'), salt, KEY_BYTES, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function slowHash(secret: string, params: ScryptParams, random: (n: number) => Uint8Array): Promise<string> {
  const salt = random(16);
  const key = await scrypt(secret, salt, params);
  const out = `scrypt$${params.logN}$${params.r}$${params.p}$${Buffer.from(salt).toString('base64')}$${key.toString('base64')}`;
  key.fill(0);
  return out;
}

/** Whether `stored` is in the format (checked before it is saved: a config file, an operator row). */
export function isSlowHash(stored: string): boolean {
  const m = FORMAT.exec(stored);
  return m !== null && Number(m[1]) >= 10 && Number(m[1]) <= 22;
}

/** True when `secret` matches the stored hash. Throws SlowHashError for a stored value that is not one of ours. */
export async function checkSlowHash(secret: string, stored: string): Promise<boolean> {
  const m = FORMAT.exec(stored);
  if (!m) throw new SlowHashError('HASH_INVALID', 'stored hash is not in the scrypt format');
  const params: ScryptParams = { logN: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.logN < 10 || params.logN > 22) throw new SlowHashError('HASH_COST', 'stored hash has an out-of-range cost');
  const expected = Buffer.from(m[5]!, 'base64');
  const key = await scrypt(secret, Buffer.from(m[4]!, 'base64'), params);
  try {
    return key.length === expected.length && timingSafeEqual(key, expected);
  } finally {
    key.fill(0);
  }
}
