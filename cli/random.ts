/** The one real random source the CLI injects into every room (node:crypto's CSPRNG). */
import { randomBytes } from 'node:crypto';

export function cryptoRandom(n: number): Uint8Array {
  return new Uint8Array(randomBytes(n));
}
