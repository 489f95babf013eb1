// What the load generator is asked to do and what it answers: shared by the bench and its autocannon child.

export interface LoadSpec {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly connections: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** get: the same GET each time; announce: POST /announcements, a new announcement each request. */
  readonly kind: 'get' | 'announce';
  /** Programme codes registered in the ledger, for announce. */
  readonly programmes?: readonly string[];
}

export interface LoadResult {
  /** 2xx responses per second over the measured run. */
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  readonly maxMs: number;
  readonly ok: number;
  readonly non2xx: number;
  /** Responses by status code. */
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
  readonly bytesPerSecond: number;
}
