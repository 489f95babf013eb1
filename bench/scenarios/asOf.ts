// As-of: GET /totals?asOf=<position> at a few random positions in a random order, one request at a time, beside the
// live GET /totals. A position asked before may be served from the as-of cache; the first ask replays history.
// Timings are what a client waits, 503 retries included.
import http from 'node:http';
import { requestServed } from '../http.js';
import type { BenchOptions } from '../options.js';
import { authorization, type RunningService } from '../service.js';
import { percentile, ratioOf, round2, seededRandom } from '../stats.js';

export interface AsOfFigure {
  readonly positions: readonly string[];
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** The first request at each position: nothing cached for it yet. */
  readonly firstMedianMs: number;
  readonly firstMaxMs: number;
  /** 503 answers (overloaded) retried, live and as-of together. */
  readonly refused: number;
  /** Whether the requests stopped early at the time budget. */
  readonly cutShort: boolean;
  readonly live: { readonly requests: number; readonly p50Ms: number; readonly p99Ms: number };
  /** as-of p50 / live p50. */
  readonly ratio: number;
}

const LIVE_PATH = '/totals';
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
    const positions = Array.from({ length: options.asOfPositions }, () => (1n + BigInt(Math.floor(random() * Number(head)))).toString());
    log(`as-of: ${options.asOfRequests} requests over ${positions.length} positions (budget ${options.asOfBudgetSeconds} s)`);
    const timings: number[] = [];
    const firsts: number[] = [];
    const asked = new Set<string>();
    const deadline = performance.now() + options.asOfBudgetSeconds * 1000;
    let cutShort = false;
    for (let i = 0; i < options.asOfRequests; i += 1) {
      if (performance.now() > deadline) {
        cutShort = true;
        break;
      }
      const position = positions[Math.floor(random() * positions.length)] as string;
      const ms = await get(`${LIVE_PATH}?asOf=${position}`);
      timings.push(ms);
      if (!asked.has(position)) firsts.push(ms);
      asked.add(position);
    }
    const liveP50 = percentile(live, 50);
    const p50 = percentile(timings, 50);
    return {
      positions,
      requests: timings.length,
      p50Ms: round2(p50),
      p99Ms: round2(percentile(timings, 99)),
      firstMedianMs: round2(percentile(firsts, 50)),
      firstMaxMs: round2(Math.max(0, ...firsts)),
      refused,
      cutShort,
      live: { requests: live.length, p50Ms: round2(liveP50), p99Ms: round2(percentile(live, 99)) },
      ratio: ratioOf(p50, liveP50),
    };
  } finally {
    agent.destroy();
  }
}
