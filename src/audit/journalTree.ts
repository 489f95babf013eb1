// The journal's Merkle tree as the ledger keeps it: one leaf per event in global order, and where each event sits in it.
import { recordedHashOf, type Position, type RecordedEvent } from '../store/port.js';
import { comparePositions } from '../store/position.js';
import { eventHash } from './chain.js';
import { hashLeaf, MerkleTree, TreeRangeError, type StoredMerkleTree } from './merkle.js';
import { TreeCatchUp } from './treeCatchUp.js';

/** Reused for every event's leaf: the catch-up appends a million of them. */
const scratch = Buffer.alloc(32);

/** Fills `into` with the 32 bytes a 64-digit hex hash spells; false when the text is not one. */
function hexInto(into: Buffer, text: unknown): boolean {
  return typeof text === 'string' && text.length === 64 && into.write(text, 'hex') === 32;
}

/**
 * An event's leaf: the 32 bytes of its recorded `hash`. An event written without one (by hand, into EventStoreDB,
 * outside the ledger) gets the hash its content would have had, so it is covered all the same.
 */
export function leafOf(event: Pick<RecordedEvent, 'stream' | 'revision' | 'type' | 'data' | 'metadata'>): Buffer {
  const leaf = Buffer.alloc(32);
  return hexInto(leaf, event.metadata.hash) ? leaf : Buffer.from(eventHash(event), 'hex');
}

/** A journal tree as a snapshot keeps it: the tree, and the position of every leaf. */
export interface StoredJournalTree {
  readonly tree: StoredMerkleTree;
  /** Each leaf's commit position. */
  readonly commits: BigUint64Array;
  /** The prepare position of the leaves whose prepare differs from their commit (EventStoreDB's old transactions). */
  readonly prepares: ReadonlyMap<number, bigint>;
}

/**
 * Positions of the leaves: the commit position, 8 bytes a leaf, in one growable array. Prepare positions are kept
 * only where they differ from the commit, which no event the ledger writes does (the embedded store has one sequence;
 * EventStoreDB gives a plain append's events commit = prepare).
 */
class PositionList {
  private commits: BigUint64Array<ArrayBufferLike> = new BigUint64Array(1024);
  private prepares = new Map<number, bigint>();
  length = 0;

  /** Positions over `commits` as they are, not copied (as HashSlots.of: only written past the end, after a move). */
  static of(commits: BigUint64Array, prepares: ReadonlyMap<number, bigint>): PositionList {
    const list = new PositionList();
    list.commits = commits;
    list.prepares = new Map(prepares);
    list.length = commits.length;
    return list;
  }

  push(position: Position): void {
    if (this.length === this.commits.length) {
      const grown = new BigUint64Array(Math.max(1024, Math.ceil(this.length * 1.25)));
      grown.set(this.commits.subarray(0, this.length));
      this.commits = grown;
    }
    this.commits[this.length] = position.commit;
    if (position.prepare !== position.commit) this.prepares.set(this.length, position.prepare);
    this.length += 1;
  }

  at(index: number): Position {
    const commit = this.commits[index] as bigint;
    return { commit, prepare: this.prepares.get(index) ?? commit };
  }

  /** Drops the positions past the first `length`. */
  truncate(length: number): void {
    for (const index of this.prepares.keys()) if (index >= length) this.prepares.delete(index);
    this.length = Math.min(this.length, length);
    // Pushes would now write inside the used part of a buffer this list may share (of()): take a copy of its own.
    this.commits = this.commits.slice();
  }

  stored(): Pick<StoredJournalTree, 'commits' | 'prepares'> {
    return { commits: this.commits.subarray(0, this.length), prepares: this.prepares };
  }

  /** The index of the leaf at exactly `position`, by bisection (positions only increase); undefined if none is. */
  indexOf(position: Position): number | undefined {
    let low = 0;
    let high = this.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (comparePositions(this.at(middle), position) < 0) low = middle + 1;
      else high = middle;
    }
    return low < this.length && comparePositions(this.at(low), position) === 0 ? low : undefined;
  }
}

/**
 * The RFC 9162 tree over every event of the journal, in global order, as the projections apply them: leaf i is the
 * i-th event a read of the whole journal gives. Every process following one store computes the same tree.
 */
