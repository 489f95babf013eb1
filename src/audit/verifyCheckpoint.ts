// Holds a store to a checkpoint taken earlier: signature and origin, the root of its first treeSize events, consistency
// with its tree now, and, given a reference tree the checkpoint vouches for, the first leaf where the two part.
import type { EventStore, RecordedEvent } from '../store/port.js';
import { formatPosition } from '../store/position.js';
import { readSnapshotJournal } from '../projections/storage/snapshot.js';
import type { Checkpoint } from './checkpoint.js';
import type { AuditIdentity } from './checkpoints.js';
import { checkSignature, describeSignature, type SignatureCheck } from './checkpointSignature.js';
import { eventsOfExport } from './exportFile.js';
import { JournalTree } from './journalTree.js';
import { verifyConsistency } from './merkleProofs.js';
import type { VerifierKey } from './signedNote.js';

/** An event at one leaf, as far as its tree knows it: a snapshot's tree keeps positions and leaf hashes only. */
export interface LeafEvent {
  readonly position: string;
  /** SHA-256(0x00 || event hash), hex: what the tree holds. */
  readonly leafHash: string;
  readonly stream?: string;
  readonly revision?: string;
  readonly type?: string;
}

export interface TreeDifference {
  /** The first leaf (0-based event index in the journal) where the store's tree and the checkpoint's part. */
  readonly leaf: number;
  /** The reference whose first treeSize leaves have the checkpoint's root, so whose leaves are the checkpoint's. */
  readonly reference: string;
  /** The store's event at that leaf; null when the store ends before it. */
  readonly store: LeafEvent | null;
  readonly expected: LeafEvent;
  /** What happened there, in words: rewritten, removed, inserted, reordered, or the store ending early. */
  readonly verdict: string;
}

export interface CheckpointReport {
  readonly ok: boolean;
  readonly origin: string | null;
  readonly treeSize: number | null;
  /** Standard base64, as in the checkpoint. */
  readonly rootHash: string | null;
  readonly signature: {
    readonly verified: boolean;
    readonly key: string | null;
    readonly keySource: SignatureCheck['keySource'];
    readonly problem: string | null;
  };
  readonly storeEvents: number;
  /** The root of the store's first treeSize events is the checkpoint's; null when not computed. */
  readonly rootMatches: boolean | null;
  /** The store's tree now is consistent with the checkpoint (an RFC 9162 consistency proof, verified). */
  readonly consistent: boolean | null;
  readonly firstDifference: TreeDifference | null;
  readonly problems: readonly string[];
}

/** A tree whose first treeSize leaves may be the checkpoint's, and how to read the event at a leaf of it. */
interface Reference {
  readonly name: string;
  readonly journal: JournalTree;
  eventAt(leaf: number): Promise<LeafEvent>;
}

export interface CheckpointVerifyInput {
  readonly note: string;
  /** The key given by the auditor; without one, the ledger's own. */
  readonly verifierKey?: VerifierKey | undefined;
  /** The ledger's identity read from its key file; undefined when there is no key file. */
  readonly ledger: AuditIdentity | undefined;
  readonly ledgerKeyFile: string;
  readonly store: EventStore;
  /** The store's tree, built by the caller during its own walk of the journal. */
  readonly journal: JournalTree;
  /** Where a snapshot's tree may serve as the reference. */
  readonly dataDir?: string;
  /** An audit export to serve as the reference (`--reference`). */
  readonly referenceFile?: string;
}

const hex = (bytes: Buffer): string => bytes.toString('hex');

function leafEventOf(event: RecordedEvent, leafHash: Buffer): LeafEvent {
  return {
    position: formatPosition(event.position),
    leafHash: hex(leafHash),
    stream: event.stream,
    revision: event.revision.toString(),
    type: event.type,
  };
}

async function firstOf<T>(items: AsyncIterable<T>): Promise<T | undefined> {
  for await (const item of items) return item;
  return undefined;
}

async function storeEventAt(store: EventStore, journal: JournalTree, leaf: number): Promise<LeafEvent> {
  const event = await firstOf(store.readAll({ ...(leaf > 0 && { after: journal.positionAt(leaf - 1) }), limit: 1 }));
  if (event === undefined) throw new Error(`the store no longer has the event at leaf ${leaf}`);
  return leafEventOf(event, journal.tree.leafHash(leaf));
}

