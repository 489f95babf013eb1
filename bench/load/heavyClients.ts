// Heavy clients, in their own process so that the process downloading the heavy bodies is not the one probing
// /health/live or sampling memory: each client (an API key) keeps its own number of requests in flight, each finished
// request replaced by the next of its list, until the list runs out or the time is up. Reads the spec from the JSON
// file named by argv[2]; prints "go" when the first requests leave, and one JSON HeavyResult line at the end.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import type { HeavyKindResult, HeavyRequest, HeavyResult, HeavySpec } from './heavySpec.js';

interface Done {
  readonly kind: string;
  readonly status: number;
  readonly bytes: number;
  readonly ms: number;
}

/** One request, its body counted and dropped; status 0 when the connection failed. */
function fire(baseUrl: string, key: string, heavy: HeavyRequest, agent: http.Agent): Promise<Done> {
  const started = performance.now();
  return new Promise((resolve) => {
    const finish = (status: number, bytes: number): void => resolve({ kind: heavy.kind, status, bytes, ms: performance.now() - started });
    const req = http.request(
      `${baseUrl}${heavy.path}`,
      { method: heavy.method ?? 'GET', headers: { authorization: `Bearer ${key}` }, agent },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => finish(res.statusCode ?? 0, bytes));
        res.on('error', () => finish(0, bytes));
      },
    );
    req.on('error', () => finish(0, 0));
    req.end();
  });
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

async function run(spec: HeavySpec): Promise<HeavyResult> {
  const done: Done[] = [];
  const started = performance.now();
  const deadline = spec.seconds === undefined ? Infinity : started + spec.seconds * 1000;
  let unfinishedLists = 0;
  const agents: http.Agent[] = [];
  const workers = spec.clients.flatMap((client) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: client.inFlight });
    agents.push(agent);
    let next = 0;
    return Array.from({ length: client.inFlight }, async () => {
      while (performance.now() < deadline) {
        const heavy = client.requests[next];
        if (heavy === undefined) {
          if (spec.seconds !== undefined) unfinishedLists += 1;
          return;
        }
        next += 1;
        done.push(await fire(spec.baseUrl, client.key, heavy, agent));
      }
    });
  });
  process.stdout.write('go\n');
  await Promise.all(workers);
  const seconds = (performance.now() - started) / 1000;
  for (const agent of agents) agent.destroy();

  const statuses: Record<string, number> = {};
  for (const { status } of done) statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
  const kinds: Record<string, HeavyKindResult> = {};
  for (const kind of new Set(done.map((d) => d.kind))) {
    const mine = done.filter((d) => d.kind === kind);
    const ok = mine.filter((d) => d.status >= 200 && d.status < 300);
    const ms = ok.map((d) => d.ms).sort((a, b) => a - b);
    kinds[kind] = {
      requests: mine.length,
      ok: ok.length,
      bytes: mine.reduce((sum, d) => sum + d.bytes, 0),
      p50Ms: round1(percentile(ms, 50)),
      maxMs: round1(ms.at(-1) ?? 0),
    };
  }
  const ok = done.filter((d) => d.status >= 200 && d.status < 300).length;
  return {
    requests: done.length,
    ok,
    statuses,
    bytes: done.reduce((sum, d) => sum + d.bytes, 0),
    seconds: round1(seconds),
    // With a time limit, a list that ran out before it means fewer than the asked number were in flight at the end.
    listsRanOut: unfinishedLists,
    kinds,
  };
}

const spec = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as HeavySpec;
process.stdout.write(`${JSON.stringify(await run(spec))}\n`);
