// The stand-in's memory of recently committed event ids: the bounded window in which 'any' and 'stream-exists' retries
// are recognised. Follows the server's IndexWriter._committedEvents, a BoundedCache<Guid, EventInfo> limited to
// ESConsts.CommitedEventsMemCacheLimit (8 MiB) of estimated entry sizes, evicting first-in first-out
// (EventStoreDB v24.10.0: src/EventStore.Core/Services/Storage/ReaderIndex/IndexWriter.cs,
// src/EventStore.Core/Services/Storage/ReaderIndex/BoundedCache.cs, src/EventStore.Core/Settings/ESConsts.cs).

/** ESConsts.CommitedEventsMemCacheLimit. */
export const COMMITTED_EVENTS_CACHE_BYTES = 8 * 1024 * 1024;

export interface CommittedEvent {
  readonly stream: string;
  readonly revision: bigint;
}

/**
 * What the server charges one entry: a Guid key (16), the event number's int part (4), a pointer (8), and the stream
 * name as MemSizer.SizeOf(string) counts it (20 + 2 bytes a char + 1, rounded up to 8)
 * (src/EventStore.Core/Caching/MemSizer.cs, src/EventStore.Core/LogV2/LogV2Sizer.cs).
 */
export function entrySize(entry: CommittedEvent): number {
  const name = entry.stream.length === 0 ? 0 : Math.ceil((20 + entry.stream.length * 2 + 1) / 8) * 8;
  return 16 + 4 + 8 + name;
}

export class CommittedEvents {
  private readonly entries = new Map<string, CommittedEvent>();
  /** Insertion order, duplicates included, as the server's queue keeps them. */
  private readonly queue: string[] = [];
  private head = 0;
  private size = 0;

  constructor(private readonly maxBytes: number = COMMITTED_EVENTS_CACHE_BYTES) {}

  get(id: string): CommittedEvent | undefined {
    return this.entries.get(id);
  }

  /** BoundedCache.PutRecord(key, value, throwOnDuplicate: false): evict while full, then count the entry in. */
  put(id: string, entry: CommittedEvent): void {
    while (this.isFull()) this.evictOldest();
    this.size += entrySize(entry);
    this.queue.push(id);
    if (!this.entries.has(id)) this.entries.set(id, entry);
  }

  private isFull(): boolean {
    return this.size > this.maxBytes && this.queue.length > this.head;
  }

  private evictOldest(): void {
    const id = this.queue[this.head]!;
    this.head += 1;
    if (this.head > 4_096 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    const old = this.entries.get(id);
    if (old === undefined) return;
    this.size -= entrySize(old);
    this.entries.delete(id);
  }
}
