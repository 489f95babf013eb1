// The journal's Merkle tree as the ledger keeps it: one leaf per event in global order, and where each event sits in it.
import type { Position, RecordedEvent } from '../store/port.js';
import { comparePositions } from '../store/position.js';
import { eventHash } from './chain.js';
import { hashLeaf, MerkleTree, TreeRangeError, type StoredMerkleTree } from './merkle.js';

const HEX_HASH = /^[0-9a-f]{64}$/;

/**
 * An event's leaf: the 32 bytes of its recorded `hash`. An event written without one (by hand, into EventStoreDB,
 * outside the ledger) gets the hash its content would have had, so it is covered all the same.
 */
export function leafOf(event: Pick<RecordedEvent, 'stream' | 'revision' | 'type' | 'data' | 'metadata'>): Buffer {
  const recorded = event.metadata.hash;
  return Buffer.from(typeof recorded === 'string' && HEX_HASH.test(recorded) ? recorded : eventHash(event), 'hex');
}

/** A journal tree as a snapshot keeps it: the tree, and the position of every leaf (commit, prepare pairs). */
export interface StoredJournalTree {
  readonly tree: StoredMerkleTree;
  readonly positions: BigUint64Array;
}

/** Positions of the leaves, two 64-bit words each, in one growable array: 16 bytes a leaf. */
class PositionList {
  private words = new BigUint64Array(2 * 1024);
  length = 0;

  static of(words: BigUint64Array): PositionList {
    const list = new PositionList();
    list.words = new BigUint64Array(Math.max(2 * 1024, words.length + (words.length >> 3)));
    list.words.set(words);
    list.length = words.length / 2;
    return list;
  }

  push(position: Position): void {
    if (2 * (this.length + 1) > this.words.length) {
      const grown = new BigUint64Array(this.words.length * 2);
      grown.set(this.words.subarray(0, 2 * this.length));
      this.words = grown;
    }
    this.words[2 * this.length] = position.commit;
    this.words[2 * this.length + 1] = position.prepare;
    this.length += 1;
  }

  at(index: number): Position {
    return { commit: this.words[2 * index] as bigint, prepare: this.words[2 * index + 1] as bigint };
  }

  used(): BigUint64Array {
    return this.words.subarray(0, 2 * this.length);
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
    if (stored.positions.length !== 2 * tree.size) throw new TypeError(`the stored tree has ${tree.size} leaves but ${stored.positions.length / 2} positions`);
    return new JournalTree(tree, PositionList.of(stored.positions));
  }

  /** Views of the tree's own bytes: serialise them before the next append. */
  toStored(): StoredJournalTree {
    return { tree: this.tree.toStored(), positions: this.positions.used() };
  }

  get size(): number {
    return this.tree.size;
  }

  /** Appends the event's leaf; returns its leaf index. Events come in global order, each once. */
  append(event: RecordedEvent): number {
    this.positions.push(event.position);
    return this.tree.append(leafOf(event));
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
