// Write: POST /announcements (acknowledged once fsynced) under 50 connections, beside the embedded store's own rate
// of single appends of the same kind of event, measured in the same run.
import { runJsonScript } from '../children.js';
import { getJson } from '../http.js';
import { runLoad } from '../load/run.js';
import type { LoadResult } from '../load/spec.js';
import type { BenchOptions } from '../options.js';
import { benchScript } from '../paths.js';
import { authorization, type RunningService } from '../service.js';
import type { RawAppendResult } from '../baselines/rawAppend.js';
import { ratioOf } from '../stats.js';

export interface WriteFigure {
  readonly service: LoadResult;
  /** The store alone just before and just after the service's run: the disk's fsync rate drifts on a shared machine. */
  readonly rawBefore: RawAppendResult;
  readonly rawAfter: RawAppendResult;
  /** The mean of the two raw rates: the baseline. */
  readonly rawAppendsPerSecond: number;
  /** service requests per second / raw single appends per second. */
  readonly ratio: number;
}

const APPEND_BATCH = 500;

export async function measureWrites(service: RunningService, options: BenchOptions, log: (line: string) => void): Promise<WriteFigure> {
  const headers = authorization(service);
  const { items } = await getJson<{ items: { code: string }[] }>(`${service.baseUrl}/programmes`, headers);
  const raw = (batchSeconds: number): Promise<RawAppendResult> =>
    runJsonScript<RawAppendResult>(
      benchScript('baselines/rawAppend.ts'),
      { seconds: options.appendSeconds, batchSeconds, batchSize: APPEND_BATCH },
      'raw appends',
      (options.appendSeconds + batchSeconds) * 3000 + 60_000,
    );
  log('write: the embedded store alone (before)');
  const rawBefore = await raw(Math.max(1, options.appendSeconds / 2));
  log('write POST /announcements: the ledger');
  const ledger = await runLoad(
    {
      url: `${service.baseUrl}/announcements`,
      headers,
      connections: options.connections,
      seconds: options.loadSeconds,
      warmupSeconds: options.warmupSeconds,
      kind: 'announce',
      programmes: items.map((item) => item.code),
    },
    'POST /announcements',
  );
  log('write: the embedded store alone (after)');
  const rawAfter = await raw(0);
  const rawAppendsPerSecond = Math.round((rawBefore.appendsPerSecond + rawAfter.appendsPerSecond) / 2);
  return { service: ledger, rawBefore, rawAfter, rawAppendsPerSecond, ratio: ratioOf(ledger.requestsPerSecond, rawAppendsPerSecond) };
}
