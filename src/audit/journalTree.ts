// The journal's Merkle tree as the ledger keeps it: one leaf per event in global order, and where each event sits in it.
import type { Position, RecordedEvent } from '../store/port.js';
import { comparePositions } from '../store/position.js';
import { eventHash } from './chain.js';
import { hashLeaf, MerkleTree, TreeRangeError, type StoredMerkleTree } from './merkle.js';

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
  private commits = new BigUint64Array(1024);
  private prepares = new Map<number, bigint>();
  length = 0;

  static of(commits: BigUint64Array, prepares: ReadonlyMap<number, bigint>): PositionList {
    const list = new PositionList();
    list.commits = new BigUint64Array(Math.max(1024, commits.length + (commits.length >> 3)));
    list.commits.set(commits);
    list.prepares = new Map(prepares);
    list.length = commits.length;
    return list;
  }

  push(position: Position): void {
    if (this.length === this.commits.length) {
      const grown = new BigUint64Array(this.commits.length * 2);
      grown.set(this.commits);
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
  private constructor(
    readonly tree: MerkleTree,
    private readonly positions: PositionList,
  ) {}

  static empty(): JournalTree {
    return new JournalTree(new MerkleTree(), new PositionList());
  }

  /** The tree a snapshot kept; refused (a TypeError) when its parts do not agree. */
  static fromStored(stored: StoredJournalTree): JournalTree {
    const tree = MerkleTree.fromStored(stored.tree);
    if (stored.commits.length !== tree.size) throw new TypeError(`the stored tree has ${tree.size} leaves but ${stored.commits.length} positions`);
    return new JournalTree(tree, PositionList.of(stored.commits, stored.prepares));
  }

  /** Views of the tree's own bytes: serialise them before the next append. */
  toStored(): StoredJournalTree {
    return { tree: this.tree.toStored(), ...this.positions.stored() };
  }

  get size(): number {
    return this.tree.size;
  }

  /** Appends the event's leaf; returns its leaf index. Events come in global order, each once. */
  append(event: RecordedEvent): number {
    this.positions.push(event.position);
    return this.tree.append(hexInto(scratch, event.metadata.hash) ? scratch : leafOf(event));
  }

  /** The leaf index of the event at `position`, or undefined when no event of the tree is there. */
  indexOf(position: Position): number | undefined {
    return this.positions.indexOf(position);
  }

  /** The position of the event at leaf `index`. */
  positionAt(index: number): Position {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) throw new TreeRangeError('leafIndex', `Leaf index ${index} is not in a tree of ${this.size} leaves`);
    return this.positions.at(index);
  }

  /** True when the last leaf is this event's (its position and its leaf): how a snapshot's tree is matched to its store. */
  endsWith(event: Pick<RecordedEvent, 'position' | 'stream' | 'revision' | 'type' | 'data' | 'metadata'>): boolean {
    if (this.size === 0) return false;
    const last = this.size - 1;
    return comparePositions(this.positions.at(last), event.position) === 0 && this.tree.leafHash(last).equals(hashLeaf(leafOf(event)));
  }
}
