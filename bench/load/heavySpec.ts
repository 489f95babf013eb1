// What the heavy clients are asked to do and what they answer: shared by the heavy scenario and its child script.

export interface HeavyRequest {
  /** For the figures: which kind of heavy work (e.g. "exports/totals.csv"). */
  readonly kind: string;
  /** Path and query, from the first slash. */
  readonly path: string;
  readonly method?: 'GET' | 'POST';
}

export interface HeavyClient {
  /** The API key this client presents: the gate counts running and waiting requests per key. */
  readonly key: string;
  /** Requests kept in flight at once (one connection each). */
  readonly inFlight: number;
  /** Taken in order; each finished request is replaced by the next. */
  readonly requests: readonly HeavyRequest[];
}

export interface HeavySpec {
  readonly baseUrl: string;
  readonly clients: readonly HeavyClient[];
  /** Stop starting requests after this many seconds (those in flight finish); without it, run every list to its end. */
  readonly seconds?: number;
}

export interface HeavyKindResult {
  readonly requests: number;
  readonly ok: number;
  readonly bytes: number;
  /** Of the 2xx answers, from sending to the last byte. */
  readonly p50Ms: number;
  readonly maxMs: number;
}

export interface HeavyResult {
  /** Requests finished (any status; 0 is a failed connection). */
  readonly requests: number;
  /** 2xx answers. */
  readonly ok: number;
  readonly statuses: Record<string, number>;
  readonly bytes: number;
  readonly seconds: number;
  /** Workers whose list ran out before the time was up (0 when the load held to the end). */
  readonly listsRanOut: number;
  readonly kinds: Record<string, HeavyKindResult>;
}
