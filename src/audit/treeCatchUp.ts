// The journal tree while the projections catch up: leaves are collected, and past a few batches hashed on the other
// core by a worker thread (journalTreeWorker.ts), so a start without a snapshot folds and hashes at once.
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../runtime/workerThread.js';
import type { TreeWorkerAnswer, TreeWorkerMessage } from './journalTreeWorker.js';
import { HASH_SIZE, MerkleTree } from './merkle.js';

/** Leaves sent to the worker at a time: 2 MiB. */
const BATCH_LEAVES = 65_536;

function startWorker(): Worker {
  return startModuleWorker(new URL('./journalTreeWorker.js', import.meta.url), new URL('./journalTreeWorker.ts', import.meta.url));
}

/**
 * Leaves appended during a catch-up. Up to `workerFrom` leaves (at most a batch) they are only collected, and hashed
 * here at the end: a restart from a recent snapshot has few to add. Past it the tree so far moves to a worker thread,
 * which hashes each batch as it comes while this thread folds the projections.
 */
export class TreeCatchUp {
  private pending: Uint8Array;
  private count = 0;
  private worker: Worker | undefined;
  private answer: Promise<TreeWorkerAnswer> | undefined;
  /** Leaves appended after finish() began: added here once the worker's tree is back. */
  private late: Buffer[] | undefined;

  constructor(
    private readonly base: MerkleTree,
    workerFrom = BATCH_LEAVES,
  ) {
    this.pending = new Uint8Array(HASH_SIZE * Math.max(1, Math.min(workerFrom, BATCH_LEAVES)));
  }

  /** Copies the 32-byte leaf. */
  push(leaf: Uint8Array): void {
    if (this.late !== undefined) {
      this.late.push(Buffer.from(leaf));
      return;
    }
    if (this.count * HASH_SIZE === this.pending.length) this.ship();
    this.pending.set(leaf, this.count * HASH_SIZE);
    this.count += 1;
  }

  /** Leaves appended so far, hashed or not. */
  get size(): number {
    return this.base.size + this.count + (this.late?.length ?? 0);
  }

  /**
   * The tree with every leaf pushed before the call; the worker, if any, has ended. Leaves pushed meanwhile wait for
   * appendLate(), which the caller makes in the same turn as it starts using the tree, so none falls between.
   */
  async finish(): Promise<MerkleTree> {
    this.late = [];
    if (this.worker === undefined) {
      this.hashHere(this.base);
      return this.base;
    }
    this.ship();
    const worker = this.worker;
    worker.postMessage({ type: 'finish' } satisfies TreeWorkerMessage);
    try {
      const answer = await (this.answer as Promise<TreeWorkerAnswer>);
      if ('error' in answer) throw new Error(`the journal tree could not be built: ${answer.error}`);
      return MerkleTree.fromStored(answer.stored);
    } finally {
      await worker.terminate();
    }
  }

  /** Appends the leaves pushed since finish() began. */
  appendLate(tree: MerkleTree): void {
    for (const leaf of this.late ?? []) tree.append(leaf);
    this.late = [];
  }

  /** Ends the worker without its tree: the catch-up was abandoned (a shutdown before the projections were ready). */
  async stop(): Promise<void> {
    await this.worker?.terminate();
  }

  private hashHere(tree: MerkleTree): void {
    for (let offset = 0; offset < this.count * HASH_SIZE; offset += HASH_SIZE)
      tree.append(this.pending.subarray(offset, offset + HASH_SIZE));
    this.count = 0;
  }

  /** Sends the pending leaves to the worker (started with the tree so far on its first batch); the buffer goes with them. */
  private ship(): void {
    if (this.worker === undefined) {
      const worker = startWorker();
      // Never what keeps a process alive: a shutdown during the catch-up ends it with the process (see stop()).
      worker.unref();
      this.answer = new Promise((resolve) => {
        worker.once('message', resolve);
        worker.once('error', (error) => resolve({ error: error.message }));
        worker.once('exit', (code) => resolve({ error: `the worker stopped (exit ${code})` }));
      });
      worker.postMessage({ type: 'start', stored: this.base.toStored() } satisfies TreeWorkerMessage);
      this.worker = worker;
    }
    const leaves = this.pending.subarray(0, this.count * HASH_SIZE);
    this.worker.postMessage({ type: 'leaves', leaves } satisfies TreeWorkerMessage, [leaves.buffer as ArrayBuffer]);
    this.pending = new Uint8Array(HASH_SIZE * BATCH_LEAVES);
    this.count = 0;
  }
}
