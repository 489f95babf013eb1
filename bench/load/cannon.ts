// The load generator, in its own process so it does not share an event loop with what it measures: autocannon
// against one URL (a warm-up, then the measured run), printing one JSON LoadResult line.
import autocannon from 'autocannon';
import { announcementBodies } from './announcementBodies.js';
import type { LoadResult, LoadSpec } from './spec.js';

function requestsOf(spec: LoadSpec): autocannon.Request[] | undefined {
  if (spec.kind === 'get') return undefined;
  const next = announcementBodies(spec.programmes ?? []);
  return [
    {
      method: 'POST',
      setupRequest: (request) => {
        const { body, idempotencyKey } = next();
        return { ...request, body, headers: { ...request.headers, 'idempotency-key': idempotencyKey } };
      },
    },
  ];
}

async function fire(spec: LoadSpec, seconds: number): Promise<autocannon.Result> {
  const headers = spec.kind === 'announce' ? { ...spec.headers, 'content-type': 'application/json' } : spec.headers;
  const requests = requestsOf(spec);
  return autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: seconds,
    headers,
    method: spec.kind === 'announce' ? 'POST' : 'GET',
    ...(requests !== undefined && { requests }),
  });
}

const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
if (spec.warmupSeconds > 0) await fire(spec, spec.warmupSeconds);
const result = await fire(spec, spec.seconds);
const statuses = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count ?? 0]));
const answer: LoadResult = {
  requestsPerSecond: Math.round(result['2xx'] / result.duration),
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  meanMs: Math.round(result.latency.mean * 100) / 100,
  maxMs: result.latency.max,
  ok: result['2xx'],
  non2xx: result.non2xx,
  statuses,
  errors: result.errors,
  timeouts: result.timeouts,
  seconds: result.duration,
  bytesPerSecond: Math.round(result.throughput.average),
};
process.stdout.write(`${JSON.stringify(answer)}\n`);
