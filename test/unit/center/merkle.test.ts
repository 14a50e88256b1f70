/**
 * RFC 6962 §2.1 hashing: the reference tree heads published with Certificate
 * Transparency's test data (the 8 leaves "", 00, 10, 2021, …; also in
 * trillian's rfc6962 tests), the RFC's recursion against the incremental
 * Frontier for every size 0..300, and the frontier's encoding.
 */
import t from 'tap';
import { hex, toHex } from '../../../card/bytes.js';
import { emptyRoot, Frontier, leafHash, nodeHash, rootOf } from '../../../center/audit/merkle.js';

const lower = (b: Uint8Array): string => toHex(b).toLowerCase();

const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => hex(h));
// Roots of the trees of size 0..8 over CT_LEAVES.
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

void t.test('the empty tree is SHA-256 of the empty string', (t) => {
  t.equal(lower(emptyRoot()), CT_ROOTS[0]);
  t.equal(lower(rootOf([])), CT_ROOTS[0]);
  t.equal(lower(Frontier.empty().root()), CT_ROOTS[0]);
  t.end();
});

void t.test('leaf and node hashes carry the 0x00 / 0x01 prefixes', (t) => {
  // SHA-256(0x00) and SHA-256(0x01 ‖ a ‖ b) as the RFC defines them.
  t.equal(lower(leafHash(new Uint8Array(0))), CT_ROOTS[1]);
  const a = leafHash(CT_LEAVES[0]!);
  const b = leafHash(CT_LEAVES[1]!);
  t.equal(lower(nodeHash(a, b)), CT_ROOTS[2]);
  t.not(lower(nodeHash(b, a)), CT_ROOTS[2], 'order matters');
  t.end();
});

void t.test('rootOf and Frontier match the published roots for sizes 0..8', (t) => {
  const leaves = CT_LEAVES.map(leafHash);
  const f = Frontier.empty();
  for (let n = 0; n <= 8; n++) {
    t.equal(lower(rootOf(leaves.slice(0, n))), CT_ROOTS[n], `rootOf size ${n}`);
    t.equal(lower(f.root()), CT_ROOTS[n], `frontier size ${n}`);
    if (n < 8) f.push(leaves[n]!);
  }
  t.end();
});

void t.test('Frontier.root equals rootOf for every size 0..300, and encode/decode round-trips', (t) => {
  const leaves = Array.from({ length: 300 }, (_, i) => leafHash(new Uint8Array([i & 0xff, i >> 8, 7])));
  const f = Frontier.empty();
  let mismatches = 0;
  for (let n = 0; n <= 300; n++) {
    const expected = lower(rootOf(leaves.slice(0, n)));
    if (lower(f.root()) !== expected) mismatches++;
    // The encoding holds one 32-byte root per set bit of n, and decodes to the same tree.
    const enc = f.encode();
    const bits = n.toString(2).split('').filter((c) => c === '1').length;
    if (enc.length !== 32 * bits) mismatches++;
    const back = Frontier.decode(enc, n);
    if (lower(back.root()) !== expected || back.size !== n) mismatches++;
    if (n < 300) {
      // Keep building on the decoded copy half the time: it must behave as the original.
      const next = n % 2 === 0 ? back : f;
      next.push(leaves[n]!);
      if (next !== f) f.push(leaves[n]!);
    }
  }
  t.equal(mismatches, 0);
  t.equal(f.size, 300);
  t.end();
});

void t.test('the root depends on every leaf and on their order', (t) => {
  const leaves = Array.from({ length: 37 }, (_, i) => leafHash(new Uint8Array([i])));
  const root = lower(rootOf(leaves));
  const swapped = [...leaves];
  [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
  t.not(lower(rootOf(swapped)), root, 'swapping two leaves changes the root');
  t.not(lower(rootOf(leaves.slice(0, 36))), root, 'dropping the last leaf changes the root');
  t.not(lower(rootOf([...leaves.slice(0, 10), ...leaves.slice(11)])), root, 'dropping a middle leaf changes the root');
  t.end();
});

void t.test('decode refuses a frontier of the wrong length or size', (t) => {
  t.throws(() => Frontier.decode(new Uint8Array(32), 3), { code: 'CORRUPT_STATE' });
  t.throws(() => Frontier.decode(new Uint8Array(0), 1), { code: 'CORRUPT_STATE' });
  t.throws(() => Frontier.decode(new Uint8Array(0), -1), { code: 'CORRUPT_STATE' });
  t.throws(() => Frontier.empty().push(new Uint8Array(31)), { code: 'CORRUPT_STATE' });
  t.equal(Frontier.decode(new Uint8Array(64), 3).size, 3);
  t.end();
});
