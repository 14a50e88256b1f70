/**
 * Merkle tree hashing of RFC 6962 §2.1 (Certificate Transparency), pure.
 *
 *   MTH({})      = SHA-256()
 *   leaf hash    = SHA-256(0x00 ‖ d)
 *   MTH(D[n])    = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n])), k the largest power of two < n
 *
 * The 0x00/0x01 prefixes separate leaves from interior nodes, so no leaf can
 * pose as a subtree (RFC 6962 §2.1, second-preimage resistance).
 *
 * `Frontier` keeps a tree of any size in O(log n) space: the roots of the
 * perfect subtrees it splits into (one per set bit of n, largest and
 * leftmost first), the "compact range" [0, n) of transparency-log
 * implementations. Appending is a binary-counter carry; its root equals
 * `rootOf` over the same leaves for every n (test/unit/center/merkle.test.ts).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { AuditError } from './errors.js';

export const HASH_BYTES = 32;

/** RFC 6962 §2.1: the hash of a leaf holding `data`. */
export function leafHash(data: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + data.length);
  buf[0] = 0x00;
  buf.set(data, 1);
  return sha256(buf);
}

/** RFC 6962 §2.1: the hash of an interior node over its left and right subtrees. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(1 + 2 * HASH_BYTES);
  buf[0] = 0x01;
  buf.set(left, 1);
  buf.set(right, 1 + HASH_BYTES);
  return sha256(buf);
}

/** MTH of the empty tree: SHA-256 of the empty string (e3b0c442…b855). */
export function emptyRoot(): Uint8Array {
  return sha256(new Uint8Array(0));
}

/** RFC 6962 §2.1 MTH over already-hashed leaves, by the RFC's own recursion (the reference for `Frontier`). */
export function rootOf(leafHashes: readonly Uint8Array[]): Uint8Array {
  const mth = (from: number, to: number): Uint8Array => {
    const n = to - from;
    if (n === 0) return emptyRoot();
    if (n === 1) return leafHashes[from]!;
    const k = largestPowerOfTwoBelow(n);
    return nodeHash(mth(from, from + k), mth(from + k, to));
  };
  return mth(0, leafHashes.length);
}

/** The largest power of two strictly less than n (n ≥ 2). */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Number of perfect subtrees in a tree of `size` leaves: the set bits of size. */
function subtreeCount(size: number): number {
  let count = 0;
  for (let s = size; s > 0; s = Math.floor(s / 2)) count += s % 2;
  return count;
}

/** Incremental RFC 6962 tree: perfect subtree roots of [0, size), left to right. */
export class Frontier {
  private constructor(
    private readonly nodes: Uint8Array[],
    private count: number,
  ) {}

  static empty(): Frontier {
    return new Frontier([], 0);
  }

  /** Leaves pushed so far. */
  get size(): number {
    return this.count;
  }

  /** Appends one leaf hash: merges equal-sized subtrees as a binary counter carries. */
  push(leaf: Uint8Array): void {
    if (leaf.length !== HASH_BYTES) throw new AuditError('CORRUPT_STATE', `leaf hash of ${leaf.length} bytes`);
    let node = leaf;
    // Each trailing 1 bit of the old size is a subtree of the same height as `node`: merge it.
    for (let s = this.count; s % 2 === 1; s = Math.floor(s / 2)) node = nodeHash(this.nodes.pop()!, node);
    this.nodes.push(node);
    this.count += 1;
  }

  /** MTH of the leaves so far: fold the subtree roots from the right (RFC 6962 §2.1 split at k). */
  root(): Uint8Array {
    if (this.nodes.length === 0) return emptyRoot();
    let acc = this.nodes[this.nodes.length - 1]!;
    for (let i = this.nodes.length - 2; i >= 0; i--) acc = nodeHash(this.nodes[i]!, acc);
    return acc;
  }

  /** The subtree roots concatenated, largest first (32 bytes × popcount(size)). */
  encode(): Uint8Array {
    const out = new Uint8Array(this.nodes.length * HASH_BYTES);
    this.nodes.forEach((n, i) => out.set(n, i * HASH_BYTES));
    return out;
  }

  /** The inverse of `encode` for a tree of `size` leaves; refuses bytes of the wrong length. */
  static decode(bytes: Uint8Array, size: number): Frontier {
    if (!Number.isSafeInteger(size) || size < 0) throw new AuditError('CORRUPT_STATE', `frontier size ${size} is not a count`);
    const expected = subtreeCount(size) * HASH_BYTES;
    if (bytes.length !== expected) {
      throw new AuditError('CORRUPT_STATE', `frontier of ${bytes.length} bytes for size ${size} (expected ${expected})`);
    }
    const nodes: Uint8Array[] = [];
    for (let off = 0; off < bytes.length; off += HASH_BYTES) nodes.push(Uint8Array.from(bytes.subarray(off, off + HASH_BYTES)));
    return new Frontier(nodes, size);
  }
}
