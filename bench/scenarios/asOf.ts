// As-of: GET /totals?asOf= at a fresh random moment each time (a position, or the recording time of a random event),
// rotating through the dashboard's queries with and without conversion, one request at a time, beside the live
// GET /totals. Every moment is asked once, so nothing is served from a cache: each answer is a past state built from the
// history of the totals and queried. Timings are what a client waits, 503 retries included.
import http from 'node:http';
import { requestServed } from '../http.js';
import type { BenchOptions } from '../options.js';
import { authorization, type RunningService } from '../service.js';
import { percentile, ratioOf, round2, seededRandom } from '../stats.js';

export interface AsOfFigure {
  /** The moments asked, in order: a position, or an instant (ISO time). */
  readonly moments: readonly string[];
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** By query (the part of the address before asOf). */
  readonly byQuery: Readonly<Record<string, { readonly requests: number; readonly p50Ms: number; readonly p99Ms: number }>>;
  /** 503 answers (overloaded) retried, live and as-of together. */
  readonly refused: number;
  /** Whether the requests stopped early at the time budget. */
  readonly cutShort: boolean;
  readonly live: { readonly requests: number; readonly p50Ms: number; readonly p99Ms: number };
  /** as-of p50 / live p50. */
  readonly ratio: number;
}

/** The dashboard's totals queries, and the converted ones that cite rates. */
const QUERIES = [
  'groupBy=programme',
  'groupBy=country,year',
  '',
  'groupBy=stage',
  'groupBy=country,year&currency=EUR',
  'groupBy=programme&currency=GBP',
] as const;

const LIVE_PATH = '/totals';
/** Untimed rounds of every query before the measured ones. */
const WARMUP_ROUNDS = 2;
const RETRY_MS = 100;

export async function measureAsOf(
  service: RunningService,
  head: bigint,
  options: BenchOptions,
  log: (line: string) => void,
): Promise<AsOfFigure> {
  const headers = authorization(service);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    let refused = 0;
    // The time a client waits for the answer: a 503 (overloaded, after a long fold blocked the event loop) is retried
    // after RETRY_MS, sooner than its Retry-After, and counted.
    const get = async (path: string): Promise<number> => {
      const started = performance.now();
      const answer = await requestServed(
        `${service.baseUrl}${path}`,
        { headers, agent },
        { attempts: 100, waitMs: RETRY_MS, onRefused: () => (refused += 1) },
      );
      if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${answer.body.slice(0, 300)}`);
      return performance.now() - started;
    };

    log(`as-of: live ${LIVE_PATH}, ${options.asOfRequests} requests`);
    await get(LIVE_PATH);
    const live: number[] = [];
    for (let i = 0; i < options.asOfRequests; i += 1) live.push(await get(LIVE_PATH));

    const random = seededRandom(options.seed + 1000);
    const total = Number(head);
    /** Half the moments are positions, half the recording time of a random event (read first, not timed). */
    const nextMoment = async (index: number): Promise<string> => {
      const position = 1 + Math.floor(random() * total);
      if (index % 2 === 0) return String(position);
      const page = await requestServed(
        `${service.baseUrl}/events?after=${position - 1}&limit=1`,
        { headers, agent },
        { attempts: 100, waitMs: RETRY_MS },
      );
      const event = (JSON.parse(page.body) as { items: { metadata?: { recordedAt?: string }; recordedAt?: string }[] }).items[0];
      const recordedAt = event?.recordedAt ?? event?.metadata?.recordedAt;
      return recordedAt ?? String(position);
    };
    // Warm-up, not timed: each query twice at moments of its own, so the first measured answers do not carry V8's
    // compilation of the as-of path (a served process has long since done it). Nothing they leave answers a later
    // request: past states are not kept, and their answers are cached only for these last twelve positions (a measured
    // position falls on one of them about once in 80,000 runs).
    for (let i = 0; i < QUERIES.length * WARMUP_ROUNDS; i += 1) {
      const query = QUERIES[i % QUERIES.length] as string;
      await get(`${LIVE_PATH}?${query}${query === '' ? '' : '&'}asOf=${Math.max(1, total - 1 - i)}`);
    }
    log(`as-of: ${options.asOfRequests} requests, each at a new moment (budget ${options.asOfBudgetSeconds} s)`);
    const timings: number[] = [];
    const byQuery = new Map<string, number[]>();
    const moments: string[] = [];
    const deadline = performance.now() + options.asOfBudgetSeconds * 1000;
    let cutShort = false;
    for (let i = 0; i < options.asOfRequests; i += 1) {
      if (performance.now() > deadline) {
        cutShort = true;
        break;
      }
      const query = QUERIES[i % QUERIES.length] as string;
      const moment = await nextMoment(Math.floor(i / QUERIES.length));
      moments.push(moment);
      const ms = await get(`${LIVE_PATH}?${query}${query === '' ? '' : '&'}asOf=${encodeURIComponent(moment)}`);
      timings.push(ms);
      byQuery.set(query, [...(byQuery.get(query) ?? []), ms]);
    }
    const liveP50 = percentile(live, 50);
    const p50 = percentile(timings, 50);
    return {
      moments,
      requests: timings.length,
      p50Ms: round2(p50),
      p99Ms: round2(percentile(timings, 99)),
      byQuery: Object.fromEntries(
        [...byQuery].map(([query, times]) => [
          query === '' ? '(no groupBy)' : query,
          { requests: times.length, p50Ms: round2(percentile(times, 50)), p99Ms: round2(percentile(times, 99)) },
        ]),
      ),
      refused,
      cutShort,
      live: { requests: live.length, p50Ms: round2(liveP50), p99Ms: round2(percentile(live, 99)) },
      ratio: ratioOf(p50, liveP50),
    };
  } finally {
    agent.destroy();
  }
}
