// A cache bounded by the bytes of what it holds, not by a count: one answer of a five-dimension query is 12 MB, one
// of a dashboard's 4 KB, and a count let 130 distinct heavy queries take RSS to 1.8 GB. It evicts the least recently
// stored entry: a hit moves nothing, since reordering a Map on every cached read cost the hot read path measurably
// (a delete and an insert per answer), and a live answer is stored again at each new position anyway. The one bounded
// cache of the service: a bound on the count is a size of 1 each (countBoundedCache).

export class ByteBoundedCache<K, V> {
  private readonly entries = new Map<K, { readonly value: V; readonly bytes: number }>();
  private used = 0;

  constructor(
    /** The bound; 0 keeps nothing. */
    private readonly maxBytes: number,
    private readonly sizeOf: (value: V) => number,
  ) {}

  get(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** Keeps the value unless it alone is over the bound; evicts the least recently stored until it fits. */
  set(key: K, value: V): boolean {
    this.delete(key);
    const bytes = this.sizeOf(value);
    if (bytes > this.maxBytes) return false;
    this.entries.set(key, { value, bytes });
    this.used += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.used <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.used -= entry.bytes;
    }
    return true;
  }

  delete(key: K): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.used -= entry.bytes;
  }

  /** Drops every entry the predicate picks (given its value and bytes): what a burst of heavy answers left, once over. */
  dropWhere(drop: (value: V, bytes: number) => boolean): void {
    for (const [key, entry] of this.entries) if (drop(entry.value, entry.bytes)) this.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.used = 0;
  }

  get bytes(): number {
    return this.used;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A cache of at most `limit` entries, evicting the least recently stored. */
export function countBoundedCache<K, V>(limit: number): ByteBoundedCache<K, V> {
  return new ByteBoundedCache<K, V>(limit, () => 1);
}
