// The embedded store: the shared contract, plus what only a local SQLite file has (durability, the directory lock, sync delivery).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { embeddedDatabasePath, openEmbeddedStore, type EmbeddedEventStore } from '../../src/store/embedded.js';
import { lockFileOf, startTimeOf } from '../../src/store/embeddedLock.js';
import { StoreLockedError, StoreUnavailableError, type EventToAppend, type RecordedEvent } from '../../src/store/port.js';
import { formatPosition, positionOf } from '../../src/store/position.js';
import { eventStoreContract } from './contract.js';
import { collect } from '../support/iterables.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const embeddedModule = pathToFileURL(path.join(repoRoot, 'src/store/embedded.ts')).href;

function freshDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-store-'));
}

function anEvent(data: Record<string, unknown> = {}): EventToAppend {
  return { id: randomUUID(), type: 'Noted', data, metadata: {} };
}

eventStoreContract('embedded store (contract)', async () => {
  const dataDir = freshDataDir();
  const store = openEmbeddedStore({ dataDir });
  return {
    store,
    teardown: async () => {
      await store.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
});

/** Runs an ES module in a separate node process, with tsx so that it can import the TypeScript sources. */
function runNode(source: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', source], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const nextLine = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error(`child ended without output: ${stderr}`);
    return line.value;
  };
  return { child, nextLine, exited };
}

describe('embedded store', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function openFresh(dataDir = freshDataDir()): { store: EmbeddedEventStore; dataDir: string } {
    const store = openEmbeddedStore({ dataDir });
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    cleanups.push(() => store.close());
    return { store, dataDir };
  }

  it('numbers global positions from 1 and reports the head', async () => {
    const { store } = openFresh();
    expect(await store.headPosition()).toBeUndefined();

    const first = await store.append('s', [anEvent()], 'no-stream');
    const second = await store.append('t', [anEvent(), anEvent()], 'no-stream');

    expect(first.position).toEqual(positionOf(1n));
    expect(formatPosition(second.position)).toBe('3');
    expect(await store.headPosition()).toEqual(positionOf(3n));
  });

  it('creates a missing data directory, with the database at embeddedDatabasePath', async () => {
    const parent = freshDataDir();
    cleanups.push(() => fs.rmSync(parent, { recursive: true, force: true }));
    const dataDir = path.join(parent, 'nested', 'data');
    const { store } = openFresh(dataDir);

    expect(store.databasePath).toBe(embeddedDatabasePath(dataDir));
    expect(fs.existsSync(embeddedDatabasePath(dataDir))).toBe(true);
  });

  it('keeps events across close and reopen, and never reuses a position', async () => {
    const { store, dataDir } = openFresh();
    const written = [anEvent({ n: 1 }), anEvent({ n: 2 })];
    const before = await store.append('kept', written, 'no-stream');
    await store.close();

    const reopened = openEmbeddedStore({ dataDir });
    cleanups.push(() => reopened.close());
    const read = await collect(reopened.readStream('kept'));
    const next = await reopened.append('kept', [anEvent()], 1n);

    expect(read.map(({ id, data }) => ({ id, data }))).toEqual(written.map(({ id, data }) => ({ id, data })));
    expect(await reopened.headPosition()).toEqual(next.position);
    expect(next.position.commit).toBe(before.position.commit + 1n);
  });

  it('lets an offline tool read the raw rows once the store is closed', async () => {
    const { store, dataDir } = openFresh();
    const event = anEvent({ amount: '12.50' });
    await store.append('raw', [event], 'no-stream');
    await store.close();

    const db = new Database(embeddedDatabasePath(dataDir), { readonly: true });
    const rows = db.prepare('SELECT position, stream, revision, id, type, data FROM events').all();
    const version = db.pragma('user_version', { simple: true });
    db.close();

    expect(rows).toEqual([{ position: 1, stream: 'raw', revision: 0, id: event.id, type: 'Noted', data: '{"amount":"12.50"}' }]);
    expect(version).toBe(1);
  });

  it('refuses a database written by a newer schema version', () => {
    const dataDir = freshDataDir();
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const db = new Database(embeddedDatabasePath(dataDir));
    db.pragma('user_version = 7');
    db.close();

    expect(() => openEmbeddedStore({ dataDir })).toThrow(/schema version 7/);
  });

  it('rolls back a whole batch when one event id is already recorded', async () => {
    const { store } = openFresh();
    const existing = anEvent();
    await store.append('first', [existing], 'no-stream');

    await expect(store.append('second', [anEvent(), existing], 'any')).rejects.toThrow(/already recorded/);

    expect(await collect(store.readStream('second'))).toEqual([]);
    expect(await store.headPosition()).toEqual(positionOf(1n));
  });

  it('refuses an empty append to a missing stream with a RangeError', async () => {
    const { store } = openFresh();

    await expect(store.append('none', [], 'no-stream')).rejects.toBeInstanceOf(RangeError);
  });

  describe('the data directory lock', () => {
    it('makes a second process fail at once with StoreLockedError, even before the holder writes', async () => {
      const { store: first, dataDir } = openFresh();
      await first.append('s', [anEvent()], 'no-stream');
      await first.close();
      // Reopening an existing store writes nothing: the lock must come from the open itself.
      const holder = openEmbeddedStore({ dataDir });
      cleanups.push(() => holder.close());
      const { nextLine, exited } = runNode(`
        const { openEmbeddedStore } = await import(${JSON.stringify(embeddedModule)});
        const started = performance.now();
        try {
          openEmbeddedStore({ dataDir: ${JSON.stringify(dataDir)} });
          console.log(JSON.stringify({ opened: true }));
        } catch (error) {
          console.log(JSON.stringify({ name: error.name, message: error.message, ms: performance.now() - started }));
        }
      `);

      const outcome = JSON.parse(await nextLine());
      await exited;

      expect(outcome.name).toBe('StoreLockedError');
      expect(outcome.message).toBe(`the data directory ${dataDir} is in use by another process`);
      expect(outcome.ms).toBeLessThan(1000);
    });

    it('is held by a writing process until it is killed, and keeps every append it acknowledged', async () => {
      const dataDir = freshDataDir();
      cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
      const { child, nextLine, exited } = runNode(`
        const { openEmbeddedStore } = await import(${JSON.stringify(embeddedModule)});
        const store = openEmbeddedStore({ dataDir: ${JSON.stringify(dataDir)} });
        console.log('open');
        for (let n = 0; ; n += 1) {
          await store.append('ticks', [{ id: crypto.randomUUID(), type: 'Ticked', data: { n }, metadata: {} }], 'any');
          console.log('acked ' + n);
        }
      `);
      cleanups.push(() => void child.kill('SIGKILL'));

      expect(await nextLine()).toBe('open');
      const started = performance.now();
      expect(() => openEmbeddedStore({ dataDir })).toThrow(StoreLockedError);
      expect(performance.now() - started).toBeLessThan(1000);
      let acknowledged = -1;
      while (acknowledged < 20) acknowledged = Number((await nextLine()).replace('acked ', ''));
      child.kill('SIGKILL');
      await exited;

      const { store } = openFresh(dataDir);
      const ticks = await collect(store.readStream('ticks'));
      expect(ticks.length).toBeGreaterThan(acknowledged);
      expect(ticks.map((event) => event.data.n)).toEqual(ticks.map((_, n) => n));
    });

    it('also stops a second open within the same process', () => {
      const { dataDir } = openFresh();

      expect(() => openEmbeddedStore({ dataDir })).toThrow(`the data directory ${dataDir} is in use by another process`);
    });

    it('is let go when its holder is killed: the lock file left behind does not stop the next open', async () => {
      const dataDir = freshDataDir();
      cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
      const { child, nextLine, exited } = runNode(`
        const { openEmbeddedStore } = await import(${JSON.stringify(embeddedModule)});
        const store = openEmbeddedStore({ dataDir: ${JSON.stringify(dataDir)} });
        await store.append('s', [{ id: crypto.randomUUID(), type: 'Noted', data: {}, metadata: {} }], 'no-stream');
        console.log('open');
        setInterval(() => undefined, 1000);
      `);
      cleanups.push(() => void child.kill('SIGKILL'));
      expect(await nextLine()).toBe('open');
      expect(() => openEmbeddedStore({ dataDir })).toThrow(StoreLockedError);

      child.kill('SIGKILL');
      await exited;

      expect(fs.existsSync(lockFileOf(dataDir))).toBe(true);
      const { store } = openFresh(dataDir);
      expect(await collect(store.readStream('s'))).toHaveLength(1);
    });

    it('also stops an open while a process of an older version holds the database itself exclusively', async () => {
      const { store, dataDir } = openFresh();
      await store.close();
      const older = new Database(embeddedDatabasePath(dataDir), { timeout: 0 });
      cleanups.push(() => void older.close());
      older.pragma('locking_mode = EXCLUSIVE');
      older.exec('BEGIN EXCLUSIVE; COMMIT');

      expect(() => openEmbeddedStore({ dataDir })).toThrow(`the data directory ${dataDir} is in use by another process`);
      older.close();
      const { store: reopened } = openFresh(dataDir);
      expect(await reopened.headPosition()).toBeUndefined();
    });

    it('names its holder by pid and start time, so a pid reused by a process that started later does not count', async () => {
      const { store, dataDir } = openFresh();
      const ownerFile = path.join(dataDir, 'events.sqlite.owner');
      const started = startTimeOf(process.pid);
      expect(started).toMatch(/^\d+$/);
      expect(fs.readFileSync(ownerFile, 'utf8')).toBe(`${process.pid} ${started}\n`);
      await store.close();
      expect(fs.existsSync(ownerFile)).toBe(false);

      // A living process that does not hold the directory, named in an owner file as a crashed holder's pid would be.
      const other = spawn('sleep', ['60'], { stdio: 'ignore' });
      cleanups.push(() => void other.kill('SIGKILL'));
      const pid = other.pid as number;
      await vi.waitFor(() => expect(startTimeOf(pid)).toBeDefined());
      const otherStarted = startTimeOf(pid) as string;

      // The pid is alive, but the process behind it started at another time than the one the file names: reused.
      fs.writeFileSync(ownerFile, `${pid} ${BigInt(otherStarted) + 1n}\n`);
      const reopened = openEmbeddedStore({ dataDir });
      await reopened.close();

      // The pid and its start time both match a living process: the directory is taken to be held by it.
      fs.writeFileSync(ownerFile, `${pid} ${otherStarted}\n`);
      expect(() => openEmbeddedStore({ dataDir })).toThrow(`the data directory ${dataDir} is in use by another process`);
    });

    it('is held in a file of its own, so another connection of the holder can read the database meanwhile', async () => {
      const { store, dataDir } = openFresh();
      await store.append('s', [anEvent({ n: 1 })], 'no-stream');

      const reader = new Database(embeddedDatabasePath(dataDir), { readonly: true, fileMustExist: true, timeout: 0 });
      cleanups.push(() => void reader.close());
      const rows = reader.prepare('SELECT stream, data FROM events').all();
      await store.append('s', [anEvent({ n: 2 })], 0n);

      expect(rows).toEqual([{ stream: 's', data: '{"n":1}' }]);
      expect(reader.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 2 });
      expect(fs.statSync(lockFileOf(dataDir)).mode & 0o777).toBe(0o600);
    });
  });

  describe('live delivery', () => {
    it('has a subscriber see an event by the time append resolves', async () => {
      const { store } = openFresh();
      const seen: string[] = [];
      const caughtUp = vi.fn();
      const subscription = store.subscribeToAll({}, { onEvent: (event) => void seen.push(event.id), onCaughtUp: caughtUp });
      await vi.waitFor(() => expect(caughtUp).toHaveBeenCalledOnce());
      const event = anEvent();

      const seenOnResolve = await store.append('now', [event], 'any').then(() => [...seen]);
      await subscription.close();

      expect(seenOnResolve).toEqual([event.id]);
    });

    it('reports caught up once, at the last delivered position', async () => {
      const { store } = openFresh();
      await store.append('a', [anEvent(), anEvent()], 'any');
      const onCaughtUp = vi.fn();
      const subscription = store.subscribeToAll({}, { onEvent: () => undefined, onCaughtUp });
      await vi.waitFor(() => expect(onCaughtUp).toHaveBeenCalled());
      await store.append('a', [anEvent()], 'any');
      await subscription.close();

      expect(onCaughtUp.mock.calls).toEqual([[positionOf(2n)]]);
    });

    it('queues an event appended from inside a handler until that handler returns', async () => {
      const { store } = openFresh();
      const trace: string[] = [];
      const subscription = store.subscribeToAll(
        {},
        {
          onEvent: (event: RecordedEvent) => {
            trace.push(`start ${event.stream}`);
            if (event.stream === 'cause') void store.append('effect', [anEvent()], 'any');
            trace.push(`end ${event.stream}`);
          },
        },
      );

      await store.append('cause', [anEvent()], 'any');
      await vi.waitFor(() => expect(trace).toHaveLength(4));
      await subscription.close();

      expect(trace).toEqual(['start cause', 'end cause', 'start effect', 'end effect']);
    });
  });

  describe('once closed', () => {
    it('rejects every call with StoreUnavailableError and stops its subscriptions quietly', async () => {
      const { store } = openFresh();
      await store.append('s', [anEvent()], 'no-stream');
      const onError = vi.fn();
      const caughtUp = vi.fn();
      store.subscribeToAll({}, { onEvent: () => undefined, onCaughtUp: caughtUp, onError });
      await vi.waitFor(() => expect(caughtUp).toHaveBeenCalled());

      await store.close();
      await store.close();

      await expect(store.append('s', [anEvent()], 'any')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(collect(store.readStream('s'))).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(collect(store.readAll())).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.headPosition()).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(() => store.subscribeToAll({}, { onEvent: () => undefined })).toThrow(StoreUnavailableError);
      expect(onError).not.toHaveBeenCalled();
    });
  });
});
