// Past totals from checkpoints: the same answers as a rebuild from the first event, and fewer events read.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AsOfTotals, type Moment } from '../../src/projections/runtime/asOf.js';
import { AsOfCheckpoints } from '../../src/projections/storage/asOfCheckpoints.js';
import { queryTotals } from '../../src/projections/models/totals/query.js';
import { openEmbeddedStore, type EmbeddedEventStore } from '../../src/store/embedded.js';
import type { EventStore, ReadAllOptions } from '../../src/store/port.js';
import { positionOf } from '../../src/store/position.js';
import { EventLog } from './events.js';

const dirs: string[] = [];
const stores: EmbeddedEventStore[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'funding-ledger-asof-'));
  dirs.push(dir);
  return dir;
}

/** 40 announcements, some amended or withdrawn, and a rate, each event with a hash and a recordedAt a minute apart. */
async function aLedger(seed: string): Promise<EmbeddedEventStore> {
  const log = new EventLog();
  log.record({
    type: 'ExchangeRateRecorded',
    data: { base: 'GBP', quote: 'EUR', rate: '1.1876', effectiveOn: '2025-01-01', source: 'test' },
  });
  for (let n = 0; n < 40; n += 1) {
    const id = `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
    log.announced(id, {
      funder: 'GB',
      programme: n % 3 === 0 ? 'oic-supply-chains' : 'border-security',
      title: `announcement ${n}`,
      announcedOn: `2025-0${1 + (n % 9)}-15`,
      amount: { currency: n % 4 === 0 ? 'EUR' : 'GBP', minor: 1_000_00 * (n + 1) },
      country: ['FR', 'RS', 'XK'][n % 3],
      tags: [],
    });
    if (n % 5 === 0)
      log.record({
        type: 'FundingAmended',
        data: { announcementId: id, changes: { amount: { currency: 'GBP', minor: 7_00 } }, reason: 'corrected' },
      });
    if (n % 7 === 0) log.record({ type: 'FundingWithdrawn', data: { announcementId: id, reason: 'duplicate' } });
  }
  const store = openEmbeddedStore({ dataDir: tempDir() });
  stores.push(store);
  for (const [index, event] of log.events.entries()) {
    const recordedAt = new Date(Date.UTC(2026, 0, 1, 0, index)).toISOString();
    await store.append(
      event.stream,
      [{ id: event.id, type: event.type, data: event.data, metadata: { hash: `${seed}-${index}`, recordedAt } }],
      'any',
    );
  }
  return store;
}

/** The store, counting the events each readAll delivers. */
function counting(store: EventStore): { store: EventStore; read: () => number } {
  let read = 0;
  return {
    store: {
      ...store,
      readStream: store.readStream.bind(store),
      async *readAll(options?: ReadAllOptions) {
        for await (const event of store.readAll(options)) {
          read += 1;
          yield event;
        }
      },
    },
    read: () => read,
  };
}

const answerOf = async (past: AsOfTotals, moment: Moment) => {
  const { position, state } = await past.at(moment);
  return { position, answer: queryTotals(state, { groupBy: ['programme', 'country'], currency: 'EUR', filter: {} }) };
};

const MOMENTS: Moment[] = [
  { position: positionOf(1n) },
  { position: positionOf(17n) },
  { position: positionOf(30n) },
  { position: positionOf(52n) },
  { time: '2026-01-01T00:25:30.000Z' },
  { time: '2026-01-01T00:44:00.000Z' },
];

describe('past totals with checkpoints', () => {
  it('answer every moment as a rebuild from the first event does, and a new instance starts from the nearest checkpoint', async () => {
    const store = await aLedger('a');
    const dir = tempDir();
    const checkpoints = new AsOfCheckpoints(dir);
    const first = new AsOfTotals(store, { checkpoints, everyEvents: 10 });
    const scratch = new AsOfTotals(store);

    for (const moment of MOMENTS) expect(await answerOf(first, moment)).toEqual(await answerOf(scratch, moment));
    await checkpoints.flushed();
    expect(readdirSync(dir).sort()).toEqual(['10.v8', '20.v8', '30.v8', '40.v8', '50.v8']);

    const { store: watched, read } = counting(store);
    const later = new AsOfTotals(watched, { checkpoints: new AsOfCheckpoints(dir), everyEvents: 10 });
    expect(await answerOf(later, { position: positionOf(52n) })).toEqual(await answerOf(scratch, { position: positionOf(52n) }));
    expect(read()).toBeLessThanOrEqual(3);
    expect(await answerOf(later, { time: '2026-01-01T00:25:30.000Z' })).toEqual(
      await answerOf(scratch, { time: '2026-01-01T00:25:30.000Z' }),
    );
  });

  it('answers before its checkpoints are written, and answers the same when they cannot be written at all', async () => {
    const store = await aLedger('a');
    const scratch = new AsOfTotals(store);
    const dir = tempDir();
    const checkpoints = new AsOfCheckpoints(dir);

    const answer = await answerOf(new AsOfTotals(store, { checkpoints, everyEvents: 10 }), { position: positionOf(52n) });
    const onDiskWhenAnswered = readdirSync(dir);
    await checkpoints.flushed();

    expect(answer).toEqual(await answerOf(scratch, { position: positionOf(52n) }));
    expect(onDiskWhenAnswered).toEqual([]);
    expect(readdirSync(dir).sort()).toEqual(['10.v8', '20.v8', '30.v8', '40.v8', '50.v8']);

    const gone = tempDir();
    const warnings: string[] = [];
    const unwritable = new AsOfCheckpoints(gone, { warn: (_fields: object, message: string) => void warnings.push(message) });
    rmSync(gone, { recursive: true });
    const despite = await answerOf(new AsOfTotals(store, { checkpoints: unwritable, everyEvents: 10 }), { position: positionOf(52n) });
    await unwritable.flushed();

    expect(despite).toEqual(answer);
    expect(warnings).toEqual(Array(5).fill('as-of checkpoint not written'));
  });

  it('ignores checkpoints of another store, and damaged ones, answering as a rebuild from the first event', async () => {
    const dir = tempDir();
    const original = await aLedger('a');
    const checkpoints = new AsOfCheckpoints(dir);
    await answerOf(new AsOfTotals(original, { checkpoints, everyEvents: 10 }), { position: positionOf(52n) });
    await checkpoints.flushed();
    writeFileSync(path.join(dir, '50.v8'), 'not a checkpoint');
    const other = await aLedger('b');
    const { store: watched, read } = counting(other);

    const past = new AsOfTotals(watched, { checkpoints: new AsOfCheckpoints(dir), everyEvents: 1000 });

    expect(await answerOf(past, { position: positionOf(45n) })).toEqual(
      await answerOf(new AsOfTotals(other), { position: positionOf(45n) }),
    );
    expect(read()).toBe(46);
  });
});