function snapshotReference(dataDir: string): Reference | string {
  const journal = readSnapshotJournal(dataDir);
  if (!(journal instanceof JournalTree)) return `the snapshot in ${dataDir}: ${journal.reason}`;
  return {
    name: `the snapshot in ${dataDir}`,
    journal,
    eventAt: async (leaf) => ({ position: formatPosition(journal.positionAt(leaf)), leafHash: hex(journal.tree.leafHash(leaf)) }),
  };
}

async function exportReference(file: string): Promise<Reference | string> {
  const journal = JournalTree.empty();
  try {
    for await (const event of eventsOfExport(file)) journal.append(event);
  } catch (error) {
    return `the export ${file}: ${(error as Error).message}`;
  }
  return {
    name: `the export ${file}`,
    journal,
    async eventAt(leaf) {
      let index = 0;
      for await (const event of eventsOfExport(file)) {
        if (index === leaf) return leafEventOf(event, journal.tree.leafHash(leaf));
        index += 1;
      }
      throw new Error(`the export ${file} changed while being read`);
    },
  };
}

/** The first reference that the checkpoint vouches for, or why none is usable. */
async function findReference(input: CheckpointVerifyInput, checkpoint: Checkpoint): Promise<Reference | string[]> {
  const reasons: string[] = [];
  const candidates: (() => Promise<Reference | string> | Reference | string)[] = [];
  if (input.referenceFile !== undefined) candidates.push(() => exportReference(input.referenceFile as string));
  if (input.dataDir !== undefined) candidates.push(() => snapshotReference(input.dataDir as string));
  for (const candidate of candidates) {
    const reference = await candidate();
    if (typeof reference === 'string') reasons.push(reference);
    else if (reference.journal.size < checkpoint.treeSize)
      reasons.push(`${reference.name}: it holds ${reference.journal.size} events, fewer than the checkpoint's ${checkpoint.treeSize}`);
    else if (!reference.journal.tree.root(checkpoint.treeSize).equals(checkpoint.rootHash))
      reasons.push(`${reference.name}: its first ${checkpoint.treeSize} events do not have the checkpoint's root`);
    else return reference;
  }
  return reasons;
}

/** The first leaf where the store and the reference part, and what happened there. */
async function firstDifference(input: CheckpointVerifyInput, reference: Reference, treeSize: number): Promise<TreeDifference | undefined> {
  const { journal } = input;
  const common = Math.min(journal.size, treeSize);
  let leaf = 0;
  while (leaf < common && journal.tree.leafHash(leaf).equals(reference.journal.tree.leafHash(leaf))) leaf += 1;
  if (leaf === treeSize) return undefined;
  const expected = await reference.eventAt(leaf);
  const store = leaf < journal.size ? await storeEventAt(input.store, journal, leaf) : null;
  const expectedAt = reference.journal.positionAt(leaf);
  let verdict: string;
  if (store === null)
    verdict =
      `the store ends before this leaf: the ${treeSize - leaf} event(s) the checkpoint covers from position ` +
      `${expected.position} on are not in it`;
  else if (store.position === expected.position)
    verdict = `the event at position ${expected.position} was rewritten (its hash is not the one the checkpoint covers)`;
  else if (journal.indexOf(expectedAt) === undefined) verdict = `the event at position ${expected.position} is not in the store: removed`;
  else if (reference.journal.indexOf(journal.positionAt(leaf)) === undefined)
    verdict = `the store's event at position ${store.position} is not among the events the checkpoint covers: inserted`;
  else verdict = 'the store holds the covered events in another order: reordered';
  return { leaf, reference: reference.name, store, expected, verdict };
}

function noReferenceProblem(treeSize: number, reasons: readonly string[]): string {
  const why = reasons.length === 0 ? '' : ` (${reasons.join('; ')})`;
  return (
    `the first differing leaf cannot be named without the leaves the checkpoint covers${why}: ` +
    `pass --reference with an audit export taken no earlier than the checkpoint (ledger audit export, GET /audit/export) whose first ` +
    `${treeSize} events have its root`
  );
}

