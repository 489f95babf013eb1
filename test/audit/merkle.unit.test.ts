// The Merkle tree against RFC 9162's own recursive definitions, written naively here, and against published test vectors.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyRoot, hashLeaf, MerkleTree, TreeRangeError } from '../../src/audit/merkle.js';
import { encodeProof, verifyConsistency, verifyInclusion } from '../../src/audit/merkleProofs.js';

// ---- A reference straight from RFC 9162 2.1, sharing no code with the module. ----

const sha256 = (...parts: Uint8Array[]): Buffer => {
  const digest = createHash('sha256');
  for (const part of parts) digest.update(part);
  return digest.digest();
};
const refLeaf = (leaf: Uint8Array): Buffer => sha256(Uint8Array.of(0), leaf);
const refNode = (left: Uint8Array, right: Uint8Array): Buffer => sha256(Uint8Array.of(1), left, right);

/** k: the largest power of two smaller than n. */
function refK(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[n]). */
function refMth(d: readonly Uint8Array[]): Buffer {
  if (d.length === 0) return sha256();
  if (d.length === 1) return refLeaf(d[0] as Uint8Array);
  const k = refK(d.length);
  return refNode(refMth(d.slice(0, k)), refMth(d.slice(k)));
}

/** PATH(m, D[n]). */
function refPath(m: number, d: readonly Uint8Array[]): Buffer[] {
  if (d.length === 1) return [];
  const k = refK(d.length);
  return m < k ? [...refPath(m, d.slice(0, k)), refMth(d.slice(k))] : [...refPath(m - k, d.slice(k)), refMth(d.slice(0, k))];
}

/** SUBPROOF(m, D[n], b). */
function refSubproof(m: number, d: readonly Uint8Array[], b: boolean): Buffer[] {
  const n = d.length;
  if (m === n) return b ? [] : [refMth(d)];
  const k = refK(n);
  return m <= k
    ? [...refSubproof(m, d.slice(0, k), b), refMth(d.slice(k))]
    : [...refSubproof(m - k, d.slice(k), false), refMth(d.slice(0, k))];
}

/** PROOF(m, D[n]); the module answers [] for m = 0, which the RFC leaves undefined. */
const refProof = (m: number, d: readonly Uint8Array[]): Buffer[] => (m === 0 ? [] : refSubproof(m, d, true));

// Reference verifiers: they undo PATH's and SUBPROOF's recursion instead of the RFC's bit-walking, so a shared mistake is unlikely.
const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === 32 && b.length === 32 && Buffer.compare(a, b) === 0;

function refRootFromPath(m: number, n: number, leafHash: Uint8Array, path: readonly Uint8Array[]): Uint8Array | undefined {
  if (n === 1) return path.length === 0 ? leafHash : undefined;
  const last = path.at(-1);
  if (last === undefined || last.length !== 32) return undefined;
  const k = refK(n);
  const inner = m < k ? refRootFromPath(m, k, leafHash, path.slice(0, -1)) : refRootFromPath(m - k, n - k, leafHash, path.slice(0, -1));
  if (inner === undefined) return undefined;
  return m < k ? refNode(inner, last) : refNode(last, inner);
}

function refVerifyInclusion(m: number, n: number, leafHash: Uint8Array, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(m) || m < 0 || m >= n) return false;
  const computed = refRootFromPath(m, n, leafHash, path);
  return computed !== undefined && same(computed, root);
}

/** The (old root, new root) a SUBPROOF(m, D[n], b) proves, given the old root the verifier holds. */
function refRootsFromSubproof(
  m: number,
  n: number,
  b: boolean,
  proof: readonly Uint8Array[],
  oldRoot: Uint8Array,
): [Uint8Array, Uint8Array] | undefined {
  if (m === n) {
    if (b) return proof.length === 0 ? [oldRoot, oldRoot] : undefined;
    const only = proof[0];
    return proof.length === 1 && only !== undefined && only.length === 32 ? [only, only] : undefined;
  }
  const last = proof.at(-1);
  if (last === undefined || last.length !== 32) return undefined;
  const k = refK(n);
  if (m <= k) {
    const inner = refRootsFromSubproof(m, k, b, proof.slice(0, -1), oldRoot);
    return inner && [inner[0], refNode(inner[1], last)];
  }
  const inner = refRootsFromSubproof(m - k, n - k, false, proof.slice(0, -1), oldRoot);
  return inner && [refNode(last, inner[0]), refNode(last, inner[1])];
}

