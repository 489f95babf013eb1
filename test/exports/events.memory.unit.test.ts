// Constant memory: 200,000 synthetic events streamed through the events CSV writer into a sink that drops the bytes.
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { csvStream } from '../../src/exports/csv.js';
import { eventsExport } from '../../src/exports/events.js';
import type { EventStore, RecordedEvent } from '../../src/store/port.js';
import { positionOf } from '../../src/store/position.js';

const EVENTS = 200_000;
const MB = 1024 * 1024;

// A full collection before each heap reading, so what is measured is what is still held, not garbage not yet collected.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

/** A store that makes each event as it is read: it holds none of them, so any growth is the writer's. */
function syntheticStore(count: number): EventStore {
  const eventAt = (n: number): RecordedEvent => ({
    id: `00000000-0000-4000-8000-${n.toString().padStart(12, '0')}`,
    stream: `announcement-${n % 5000}`,
    revision: BigInt(Math.floor(n / 5000)),
    position: positionOf(BigInt(n)),
    type: 'FundingAnnounced',
    data: {
      announcementId: `id-${n}`,
      title: `=announcement ${n}, "quoted"\nsecond line`,
      amount: { currency: 'GBP', minor: n * 100 },
      tags: ['a', 'b'],
    },
    metadata: {
      recordedAt: new Date(Date.UTC(2025, 0, 1) + n * 1000).toISOString(),
      actor: 'bulk',
      correlationId: `c-${n}`,
      causationId: `c-${n}`,
      hash: 'f'.repeat(64),
      prevHash: '0'.repeat(64),
    },
  });
  return {
    async *readAll() {
      for (let n = 1; n <= count; n += 1) yield eventAt(n);
    },
  } as unknown as EventStore;
}

describe('the events export', () => {
  it(`streams ${EVENTS.toLocaleString('en')} events with flat memory`, async () => {
    const csv = eventsExport(syntheticStore(EVENTS), positionOf(BigInt(EVENTS)));
    const baseline = heapAfterGc();
    const rssBefore = process.memoryUsage().rss;
    let peak = 0;
    let bytes = 0;
    let rows = 0;
    const started = performance.now();

    await pipeline(
      csvStream(csv, {
        onRow: (count) => {
          rows = count;
          if (count % 25_000 === 0) peak = Math.max(peak, heapAfterGc() - baseline);
        },
      }),
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          bytes += chunk.length;
          done();
        },
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    console.info(
      `events CSV: ${rows} rows, ${(bytes / MB).toFixed(0)} MB in ${seconds.toFixed(2)} s; heap growth peak ${(peak / MB).toFixed(2)} MB, RSS growth ${(rssGrowth / MB).toFixed(1)} MB`,
    );

    expect(rows).toBe(EVENTS);
    expect(bytes).toBeGreaterThan(EVENTS * 300);
    // The file is far larger than these bounds: were it buffered, the heap would grow by all of it.
    expect(peak).toBeLessThan(10 * MB);
    expect(rssGrowth).toBeLessThan(50 * MB);
  }, 120_000);
});
