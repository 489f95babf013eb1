// Announcement ids to slots without a JS string and Map entry per id: UUIDs packed as four 32-bit words,
// found through an open-addressing hash table in a typed array. About 32 bytes an id instead of about 100,
// and a snapshot of it is three typed arrays.
import { NONE, OpenAddressing } from './openAddressing.js';

export interface StoredIdIndex {
  readonly length: number;
  readonly words: Uint32Array;
  /** Ids that are not lowercase canonical UUIDs (the API takes only UUIDs, but a store may hold anything): by slot. */
  readonly others: [number, string][];
}

/** The four words of a lowercase canonical UUID, written into `words`; false (for any other id) otherwise. No strings are made. */
function parseCanonical(id: string, words: Uint32Array): boolean {
  if (id.length !== 36) return false;
  let word = 0;
  let digits = 0;
  for (let at = 0; at < 36; at += 1) {
    const code = id.charCodeAt(at);
    if (at === 8 || at === 13 || at === 18 || at === 23) {
      if (code !== 45) return false; // '-'
      continue;
    }
    const digit = code >= 48 && code <= 57 ? code - 48 : code >= 97 && code <= 102 ? code - 87 : -1;
    if (digit < 0) return false;
    word = word * 16 + digit;
    digits += 1;
    if (digits === 8) {
      words[wordIndexAt(at)] = word;
      word = 0;
      digits = 0;
    }
  }
  return true;
}

/** Which of the four words ends at character `at` (7, 17, 27 and 35 end words 0 to 3). */
function wordIndexAt(at: number): number {
  return at === 7 ? 0 : at === 17 ? 1 : at === 27 ? 2 : 3;
}

const scratch = new Uint32Array(4);
/** The canonical id whose words `scratch` holds, so `add` right after a missed `slotOf` does not parse it again. */
let parsedId: string | undefined;

/** Parses `id` into `scratch` unless it is already there; false for an id that is not a canonical UUID. */
function parseIntoScratch(id: string): boolean {
  if (id === parsedId) return true;
  parsedId = parseCanonical(id, scratch) ? id : undefined;
  return parsedId !== undefined;
}

/** Mixes all four words, so time-ordered UUIDs (v1, v7), whose leading words barely change, spread as well. */
function hashOf(w0: number, w1: number, w2: number, w3: number): number {
  let h = Math.imul(w0 ^ Math.imul(w1, 0x9e3779b1), 0x85ebca6b) ^ Math.imul(w2 ^ Math.imul(w3, 0xc2b2ae35), 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 12)) >>> 0;
}

const hex = (word: number, digits: number): string => word.toString(16).padStart(digits, '0');

export class IdIndex {
  private words: Uint32Array;
  private readonly table: OpenAddressing;
  private readonly slotsOfOthers: Map<string, number>;
  private readonly otherIds: Map<number, string>;
  length: number;

  constructor(stored?: StoredIdIndex) {
    this.length = stored?.length ?? 0;
    this.words = stored?.words ?? new Uint32Array(4 * 1024);
    this.slotsOfOthers = new Map(stored?.others.map(([slot, id]) => [id, slot]));
    this.otherIds = new Map(stored?.others);
    // The table is not stored: rebuilding it is a fraction of a second, and the snapshot is the smaller for it.
    this.table = new OpenAddressing(2048, (slot) => this.hashOfSlot(slot), this.length);
  }

  /** The slot of an id, or undefined when it has none. */
  slotOf(id: string): number | undefined {
    if (!parseIntoScratch(id)) return this.slotsOfOthers.get(id);
    const w0 = scratch[0] as number;
    const w1 = scratch[1] as number;
    const w2 = scratch[2] as number;
    const w3 = scratch[3] as number;
    const hash = hashOf(w0, w1, w2, w3) | 0;
    const table = this.table;
    for (let slot = table.first(hash); slot !== NONE; slot = table.next(hash)) {
      const base = slot * 4;
      if (this.words[base] === w0 && this.words[base + 1] === w1 && this.words[base + 2] === w2 && this.words[base + 3] === w3) return slot;
    }
    return undefined;
  }

  /** Gives a new id the next slot. The caller has checked it has none. */
  add(id: string): number {
    const slot = this.length;
    this.length += 1;
    if (this.words.length < this.length * 4) {
      const grown = new Uint32Array(Math.ceil(this.length * 1.5) * 4);
      grown.set(this.words);
      this.words = grown;
    }
    if (!parseIntoScratch(id)) {
      this.slotsOfOthers.set(id, slot);
      this.otherIds.set(slot, id);
      return slot;
    }
    this.words.set(scratch, slot * 4);
    this.table.add(slot, hashOf(scratch[0] as number, scratch[1] as number, scratch[2] as number, scratch[3] as number) | 0, false);
    return slot;
  }

  idOf(slot: number): string {
    const other = this.otherIds.get(slot);
    if (other !== undefined) return other;
    const base = slot * 4;
    const [w0, w1, w2, w3] = [
      this.words[base] as number,
      this.words[base + 1] as number,
      this.words[base + 2] as number,
      this.words[base + 3] as number,
    ];
    const middle = hex(w1, 8);
    const end = hex(w2, 8);
    return `${hex(w0, 8)}-${middle.slice(0, 4)}-${middle.slice(4)}-${end.slice(0, 4)}-${end.slice(4)}${hex(w3, 8)}`;
  }

  /**
   * Copies the id's four words into `target` at `offset` (for hashing many ids without making their strings); false,
   * copying nothing, for an id kept as text (see `others`).
   */
  copyWords(slot: number, target: Uint32Array | Float64Array, offset: number): boolean {
    if (this.otherIds.size > 0 && this.otherIds.has(slot)) return false;
    const base = slot * 4;
    target[offset] = this.words[base] as number;
    target[offset + 1] = this.words[base + 1] as number;
    target[offset + 2] = this.words[base + 2] as number;
    target[offset + 3] = this.words[base + 3] as number;
    return true;
  }

  /** The ids kept as text, by slot. */
  get others(): ReadonlyMap<number, string> {
    return this.otherIds;
  }

  /** Ids of slots `from` (inclusive) to `to` (exclusive), in slot order. */
  *ids(from = 0, to = this.length): Generator<string> {
    for (let slot = from; slot < Math.min(to, this.length); slot += 1) yield this.idOf(slot);
  }

  /** The hash of a slot's id in the table; undefined for an id kept as text. */
  private hashOfSlot(slot: number): number | undefined {
    if (this.otherIds.size > 0 && this.otherIds.has(slot)) return undefined;
    const base = slot * 4;
    const words = this.words;
    return hashOf(words[base] as number, words[base + 1] as number, words[base + 2] as number, words[base + 3] as number) | 0;
  }

  /** What a snapshot stores. */
  toStored(): StoredIdIndex {
    return { length: this.length, words: this.words.slice(0, this.length * 4), others: [...this.otherIds] };
  }
}