function refVerifyConsistency(m: number, n: number, oldRoot: Uint8Array, newRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (m < 0 || m > n) return false;
  if (m === 0) return proof.length === 0 && same(oldRoot, sha256());
  const roots = refRootsFromSubproof(m, n, true, proof, oldRoot);
  return roots !== undefined && same(roots[0], oldRoot) && same(roots[1], newRoot);
}

// ---- Fixtures. ----

/** Leaves as the ledger has them: 32-byte event hashes. */
const eventHashes = (count: number): Buffer[] => Array.from({ length: count }, (_, i) => sha256(Buffer.from(`event ${i}`)));

function treeOf(leaves: readonly Uint8Array[]): MerkleTree {
  const tree = new MerkleTree();
  for (const leaf of leaves) tree.append(leaf);
  return tree;
}

const hex = (value: Uint8Array): string => Buffer.from(value).toString('hex');
const hexes = (values: readonly Uint8Array[]): string[] => values.map(hex);
const fromHex = (value: string): Buffer => Buffer.from(value, 'hex');

/** Copies of a proof, each broken in one way. */
function tamperings(proof: readonly Buffer[], extra: Buffer): Buffer[][] {
  const out: Buffer[][] = [];
  proof.forEach((_, i) => {
    const flipped = proof.map((node) => Buffer.from(node));
    const node = flipped[i] as Buffer;
    node.writeUInt8((node.readUInt8(0) ^ 0x08) & 0xff, 0);
    out.push(flipped);
  });
  if (proof.length > 0) out.push(proof.slice(0, -1), proof.slice(1));
  out.push([...proof, extra], [extra, ...proof]);
  if (proof.length > 1) out.push([...proof].reverse());
  return out;
}

// ---- Published vectors: transparency-dev/merkle (testonly/constants.go, proof/verify_test.go), from Certificate Transparency's C++ tests. ----

