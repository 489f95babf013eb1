// RFC 9162 proofs as an auditor checks them (sections 2.1.3.2 and 2.1.4.2), without a tree: for the CLI, the tests and
// anyone holding a checkpoint; and proofs encoded as the API answers them.
import { emptyRoot, hashChildren, HASH_SIZE, isPowerOfTwo, isSize } from './merkle.js';

/** Standard base64 of each hash, as the proofs are served. */
export function encodeProof(proof: readonly Uint8Array[]): string[] {
  return proof.map((node) => Buffer.from(node).toString('base64'));
}

function equalHashes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === HASH_SIZE && b.length === HASH_SIZE && Buffer.compare(a, b) === 0;
}

// The verifiers shift sizes with arithmetic, not >>, so sizes past 2^31 from an outside checkpoint stay exact.
const lsb = (value: number): boolean => value % 2 === 1;
const half = (value: number): number => Math.floor(value / 2);

/**
 * RFC 9162 2.1.3.2: does `proof` show the leaf with hash `leafHash` at `index` in the tree of `size` leaves with root `root`?
 * Malformed arguments answer false rather than throw, as any other failed proof.
 */
export function verifyInclusion(
  index: number,
  size: number,
  leafHash: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isSize(index) || !isSize(size) || index >= size || leafHash.length !== HASH_SIZE) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (p.length !== HASH_SIZE || sn === 0) return false;
    if (lsb(fn) || fn === sn) {
      r = hashChildren(p, r);
      while (!lsb(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalHashes(r, root);
}

/**
 * RFC 9162 2.1.4.2: does `proof` show the tree of `to` leaves with root `toRoot` extends the tree of `from` with `fromRoot`?
 * The RFC covers 0 < from < to; equal sizes need equal roots and an empty proof, and size 0 the empty root and an empty proof.
 */
export function verifyConsistency(
  from: number,
  to: number,
  fromRoot: Uint8Array,
  toRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  if (!isSize(from) || !isSize(to) || from > to || fromRoot.length !== HASH_SIZE || toRoot.length !== HASH_SIZE) return false;
  if (from === 0) return proof.length === 0 && equalHashes(fromRoot, emptyRoot());
  if (from === to) return proof.length === 0 && equalHashes(fromRoot, toRoot);
  if (proof.length === 0 || proof.some((c) => c.length !== HASH_SIZE)) return false;
  // When `from` is a perfect subtree its root is not in the proof: the verifier starts from the root it already holds.
  const path = isPowerOfTwo(from) ? [fromRoot, ...proof] : [...proof];
  let fn = from - 1;
  let sn = to - 1;
  while (lsb(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr = path[0] as Uint8Array;
  let sr = fr;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (lsb(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (!lsb(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && equalHashes(fr, fromRoot) && equalHashes(sr, toRoot);
}
