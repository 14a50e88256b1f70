/**
 * One-time codes are stored only as a slow hash (issue 3: "a one-time code,
 * stored only as a slow hash"): common/slow-hash.ts, with a stored value
 * that is not one of ours reported as the center's DATA_INTEGRITY.
 */
import { checkSlowHash, DEFAULT_SCRYPT, slowHash, SlowHashError, type ScryptParams } from '../common/slow-hash.js';
import { CenterError } from './errors.js';

export { DEFAULT_SCRYPT, type ScryptParams };

export function hashCode(code: string, params: ScryptParams, random: (n: number) => Uint8Array): Promise<string> {
  return slowHash(code, params, random);
}

/** True when `code` matches the stored hash. Throws DATA_INTEGRITY for a stored value that is not one of ours. */
export async function checkCode(code: string, stored: string): Promise<boolean> {
  try {
    return await checkSlowHash(code, stored);
  } catch (e) {
    if (e instanceof SlowHashError) throw new CenterError('DATA_INTEGRITY', e.code === 'HASH_COST' ? 'stored code hash has an out-of-range cost' : 'stored code hash is not in the scrypt format');
    throw e;
  }
}