const vectorLeafInputs = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(fromHex);
const vectorLeafHashes = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
  '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
  '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
  'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
  'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
  '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
];
/** Roots of the trees of 0..8 of those leaves. */
const vectorRoots = [
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
/** Inclusion proofs; the source numbers leaves from 1, these are 0-based indexes. */
const vectorInclusions: { index: number; size: number; proof: string[] }[] = [
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];
const vectorConsistencies: { from: number; to: number; proof: string[] }[] = [
  { from: 1, to: 1, proof: [] },
  {
    from: 1,
    to: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    from: 6,
    to: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    from: 2,
    to: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    from: 6,
    to: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

describe('published RFC 6962 / 9162 test vectors', () => {
  const tree = new MerkleTree();
  for (const input of vectorLeafInputs) tree.appendLeafHash(hashLeaf(input));

  it('hashes the leaves and gives the root of every size 0..8', () => {
    expect(vectorLeafInputs.map((input) => hex(hashLeaf(input)))).toEqual(vectorLeafHashes);
    expect(hex(emptyRoot())).toBe(vectorRoots[0]);
    expect(Array.from({ length: 9 }, (_, size) => hex(tree.root(size)))).toEqual(vectorRoots);
  });

  it('builds and verifies the published inclusion proofs', () => {
    for (const { index, size, proof } of vectorInclusions) {
      expect(hexes(tree.inclusionProof(index, size))).toEqual(proof);
      expect(
        verifyInclusion(index, size, fromHex(vectorLeafHashes[index] as string), proof.map(fromHex), fromHex(vectorRoots[size] as string)),
      ).toBe(true);
    }
  });

  it('builds and verifies the published consistency proofs', () => {
    for (const { from, to, proof } of vectorConsistencies) {
      expect(hexes(tree.consistencyProof(from, to))).toEqual(proof);
      expect(
        verifyConsistency(from, to, fromHex(vectorRoots[from] as string), fromHex(vectorRoots[to] as string), proof.map(fromHex)),
      ).toBe(true);
    }
  });
});

describe('MerkleTree against the RFC definitions', () => {
  const leaves = eventHashes(64);

  it('has the RFC root after every append, and every older root afterwards, for sizes 0..64', () => {
    const tree = new MerkleTree();
    expect(hex(tree.root())).toBe(hex(refMth([])));
    leaves.forEach((leaf, i) => {
      expect(tree.append(leaf)).toBe(i);
      expect(hex(tree.root())).toBe(hex(refMth(leaves.slice(0, i + 1))));
    });
    for (let size = 0; size <= 64; size += 1) expect(hex(tree.root(size))).toBe(hex(refMth(leaves.slice(0, size))));
  });

  it('gives every inclusion proof of every size up to 64 as PATH does, and both verifiers accept it', () => {
    const tree = treeOf(leaves);
    for (let size = 1; size <= 64; size += 1) {
      const prefix = leaves.slice(0, size);
      const root = refMth(prefix);
      for (let index = 0; index < size; index += 1) {
        const proof = tree.inclusionProof(index, size);
        expect(hexes(proof)).toEqual(hexes(refPath(index, prefix)));
        const leafHash = refLeaf(leaves[index] as Buffer);
        expect(hex(tree.leafHash(index))).toBe(hex(leafHash));
        expect(verifyInclusion(index, size, leafHash, proof, root)).toBe(true);
        expect(refVerifyInclusion(index, size, leafHash, proof, root)).toBe(true);
      }
    }
  });

  it('gives every consistency proof between sizes up to 64 as PROOF does, and both verifiers accept it', () => {
    const tree = treeOf(leaves);
    for (let to = 0; to <= 64; to += 1) {
      const prefix = leaves.slice(0, to);
      for (let from = 0; from <= to; from += 1) {
        const proof = tree.consistencyProof(from, to);
        expect(hexes(proof)).toEqual(hexes(refProof(from, prefix)));
        const fromRoot = refMth(leaves.slice(0, from));
        const toRoot = refMth(prefix);
        expect(verifyConsistency(from, to, fromRoot, toRoot, proof)).toBe(true);
        expect(refVerifyConsistency(from, to, fromRoot, toRoot, proof)).toBe(true);
      }
    }
  });

  it('agrees with the RFC on random sizes up to 3000 (past the cached subtree heights)', () => {
    const many = eventHashes(3000);
    const tree = treeOf(many);
    fc.assert(
      fc.property(
        fc
          .integer({ min: 1, max: 3000 })
          .chain((to) => fc.tuple(fc.constant(to), fc.integer({ min: 0, max: to }), fc.integer({ min: 0, max: to - 1 }))),
        ([to, from, index]) => {
          const prefix = many.slice(0, to);
          const toRoot = refMth(prefix);
          const fromRoot = refMth(many.slice(0, from));
          expect(hex(tree.root(to))).toBe(hex(toRoot));
          expect(hex(tree.root(from))).toBe(hex(fromRoot));
          const path = tree.inclusionProof(index, to);
          expect(hexes(path)).toEqual(hexes(refPath(index, prefix)));
          expect(verifyInclusion(index, to, refLeaf(many[index] as Buffer), path, toRoot)).toBe(true);
          const proof = tree.consistencyProof(from, to);
          expect(hexes(proof)).toEqual(hexes(refProof(from, prefix)));
          expect(verifyConsistency(from, to, fromRoot, toRoot, proof)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
    expect(hex(tree.root())).toBe(hex(refMth(many)));
  });
});

describe('verifiers reject what does not prove the claim', () => {
  const leaves = eventHashes(20);
  const tree = treeOf(leaves);
  const other = sha256(Buffer.from('not in the tree'));

  it('rejects every tampered inclusion proof, and a wrong leaf, index, size or root, as the reference verifier does', () => {
    for (let size = 1; size <= 20; size += 1) {
      const root = tree.root(size);
      for (let index = 0; index < size; index += 1) {
        const proof = tree.inclusionProof(index, size);
        const leafHash = tree.leafHash(index);
        const claims: [number, number, Uint8Array, readonly Uint8Array[], Uint8Array][] = [
          ...tamperings(proof, other).map((bad): [number, number, Uint8Array, readonly Uint8Array[], Uint8Array] => [
            index,
            size,
            leafHash,
            bad,
            root,
          ]),
          [index, size, other, proof, root],
          [index, size, leafHash, proof, other],
          [index, size, leafHash, proof, emptyRoot()],
          [index + 1, size, leafHash, proof, root],
          [index - 1, size, leafHash, proof, root],
          [index ^ 2, size, leafHash, proof, root],
          [index, size * 2, leafHash, proof, root],
          [index, Math.floor(size / 2), leafHash, proof, root],
          [index, size, leafHash.subarray(1), proof, root],
        ];
        for (const claim of claims) {
          // Some shifted indexes or sizes share the proof's shape and root; the reference decides which claims are true.
          expect(verifyInclusion(...claim)).toBe(refVerifyInclusion(...claim));
        }
        for (const bad of tamperings(proof, other)) expect(verifyInclusion(index, size, leafHash, bad, root)).toBe(false);
        expect(verifyInclusion(index, size, other, proof, root)).toBe(false);
        expect(verifyInclusion(index, size, leafHash, proof, other)).toBe(false);
      }
    }
  });

  it('rejects every tampered consistency proof, and wrong, swapped or mis-sized roots, as the reference verifier does', () => {
    for (let to = 1; to <= 20; to += 1) {
      const toRoot = tree.root(to);
      for (let from = 1; from < to; from += 1) {
        const fromRoot = tree.root(from);
        const proof = tree.consistencyProof(from, to);
        const claims: [number, number, Uint8Array, Uint8Array, readonly Uint8Array[]][] = [
          ...tamperings(proof, other).map((bad): [number, number, Uint8Array, Uint8Array, readonly Uint8Array[]] => [
            from,
            to,
            fromRoot,
            toRoot,
            bad,
          ]),
          [from, to, fromRoot, toRoot, []],
          [from, to, other, toRoot, proof],
          [from, to, fromRoot, other, proof],
          [from, to, toRoot, fromRoot, proof],
          [from - 1, to, fromRoot, toRoot, proof],
          [from + 1, to, fromRoot, toRoot, proof],
          [from ^ 2, to, fromRoot, toRoot, proof],
          [from, to * 2, fromRoot, toRoot, proof],
          [from, to + 1, fromRoot, toRoot, proof],
          [to, from, toRoot, fromRoot, proof],
        ];
        for (const claim of claims) expect(verifyConsistency(...claim)).toBe(refVerifyConsistency(...claim));
        for (const bad of tamperings(proof, other)) expect(verifyConsistency(from, to, fromRoot, toRoot, bad)).toBe(false);
        expect(verifyConsistency(from, to, fromRoot, other, proof)).toBe(false);
        expect(verifyConsistency(from, to, other, toRoot, proof)).toBe(false);
      }
    }
  });

  it('accepts equal sizes only with equal roots and no proof, and size 0 only with the empty root', () => {
    const root = tree.root(5);
    expect(verifyConsistency(5, 5, root, root, [])).toBe(true);
    expect(verifyConsistency(5, 5, root, other, [])).toBe(false);
    expect(verifyConsistency(5, 5, root, root, [root])).toBe(false);
    expect(verifyConsistency(0, 5, emptyRoot(), root, [])).toBe(true);
    expect(verifyConsistency(0, 5, other, root, [])).toBe(false);
    expect(verifyConsistency(0, 5, emptyRoot(), root, [root])).toBe(false);
    expect(verifyInclusion(0, 0, tree.leafHash(0), [], emptyRoot())).toBe(false);
    expect(verifyInclusion(0, 1, tree.leafHash(0), [], tree.root(1))).toBe(true);
  });
});

describe('MerkleTree arguments and ownership', () => {
  const tree = treeOf(eventHashes(10));

  it.each([
    ['a size past the tree', () => tree.root(11), 'treeSize'],
    ['a negative size', () => tree.root(-1), 'treeSize'],
    ['a fractional size', () => tree.root(1.5), 'treeSize'],
    ['a leaf past the proof size', () => tree.inclusionProof(4, 4), 'leafIndex'],
    ['a proof size past the tree', () => tree.inclusionProof(0, 11), 'treeSize'],
    ['a consistency proof backwards', () => tree.consistencyProof(5, 4), 'from'],
    ['a consistency proof past the tree', () => tree.consistencyProof(1, 11), 'to'],
    ['a leaf hash past the tree', () => tree.leafHash(10), 'leafIndex'],
  ])('refuses %s with a 400 TreeRangeError naming the field', (_, call, field) => {
    expect(call).toThrow(TreeRangeError);
    try {
      call();
    } catch (error) {
      expect(error).toMatchObject({ status: 400, errors: [{ field }] });
    }
  });

  it('takes only 32-byte leaves, so a hex string or a digest of another size is caught at the door', () => {
    expect(() => new MerkleTree().append(Buffer.from('ab'.repeat(32)))).toThrow(TypeError);
    expect(() => new MerkleTree().appendLeafHash(new Uint8Array(31))).toThrow(TypeError);
  });

  it('hands out copies: changing a returned root or proof does not change the tree', () => {
    const root = tree.root();
    const before = hex(root);
    root.fill(0);
    tree.inclusionProof(3, 10).forEach((node) => node.fill(0));
    tree.leafHash(3).fill(0);
    expect(hex(tree.root())).toBe(before);
    expect(verifyInclusion(3, 10, tree.leafHash(3), tree.inclusionProof(3, 10), tree.root())).toBe(true);
  });

  it('encodes proofs in standard base64', () => {
    expect(encodeProof([fromHex(vectorRoots[1] as string)])).toEqual(['bjQLnP+zepicpUTmu3gKLHiQHT+zNzh2hRGjBhevoB0=']);
  });
});