/** Every check of the store against the checkpoint; never throws over a bad checkpoint, only over a failing store. */
export async function verifyStoreAgainstCheckpoint(input: CheckpointVerifyInput): Promise<CheckpointReport> {
  const ledgerKey = input.ledger?.verifier;
  const signature =
    input.verifierKey !== undefined
      ? checkSignature(input.note, input.verifierKey, 'given')
      : checkSignature(input.note, ledgerKey, 'ledger', `the ledger has no signing key at ${input.ledgerKeyFile}; pass --verifier-key`);
  const problems: string[] = [];
  if (signature.problem !== undefined) problems.push(signature.problem);
  const checkpoint = signature.checkpoint;
  const base = {
    origin: checkpoint?.origin ?? null,
    treeSize: checkpoint?.treeSize ?? null,
    rootHash: checkpoint?.rootHash.toString('base64') ?? null,
    signature: { verified: signature.verified, key: signature.key, keySource: signature.keySource, problem: signature.problem ?? null },
    storeEvents: input.journal.size,
  };
  if (checkpoint === undefined) return { ok: false, ...base, rootMatches: null, consistent: null, firstDifference: null, problems };
  if (input.verifierKey === undefined && input.ledger !== undefined && checkpoint.origin !== input.ledger.origin) {
    problems.push(
      `the checkpoint's origin ${JSON.stringify(checkpoint.origin)} is not this ledger's (${JSON.stringify(input.ledger.origin)})`,
    );
  }
  const { journal } = input;
  const { treeSize, rootHash } = checkpoint;
  let rootMatches = false;
  let consistent = false;
  if (journal.size < treeSize) problems.push(`the store holds ${journal.size} events, fewer than the checkpoint's tree size ${treeSize}`);
  else {
    rootMatches = journal.tree.root(treeSize).equals(rootHash);
    // What a monitor holding only the checkpoint would check: a proof from the store's tree that it extends the checkpoint's.
    consistent = verifyConsistency(
      treeSize,
      journal.size,
      rootHash,
      journal.tree.root(),
      journal.tree.consistencyProof(treeSize, journal.size),
    );
    if (!rootMatches) problems.push(`the store's first ${treeSize} events do not have the checkpoint's root`);
    else if (!consistent) problems.push(`the store's tree of ${journal.size} events is not consistent with the checkpoint`);
  }
  let difference: TreeDifference | null = null;
  if (!rootMatches) {
    const reference = await findReference(input, checkpoint);
    if (Array.isArray(reference)) problems.push(noReferenceProblem(treeSize, reference));
    else {
      difference = (await firstDifference(input, reference, treeSize)) ?? null;
      if (difference === null) problems.push(`${reference.name} has the same first ${treeSize} leaves as the store, yet the roots differ`);
    }
  }
  return { ok: problems.length === 0, ...base, rootMatches, consistent, firstDifference: difference, problems };
}

function describeLeafEvent(event: LeafEvent): string {
  const what =
    event.stream === undefined
      ? `the event at position ${event.position}`
      : `${event.stream} revision ${event.revision} (${event.type}) at position ${event.position}`;
  return `${what}, leaf hash ${event.leafHash}`;
}

/** The report as the CLI prints it, one line each. */
export function checkpointLines(report: CheckpointReport): string[] {
  const lines: string[] = [];
  lines.push(
    report.treeSize === null
      ? 'checkpoint: unreadable'
      : `checkpoint: ${report.origin}, tree size ${report.treeSize}, root ${report.rootHash}`,
    `signature: ${describeSignature({ ...report.signature, problem: report.signature.problem ?? undefined, checkpoint: undefined })}`,
  );
  if (report.rootMatches === true) {
    lines.push(
      `store: ${report.storeEvents} events; its first ${report.treeSize} have the checkpoint's ` +
        `root${report.consistent ? ', and its tree now is consistent with it' : ''}`,
    );
  }
  for (const problem of report.problems) if (problem !== report.signature.problem) lines.push(`problem: ${problem}`);
  const difference = report.firstDifference;
  if (difference !== null) {
    lines.push(
      `first differing leaf: ${difference.leaf} (reference: ${difference.reference})`,
      `  store:     ${difference.store === null ? 'no event' : describeLeafEvent(difference.store)}`,
      `  reference: ${describeLeafEvent(difference.expected)}`,
      `  ${difference.verdict}`,
    );
  }
  lines.push(report.ok ? 'the store matches the checkpoint' : 'the store does NOT match the checkpoint');
  return lines;
}
