// Baseline for writes: the embedded store alone, in a fresh data dir. One announcement per store.append, awaited one
// after the other (each its own fsync'd transaction, as a request is), then appendMany batches for context.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eventsToAppend, type CommandMetadata } from '../../src/commands/envelope.js';
import { openEmbeddedStore, type StreamAppend } from '../../src/store/embedded.js';
import type { EventToAppend } from '../../src/store/port.js';
import { syntheticHistory } from '../../src/synthetic/history.js';
import { percentile, round2 } from '../stats.js';

export interface RawAppendResult {
  /** Sequential single appends per second (time inside store.append only). */
  readonly appendsPerSecond: number;
  readonly appends: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly batchSize: number;
  /** appendMany: events per second, `batchSize` announcements per transaction (0 when not asked for). */
  readonly batchedEventsPerSecond: number;
  readonly batchedEvents: number;
}

const input = JSON.parse(process.argv[2] ?? '{}') as { seconds: number; batchSeconds: number; batchSize: number };

/** FundingAnnounced events only, as POST /announcements writes, enveloped as a request with an Idempotency-Key would be. */
function* announcements(seed: number): Generator<{ stream: string; events: EventToAppend[] }> {
  const correlationId = randomUUID();
  for (const append of syntheticHistory({ announcements: Number.MAX_SAFE_INTEGER, seed })) {
    const first = append.events[0];
    if (first === undefined || first.type !== 'FundingAnnounced') continue;
    const metadata: CommandMetadata = {
      actor: 'admin',
      correlationId,
      causationId: randomUUID(),
      now: append.recordedAt,
      idempotencyKey: randomUUID(),
      requestHash: randomBytes(32).toString('hex'),
    };
    yield { stream: append.stream, events: eventsToAppend(append.stream, undefined, [first], metadata) };
  }
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'funding-ledger-bench-append-'));
const store = openEmbeddedStore({ dataDir });
try {
  const source = announcements(7);
  const latencies: number[] = [];
  let inStore = 0;
  const until = performance.now() + input.seconds * 1000;
  while (performance.now() < until) {
    const next = source.next().value as { stream: string; events: EventToAppend[] };
    const started = performance.now();
    await store.append(next.stream, next.events, 'no-stream');
    const ms = performance.now() - started;
    inStore += ms;
    latencies.push(ms);
  }

  let batchedEvents = 0;
  let batchedMs = 0;
  const batchUntil = performance.now() + input.batchSeconds * 1000;
  while (performance.now() < batchUntil) {
    const batch: StreamAppend[] = [];
    for (let i = 0; i < input.batchSize; i += 1) {
      const next = source.next().value as { stream: string; events: EventToAppend[] };
      batch.push({ ...next, expected: 'no-stream' });
    }
    const started = performance.now();
    await store.appendMany(batch);
    batchedMs += performance.now() - started;
    batchedEvents += batch.length;
  }

  const result: RawAppendResult = {
    appendsPerSecond: Math.round(latencies.length / (inStore / 1000)),
    appends: latencies.length,
    p50Ms: round2(percentile(latencies, 50)),
    p99Ms: round2(percentile(latencies, 99)),
    batchSize: input.batchSize,
    batchedEventsPerSecond: batchedMs > 0 ? Math.round(batchedEvents / (batchedMs / 1000)) : 0,
    batchedEvents,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
}
