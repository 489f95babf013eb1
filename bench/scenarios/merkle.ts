// The journal's Merkle tree at a million leaves (issue 17), in a child of its own (load/merkle.ts): what keeping it
// costs a catch-up per event, what it holds in memory and in a snapshot, how fast it comes back from one, and what a
// proof or a new signed checkpoint costs. The service's own start-up figures (with and without a snapshot, RSS) carry
// the tree too: they are the main run's.
import { runJsonScript } from '../children.js';
import type { MerkleResult, MerkleSpec } from '../load/merkle.js';
import type { BenchOptions } from '../options.js';
import { benchScript } from '../paths.js';

export type MerkleFigure = MerkleResult;

/** A million leaves whatever the ledger size: the size the targets are set at. */
export const MERKLE_LEAVES = 1_000_000;

export async function measureMerkle(options: BenchOptions, log: (line: string) => void): Promise<MerkleFigure> {
  log(`merkle: a tree of ${MERKLE_LEAVES.toLocaleString('en-GB')} leaves in its own process`);
  const spec: MerkleSpec = { leaves: MERKLE_LEAVES, seed: options.seed };
  const result = await runJsonScript<MerkleResult>(benchScript('load/merkle.ts'), spec, 'the Merkle tree bench', 300_000);
  log(`merkle: ${result.append.eventsPerSecond} leaves/s, ${result.treeMb} MB, restored in ${result.snapshot.restoreSeconds} s`);
  return result;
}
