// The worker thread that hashes the journal tree while the projections catch up (journalTree.ts, TreeCatchUp): it
// takes the tree built so far, then batches of leaves, and gives the tree back, stored, when asked.
import { parentPort } from 'node:worker_threads';
import { HASH_SIZE, MerkleTree, type StoredMerkleTree } from './merkle.js';

/** What the catch-up sends, in this order: one start, any number of leaf batches, one finish. */
export type TreeWorkerMessage =
  | { readonly type: 'start'; readonly stored: StoredMerkleTree }
  | { readonly type: 'leaves'; readonly leaves: Uint8Array }
  | { readonly type: 'finish' };

/** The answer to finish: the tree, or why it could not be built. */
export type TreeWorkerAnswer = { readonly stored: StoredMerkleTree } | { readonly error: string };

if (parentPort === null) throw new Error('journalTreeWorker runs as a worker thread');
const port = parentPort;
let tree = new MerkleTree();
port.on('message', (message: TreeWorkerMessage) => {
  try {
    if (message.type === 'start') tree = MerkleTree.fromStored(message.stored);
    else if (message.type === 'leaves') {
      const { leaves } = message;
      for (let offset = 0; offset < leaves.length; offset += HASH_SIZE) tree.append(leaves.subarray(offset, offset + HASH_SIZE));
    } else port.postMessage({ stored: tree.toStored() } satisfies TreeWorkerAnswer);
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error) } satisfies TreeWorkerAnswer);
  }
});
