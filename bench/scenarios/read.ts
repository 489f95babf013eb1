// Read: GET /totals under 50 connections, beside a bare Fastify route returning the same bytes, in the same run. The
// bare route is loaded just before and just after the ledger and the two averaged, as the write baseline is: the
// machine's speed drifts by more than the differences measured.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exitOf, spawnScript } from '../children.js';
import { requestServed } from '../http.js';
import { runLoad } from '../load/run.js';
import type { LoadResult } from '../load/spec.js';
import type { BenchOptions } from '../options.js';
import { benchScript } from '../paths.js';
import { authorization, type RunningService } from '../service.js';
import { ratioOf } from '../stats.js';

export const READ_ROUTES = ['/totals?groupBy=country,year&currency=EUR', '/totals?groupBy=programme'] as const;

export interface ReadFigure {
  readonly path: string;
  readonly bodyBytes: number;
  /** The first, uncached answer (computed at this position). */
  readonly firstMs: number;
  readonly service: LoadResult;
  /** The bare route just before the ledger's load. */
  readonly bareBefore: LoadResult;
  /** The bare route just after it. */
  readonly bareAfter: LoadResult;
  /** The mean of the two bare runs' requests per second. */
  readonly bareRequestsPerSecond: number;
  /** service / bare requests per second. */
  readonly ratio: number;
}

export async function measureReads(service: RunningService, options: BenchOptions, log: (line: string) => void): Promise<ReadFigure[]> {
  const headers = authorization(service);
  const bodyDir = mkdtempSync(path.join(os.tmpdir(), 'funding-ledger-bench-bodies-'));
  const bodies: Record<string, string> = {};
  const firsts = new Map<string, { bytes: number; ms: number }>();
  try {
    for (const [index, route] of READ_ROUTES.entries()) {
      const answer = await requestServed(`${service.baseUrl}${route}`, { headers });
      if (answer.status !== 200) throw new Error(`GET ${route}: ${answer.status} ${answer.body.slice(0, 300)}`);
      const file = path.join(bodyDir, `body-${index}.json`);
      writeFileSync(file, answer.body);
      bodies[route] = file;
      firsts.set(route, { bytes: Buffer.byteLength(answer.body), ms: answer.ms });
    }
    const bare = spawnScript(benchScript('load/bareServer.ts'), [JSON.stringify({ bodies })]);
    try {
      const bareUrl = await listeningUrl(bare);
      const figures: ReadFigure[] = [];
      for (const route of READ_ROUTES) {
        const spec = {
          headers,
          connections: options.connections,
          seconds: options.loadSeconds,
          warmupSeconds: options.warmupSeconds,
          kind: 'get' as const,
        };
        log(`read ${route}: bare Fastify (before)`);
        const before = await runLoad({ ...spec, url: `${bareUrl}${route}` }, `bare ${route}`);
        log(`read ${route}: the ledger`);
        const ledger = await runLoad({ ...spec, url: `${service.baseUrl}${route}` }, `ledger ${route}`);
        log(`read ${route}: bare Fastify (after)`);
        const after = await runLoad({ ...spec, url: `${bareUrl}${route}` }, `bare ${route}`);
        const bareRequestsPerSecond = Math.round((before.requestsPerSecond + after.requestsPerSecond) / 2);
        const first = firsts.get(route) as { bytes: number; ms: number };
        figures.push({
          path: route,
          bodyBytes: first.bytes,
          firstMs: Math.round(first.ms * 10) / 10,
          service: ledger,
          bareBefore: before,
          bareAfter: after,
          bareRequestsPerSecond,
          ratio: ratioOf(ledger.requestsPerSecond, bareRequestsPerSecond),
        });
      }
      return figures;
    } finally {
      bare.kill('SIGTERM');
      if ((await exitOf(bare, 5_000)) === undefined) bare.kill('SIGKILL');
    }
  } finally {
    rmSync(bodyDir, { recursive: true, force: true });
  }
}

function listeningUrl(child: ReturnType<typeof spawnScript>): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined) resolve(`http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}`);
    });
    child.once('exit', (code) => reject(new Error(`the bare Fastify server exited (${code}): ${err.slice(-500)}`)));
  });
}
