// readAllAhead: the log read on a worker thread gives a replay the same events, states and digest as readAll, and fails as it does.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildProjections } from '../../src/audit/replay.js';
import { PROJECTIONS } from '../../src/projections/runtime/all.js';
import { digestOf } from '../../src/projections/storage/digest.js';
import { embeddedDatabasePath, openEmbeddedStore, type EmbeddedEventStore } from '../../src/store/embedded.js';
import { readForReplay, StoreDamagedError, type RecordedEvent } from '../../src/store/port.js';
import { positionOf } from '../../src/store/position.js';
import { collect } from '../support/iterables.js';
import { appendSyntheticLedger } from '../support/syntheticLedger.js';

let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-read-ahead-'));
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A synthetic ledger of several of the worker's batches (2048 rows each), decided by the real deciders. */
async function generatedLedger(name: string, announcements = 8000): Promise<{ store: EmbeddedEventStore; dataDir: string }> {
  const dataDir = path.join(root, name);
  const store = openEmbeddedStore({ dataDir });
  await appendSyntheticLedger(store, announcements);
  return { store, dataDir };
}

/** What a caller sees of an event: every field, the metadata parsed. */
function plainOf(event: RecordedEvent): unknown {
  return { ...event, metadata: event.metadata };
}

describe('readAllAhead (the embedded store read on a worker thread)', () => {
  let store: EmbeddedEventStore;

  beforeAll(async () => {
    ({ store } = await generatedLedger('whole'));
  });

  afterAll(() => store.close());

  it('gives the events readAll gives, in order, field for field', async () => {
    const read = await collect(store.readAll());
    const ahead = await collect(store.readAllAhead());

    expect(read.length).toBeGreaterThan(3 * 2048);
    expect(ahead.map(plainOf)).toEqual(read.map(plainOf));
  });

  it('rebuilds the same states and digest as the one-thread fold of readAll', async () => {
    const oneThread = await rebuildProjections(store.readAll(), PROJECTIONS);
    const twoThreads = await rebuildProjections(readForReplay(store), PROJECTIONS);

    expect(twoThreads.events).toBe(oneThread.events);
    expect(twoThreads.lastPosition).toEqual(oneThread.lastPosition);
    expect(digestOf(twoThreads.states)).toBe(digestOf(oneThread.states));
    // Compared in their stored (snapshot) forms: the live states hold caches that differ between any two folds.
    for (const projection of PROJECTIONS) {
      expect(projection.snapshot.store(twoThreads.states.get(projection.name))).toEqual(
        projection.snapshot.store(oneThread.states.get(projection.name)),
      );
    }
  });

  it('reads strictly after `after` and up to `until`, as a replay to a position needs', async () => {
    const read = await collect(store.readAll());
    const until = (read[4000] as RecordedEvent).position;

    const ahead = await collect(store.readAllAhead({ after: positionOf(10n), until }));
    const rebuilt = await rebuildProjections(readForReplay(store, { until }), PROJECTIONS, { until });
    const oneThread = await rebuildProjections(store.readAll(), PROJECTIONS, { until });

    expect(ahead.map(plainOf)).toEqual(read.slice(10, 4001).map(plainOf));
    expect(rebuilt.events).toBe(4001);
    expect(digestOf(rebuilt.states)).toBe(digestOf(oneThread.states));
  });

  it('stops its worker when the reader stops early, and can be read again', async () => {
    const first: RecordedEvent[] = [];
    for await (const event of store.readAllAhead()) {
      first.push(event);
      if (first.length === 3000) break;
    }

    expect(first).toHaveLength(3000);
    expect((await collect(store.readAllAhead())).length).toBeGreaterThan(3000);
  });
});

describe('a damaged store read ahead', () => {
  it('fails a replay on a row whose data is not JSON with the same error as the one-thread read', async () => {
    const { store, dataDir } = await generatedLedger('bad-row', 200);
    await store.close();
    const db = new Database(embeddedDatabasePath(dataDir));
    db.prepare('UPDATE events SET data = ? WHERE position = 300').run('{"announcementId": "broken');
    db.close();
    const reopened = openEmbeddedStore({ dataDir });
    try {
      const oneThread = await rebuildProjections(reopened.readAll(), PROJECTIONS).catch((error: unknown) => error);
      const twoThreads = await rebuildProjections(readForReplay(reopened), PROJECTIONS).catch((error: unknown) => error);

      expect(oneThread).toBeInstanceOf(SyntaxError);
      expect(twoThreads).toBeInstanceOf(SyntaxError);
      expect((twoThreads as Error).message).toBe((oneThread as Error).message);
    } finally {
      await reopened.close();
    }
  });

  it('fails on damaged pages with StoreDamagedError naming the file, as the one-thread read does', async () => {
    const { store, dataDir } = await generatedLedger('bad-pages');
    await store.close();
    const file = embeddedDatabasePath(dataDir);
    // Zeroes pages in the middle of the table, leaving the first and last rows (checked at open) whole.
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r+');
    fs.writeSync(fd, Buffer.alloc(8 * 4096, 0xff), 0, 8 * 4096, Math.floor(size / 2 / 4096) * 4096);
    fs.closeSync(fd);
    const reopened = openEmbeddedStore({ dataDir });
    try {
      const oneThread = await rebuildProjections(reopened.readAll(), PROJECTIONS).catch((error: unknown) => error);
      const twoThreads = await rebuildProjections(readForReplay(reopened), PROJECTIONS).catch((error: unknown) => error);

      expect(oneThread).toBeInstanceOf(StoreDamagedError);
      expect(twoThreads).toBeInstanceOf(StoreDamagedError);
      expect((twoThreads as Error).message).toBe((oneThread as Error).message);
    } finally {
      await reopened.close();
    }
  });
});
