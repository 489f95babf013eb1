// Large scratch arrays handed back and reused: a past state of the totals and a query over it take about 25 MB of
// arrays a request at a million events. The service runs with MALLOC_MMAP_THRESHOLD_=131072 (README "Memory"), so each
// fresh array of that size is new pages from the kernel, faulted in and zeroed one by one, then unmapped when
// collected: measured in process at a million events, building a past state took 5 ms with memory reused and 30 ms
// with fresh pages, and the query over it 5 ms and 17 ms (issue 21).
//
// Only what is handed back is reused, so an array a caller keeps (or forgets) is simply collected as before. A caller
// gives an array back only when nothing else can hold it: the past states and queries that use this pool own theirs.

/** Arrays kept for reuse at most, by total bytes: two converting as-of requests' worth at a million events. */
export const DEFAULT_SCRATCH_BYTES = 64 * 1024 * 1024;

/** Buffers below this size are not worth pooling: the allocator's own pools serve them without new pages. */
const SMALLEST_POOLED = 64 * 1024;

/** A new buffer is made this much larger than asked, so a ledger that grew a little still fits it next time. */
const HEADROOM = 1.25;

export class ScratchPool {
  private free: ArrayBuffer[] = [];
  private freeBytes = 0;

  constructor(
    private readonly maxBytes: number = DEFAULT_SCRATCH_BYTES,
    /** Buffers below this are neither kept nor looked for (tests pool every size, to reuse memory as often as can be). */
    private readonly smallest: number = SMALLEST_POOLED,
  ) {}

  /** A buffer of at least `bytes`, its contents undefined (a reused one holds what its last user left). */
  take(bytes: number): ArrayBuffer {
    if (bytes >= this.smallest) {
      // The smallest free buffer that fits: few are kept, so a scan is cheap.
      let best = -1;
      for (let index = 0; index < this.free.length; index += 1) {
        const size = (this.free[index] as ArrayBuffer).byteLength;
        if (size >= bytes && (best < 0 || size < (this.free[best] as ArrayBuffer).byteLength)) best = index;
      }
      if (best >= 0) {
        const [buffer] = this.free.splice(best, 1) as [ArrayBuffer];
        this.freeBytes -= buffer.byteLength;
        return buffer;
      }
      return new ArrayBuffer(Math.ceil((bytes * HEADROOM) / 8) * 8);
    }
    return new ArrayBuffer(bytes);
  }

  /** Hands a buffer back; the caller must not touch it, or any view of it, afterwards. */
  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength < this.smallest || this.free.includes(buffer)) return;
    this.free.push(buffer);
    this.freeBytes += buffer.byteLength;
    // Over the bound, the largest go first: they are the rarest to fit a request exactly.
    while (this.freeBytes > this.maxBytes) {
      let largest = 0;
      this.free.forEach((candidate, index) => {
        if (candidate.byteLength > (this.free[largest] as ArrayBuffer).byteLength) largest = index;
      });
      const [dropped] = this.free.splice(largest, 1) as [ArrayBuffer];
      this.freeBytes -= dropped.byteLength;
    }
  }

  /** Lets go of every buffer kept (when the service is idle, so its resident set falls back). */
  clear(): void {
    this.free = [];
    this.freeBytes = 0;
  }

  /** Bytes kept for reuse. */
  get bytes(): number {
    return this.freeBytes;
  }
}

type TypedArrayKind<T> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number };

/** A typed array of exactly `length` elements over a buffer from the pool, every element zero. */
export function zeroed<T extends { fill(value: number): T }>(pool: ScratchPool, kind: TypedArrayKind<T>, length: number): T {
  return view(pool, kind, length).fill(0);
}

/** A typed array of exactly `length` elements over a buffer from the pool, its contents undefined. */
export function view<T>(pool: ScratchPool, kind: TypedArrayKind<T>, length: number): T {
  return new kind(pool.take(length * kind.BYTES_PER_ELEMENT), 0, length);
}

/** The pool the service's as-of answers and totals queries share (one event loop, so no locking). */
export const scratch = new ScratchPool();
