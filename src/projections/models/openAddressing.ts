// One open-addressing hash table of entry numbers in a typed array, for the id index and the totals' cells: a Map
// keyed by strings cost about 100 bytes an id and a string made per lookup, this costs 8 bytes a place and none.
// The caller keeps the keys in its own columns and compares them; the table keeps each entry's number and key hash.

/** What a search answers when no (further) entry has the hash. */
export const NONE = -1;

export class OpenAddressing {
  /** Two numbers per place: an entry number (or NONE), and its key's hash beside it, so a miss seldom reads a key. */
  private table = new Int32Array(0);
  private mask = 0;
  /** Where the last search stopped: `next` goes on from there, and `putAtMiss` writes there. */
  private at = 0;

  /**
   * @param minCapacity places in the smallest table (a power of two).
   * @param hashOf the hash (an int32) of an entry's key; undefined for an entry kept elsewhere than the table.
   */
  constructor(
    private readonly minCapacity: number,
    private readonly hashOf: (entry: number) => number | undefined,
    entries = 0,
  ) {
    this.rebuild(entries);
  }

  /** The first entry whose key hash is `hash` (an int32), or NONE: the caller compares keys, and asks `next` for another. */
  first(hash: number): number {
    this.at = hash & this.mask;
    return this.scan(hash);
  }

  /** The next entry with the hash after the one `first` or `next` answered, or NONE. */
  next(hash: number): number {
    this.at = (this.at + 1) & this.mask;
    return this.scan(hash);
  }

  private scan(hash: number): number {
    const table = this.table;
    const mask = this.mask;
    for (let at = this.at; ; at = (at + 1) & mask) {
      const entry = table[2 * at] as number;
      if (entry === NONE || table[2 * at + 1] === hash) {
        this.at = at;
        return entry;
      }
    }
  }

  /**
   * Adds `entry`, the highest number yet, whose key is not in the table; `searched` when the last search was for
   * its hash and ended with NONE, where it then goes. At most half full, so probes stay short: past that the table
   * doubles and is filled again.
   */
  add(entry: number, hash: number, searched: boolean): void {
    if ((entry + 1) * 2 > this.mask + 1) {
      this.rebuild(entry + 1);
      return;
    }
    let at = this.at;
    if (!searched) for (at = hash & this.mask; this.table[2 * at] !== NONE; at = (at + 1) & this.mask);
    this.table[2 * at] = entry;
    this.table[2 * at + 1] = hash;
  }

  /** A table for `entries` entries, numbered 0 up, at most half full. */
  private rebuild(entries: number): void {
    let capacity = this.minCapacity;
    while (capacity < entries * 2 + 2) capacity *= 2;
    const table = new Int32Array(capacity * 2).fill(NONE);
    const mask = capacity - 1;
    for (let entry = 0; entry < entries; entry += 1) {
      const hash = this.hashOf(entry);
      if (hash === undefined) continue;
      let at = hash & mask;
      while (table[2 * at] !== NONE) at = (at + 1) & mask;
      table[2 * at] = entry;
      table[2 * at + 1] = hash;
    }
    this.table = table;
    this.mask = mask;
  }
}