export class JournalTree {
  /** Set from beginCatchUp() until settle() ends: leaves go there, and the tree is not there to be asked. */
  private catchUp: TreeCatchUp | undefined;
  private settling: Promise<void> | undefined;

  private constructor(
    private merkle: MerkleTree,
    private readonly positions: PositionList,
  ) {}

  /** The tree over every leaf; not while a catch-up is hashing it (before the projections are ready). */
  get tree(): MerkleTree {
    if (this.catchUp !== undefined) throw new Error('the journal tree is being built: the projections are still catching up');
    return this.merkle;
  }

  /**
   * From now until settle(), leaves are collected and, past `workerFrom` of them, hashed on a worker thread: for the
   * projections' catch-up, when nothing asks for the tree.
   */
  beginCatchUp(workerFrom?: number): void {
    if (this.catchUp !== undefined) return;
    this.catchUp = new TreeCatchUp(this.merkle, workerFrom);
    this.settling = undefined;
  }

  /** Hashes what the catch-up collected; the tree can be asked for again once this resolves. */
  settle(): Promise<void> {
    const catchUp = this.catchUp;
    if (catchUp === undefined) return Promise.resolve();
    this.settling ??= catchUp.finish().then((tree) => {
      catchUp.appendLate(tree);
      this.merkle = tree;
      this.catchUp = undefined;
    });
    return this.settling;
  }

  /** True between beginCatchUp() and the end of settle(). */
  get catchingUp(): boolean {
    return this.catchUp !== undefined;
  }

  /** Abandons a catch-up (its worker ends); the tree stays as it was before it. */
  async abandonCatchUp(): Promise<void> {
    const catchUp = this.catchUp;
    if (catchUp === undefined) return;
    this.catchUp = undefined;
    await catchUp.stop();
    // The positions of the abandoned leaves go too, so positions and leaves keep agreeing.
    this.positions.truncate(this.merkle.size);
  }

  static empty(): JournalTree {
    return new JournalTree(new MerkleTree(), new PositionList());
  }

  /** The tree a snapshot kept; refused (a TypeError) when its parts do not agree. */
  static fromStored(stored: StoredJournalTree): JournalTree {
    const tree = MerkleTree.fromStored(stored.tree);
    if (stored.commits.length !== tree.size)
      throw new TypeError(`the stored tree has ${tree.size} leaves but ${stored.commits.length} positions`);
    return new JournalTree(tree, PositionList.of(stored.commits, stored.prepares));
  }

  /** Views of the tree's own bytes: serialise them before the next append. */
  toStored(): StoredJournalTree {
    return { tree: this.tree.toStored(), ...this.positions.stored() };
  }

  /** Leaves appended, hashed or still being hashed. */
  get size(): number {
    return this.positions.length;
  }

  /** Appends the event's leaf; returns its leaf index. Events come in global order, each once. */
  append(event: RecordedEvent): number {
    this.positions.push(event.position);
    const leaf = hexInto(scratch, recordedHashOf(event)) ? scratch : leafOf(event);
    if (this.catchUp === undefined) return this.merkle.append(leaf);
    this.catchUp.push(leaf);
    return this.positions.length - 1;
  }

  /** The leaf index of the event at `position`, or undefined when no event of the tree is there. */
  indexOf(position: Position): number | undefined {
    return this.positions.indexOf(position);
  }

  /** The position of the event at leaf `index`. */
  positionAt(index: number): Position {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size)
      throw new TreeRangeError('leafIndex', `Leaf index ${index} is not in a tree of ${this.size} leaves`);
    return this.positions.at(index);
  }

  /** True when the last leaf is this event's (its position and its leaf): how a snapshot's tree is matched to its store. */
  endsWith(event: Pick<RecordedEvent, 'position' | 'stream' | 'revision' | 'type' | 'data' | 'metadata'>): boolean {
    if (this.size === 0) return false;
    const last = this.size - 1;
    return comparePositions(this.positions.at(last), event.position) === 0 && this.tree.leafHash(last).equals(hashLeaf(leafOf(event)));
  }
}
