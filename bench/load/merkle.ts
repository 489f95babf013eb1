// The journal's Merkle tree at a million events, in a process of its own so its memory is its own (issue 17):
// - append: `leaves` events (positions and 32-byte hashes, as the store gives them) appended one by one, as the
//   projection runner does while catching up; events/s and the bytes the tree holds (array buffers);
// - snapshot: the tree's stored form through v8 serialisation, its size, and the time to restore it (what a start
//   from a snapshot pays instead of re-hashing every event);
// - proofs: an inclusion proof of a random leaf in the whole tree, a consistency proof from a random older size, and a
//   signed checkpoint of a new size, each timed over many runs (median and p99, microseconds).
//
//   node --import tsx bench/load/merkle.ts '{"leaves":1000000,"seed":1}'
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { deserialize, serialize, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type * as CheckpointsModule from '../../src/audit/checkpoints.js';
import type * as JournalTreeModule from '../../src/audit/journalTree.js';
import type * as SignedNoteModule from '../../src/audit/signedNote.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { REPO_ROOT } from '../paths.js';

export interface MerkleSpec {
  readonly leaves: number;
  readonly seed: number;
}

export interface Timing {
  readonly runs: number;
  readonly p50Us: number;
  readonly p99Us: number;
}

export interface MerkleResult {
  readonly leaves: number;
  readonly append: { readonly seconds: number; readonly eventsPerSecond: number };
  /** Array-buffer bytes the tree holds (leaves, cached subtrees, positions), measured after a full GC. */
  readonly treeMb: number;
  readonly rssMb: number;
  readonly snapshot: {
    readonly mb: number;
    readonly serializeSeconds: number;
    readonly restoreSeconds: number;
    readonly rootsMatch: boolean;
  };
  readonly inclusionProof: Timing;
  readonly consistencyProof: Timing;
  readonly signedCheckpoint: Timing;
}

const fromDist = async <T>(relative: string): Promise<T> => (await import(pathToFileURL(path.join(REPO_ROOT, 'dist', relative)).href)) as T;

const spec = JSON.parse(process.argv[2] ?? '{}') as MerkleSpec;
const { JournalTree } = await fromDist<typeof JournalTreeModule>('audit/journalTree.js');
const { CheckpointSigner, auditIdentityOf } = await fromDist<typeof CheckpointsModule>('audit/checkpoints.js');
const { generateSignerKey } = await fromDist<typeof SignedNoteModule>('audit/signedNote.js');

// A full collection before each memory reading, without asking the bench to start this child with --expose-gc.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const mb = (bytes: number): number => Math.round((bytes / 1024 / 1024) * 10) / 10;

// A small deterministic generator: the same leaves for the same seed.
let state = spec.seed >>> 0 || 1;
const random = (): number => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 2 ** 32;
};

function timed(runs: number, work: (run: number) => void): Timing {
  const micros: number[] = [];
  for (let run = 0; run < runs; run += 1) {
    const started = process.hrtime.bigint();
    work(run);
    micros.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  micros.sort((a, b) => a - b);
  const at = (q: number): number => Math.round((micros[Math.min(micros.length - 1, Math.floor(q * micros.length))] as number) * 10) / 10;
  return { runs, p50Us: at(0.5), p99Us: at(0.99) };
}

gc();
const buffersBefore = process.memoryUsage().arrayBuffers;
const journal = JournalTree.empty();
const seedHash = createHash('sha256').update(`seed ${spec.seed}`).digest();
const appendStarted = performance.now();
for (let i = 0; i < spec.leaves; i += 1) {
  // An event's hash: distinct per event, cheap to make (the store hands the ledger a hex string it already holds).
  seedHash.writeUInt32BE(i, 0);
  const commit = BigInt(i + 1);
  const event: RecordedEvent = {
    id: '',
    position: { commit, prepare: commit },
    stream: '',
    revision: 0n,
    type: '',
    data: {},
    metadata: { hash: seedHash.toString('hex') },
  };
  journal.append(event);
}
const appendSeconds = (performance.now() - appendStarted) / 1000;
// Outgrown buffers are released by V8's array-buffer sweeper after the collection, not during it: let it run.
gc();
await new Promise((resolve) => setTimeout(resolve, 200));
gc();
const treeBytes = process.memoryUsage().arrayBuffers - buffersBefore;

const serializeStarted = performance.now();
const bytes = serialize(journal.toStored());
const serializeSeconds = (performance.now() - serializeStarted) / 1000;
const restoreStarted = performance.now();
const restored = JournalTree.fromStored(deserialize(bytes) as ReturnType<typeof journal.toStored>);
const restoreSeconds = (performance.now() - restoreStarted) / 1000;
const rootsMatch = restored.tree.root().equals(journal.tree.root()) && restored.size === journal.size;

const size = journal.size;
const inclusionProof = timed(2000, () => void journal.tree.inclusionProof(Math.floor(random() * size), size));
const consistencyProof = timed(2000, () => void journal.tree.consistencyProof(1 + Math.floor(random() * (size - 1)), size));
const signer = new CheckpointSigner(auditIdentityOf(generateSignerKey('funding-ledger/bench')), () => journal.tree);
// Each run a size not signed before: the cost of an uncached checkpoint (an old root, then Ed25519).
const signedCheckpoint = timed(2000, (run) => void signer.at(size - 1 - run));

const result: MerkleResult = {
  leaves: size,
  append: { seconds: Math.round(appendSeconds * 1000) / 1000, eventsPerSecond: Math.round(size / appendSeconds) },
  treeMb: mb(treeBytes),
  rssMb: mb(process.memoryUsage().rss),
  snapshot: {
    mb: mb(bytes.length),
    serializeSeconds: Math.round(serializeSeconds * 1000) / 1000,
    restoreSeconds: Math.round(restoreSeconds * 1000) / 1000,
    rootsMatch,
  },
  inclusionProof,
  consistencyProof,
  signedCheckpoint,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
