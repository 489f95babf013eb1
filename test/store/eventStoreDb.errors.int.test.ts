// The EventStoreDB adapter's answers to the server's failures, through the real client against the test-only stand-in:
// each becomes a typed port error (which the HTTP layer answers as a problem), never the client's raw error.
import { randomUUID } from 'node:crypto';
import { DeadlineExceededError, EventStoreDBClient } from '@eventstore/db-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { maskConnectionString, openEventStoreDb, type EventStoreDbOptions } from '../../src/store/eventStoreDb.js';
import {
  AppendTooLargeError,
  InvalidPositionError,
  StoreAccessDeniedError,
  StoreUnavailableError,
  StreamDeletedError,
  type EventStore,
  type EventToAppend,
} from '../../src/store/port.js';
import { aCertificate, aFreezableProxy } from '../support/esdbStandIn/faults.js';
import { DEFAULT_MAX_APPEND_SIZE, startStandIn, type StandIn, type StandInOptions } from '../support/esdbStandIn/server.js';
import { collect } from '../support/iterables.js';

const anEvent = (data: Record<string, unknown> = { n: 1 }): EventToAppend => ({ id: randomUUID(), type: 'Noted', data, metadata: {} });

async function aStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const standIn = await startStandIn(options);
  onTestFinished(() => standIn.close());
  return standIn;
}

async function aStoreOn(connectionString: string, options: Partial<EventStoreDbOptions> = {}): Promise<EventStore> {
  const store = await openEventStoreDb({ connectionString, streamPrefixes: ['errors-'], ...options });
  onTestFinished(() => store.close());
  return store;
}

/** A client of our own, to do what the ledger never does (delete streams) as an operator would. */
function anOperator(standIn: StandIn): EventStoreDBClient {
  const client = EventStoreDBClient.connectionString(standIn.connectionString);
  onTestFinished(() => client.dispose());
  return client;
}

const stream = () => `errors-${randomUUID()}`;

describe.each([
  { path: 'BatchAppend (24.10 with ServerFeatures)', serverFeatures: true },
  { path: 'Append (no ServerFeatures)', serverFeatures: false },
])('EventStoreDB adapter failures, appending through $path', ({ serverFeatures }) => {
  it("refuses an append over the server's MaxAppendSize as AppendTooLargeError naming the limit, and writes none of it", async () => {
    const standIn = await aStandIn({ serverFeatures });
    const store = await aStoreOn(standIn.connectionString);
    const name = stream();
    const before = standIn.log.events.length;
    // Just over 1 MiB of event data across three events: each alone is well under the limit.
    const third = 'x'.repeat(Math.ceil(DEFAULT_MAX_APPEND_SIZE / 3));
    const error = await store
      .append(name, [anEvent({ third }), anEvent({ third }), anEvent({ third })], 'no-stream')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppendTooLargeError);
    expect(error).toMatchObject({ stream: name, maxBytes: DEFAULT_MAX_APPEND_SIZE });
    expect(standIn.log.events.length).toBe(before);
    expect(await collect(store.readStream(name))).toEqual([]);
    // Under the limit the same stream takes the write: the refusal was about size alone.
    await store.append(name, [anEvent({ third })], 'no-stream');
    expect(await collect(store.readStream(name))).toHaveLength(1);
    expect(standIn.appendsServed[serverFeatures ? 'batchAppend' : 'append']).toBeGreaterThan(0);
  });

  it('answers reads and writes of a tombstoned stream with StreamDeletedError naming it; a soft-deleted stream reads as missing', async () => {
    const standIn = await aStandIn({ serverFeatures });
    const store = await aStoreOn(standIn.connectionString);
    const operator = anOperator(standIn);
    const [tombstoned, softDeleted] = [stream(), stream()];
    await store.append(tombstoned, [anEvent()], 'no-stream');
    await store.append(softDeleted, [anEvent()], 'no-stream');
    await operator.tombstoneStream(tombstoned);
    await operator.deleteStream(softDeleted);

    const read = await collect(store.readStream(tombstoned)).catch((e: unknown) => e);
    expect(read).toBeInstanceOf(StreamDeletedError);
    expect(read).toMatchObject({ stream: tombstoned });
    for (const expected of [0n, 'any', 'stream-exists'] as const) {
      const write = await store.append(tombstoned, [anEvent()], expected).catch((e: unknown) => e);
      expect(write, `append expecting ${String(expected)}`).toBeInstanceOf(StreamDeletedError);
      expect(write).toMatchObject({ stream: tombstoned });
    }
    expect(await collect(store.readStream(softDeleted))).toEqual([]);
  });
});

describe('EventStoreDB adapter failures', () => {
  it("refuses a read of $all after a position that is not an event's as InvalidPositionError; 0, an event's position and the end are fine", async () => {
    const standIn = await aStandIn();
    const store = await aStoreOn(standIn.connectionString);
    const name = stream();
    const { position } = await store.append(name, [anEvent(), anEvent()], 'no-stream');
    const [first] = await collect(store.readAll({ limit: 1 }));

    const inside = { commit: first!.position.commit + 1n, prepare: first!.position.prepare + 1n };
    const error = await collect(store.readAll({ after: inside })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidPositionError);
    expect(error).toMatchObject({ position: inside });

    expect(await collect(store.readAll({ after: { commit: 0n, prepare: 0n } }))).toHaveLength(2);
    expect(await collect(store.readAll({ after: first!.position }))).toHaveLength(1);
    expect(await collect(store.readAll({ after: position }))).toEqual([]);
  });

  it('reads past one page of 512 events: every event once, in order, after any position', async () => {
    const standIn = await aStandIn();
    const store = await aStoreOn(standIn.connectionString);
    const name = stream();
    for (let batch = 0; batch < 12; batch += 1) {
      await store.append(
        name,
        Array.from({ length: 100 }, (_, i) => anEvent({ n: batch * 100 + i })),
        batch === 0 ? 'no-stream' : 'any',
      );
    }
    const all = await collect(store.readAll());
    expect(all.map((event) => event.data.n)).toEqual(Array.from({ length: 1200 }, (_, i) => i));
    expect((await collect(store.readAll({ after: all[600]!.position }))).map((event) => event.data.n)).toEqual(
      Array.from({ length: 599 }, (_, i) => i + 601),
    );
    expect((await collect(store.readStream(name, { fromRevision: 500n, limit: 600 }))).map((event) => event.revision)).toEqual(
      Array.from({ length: 600 }, (_, i) => BigInt(i + 500)),
    );
    expect(await collect(store.readAll({ limit: 513 }))).toHaveLength(513);
  });

  it('answers a node that is not the leader, not ready or too busy with StoreUnavailableError, and serves again once it can', async () => {
    const standIn = await aStandIn();
    const store = await aStoreOn(standIn.connectionString);
    const name = stream();
    await store.append(name, [anEvent()], 'no-stream');
    const port = Number(new URL(standIn.connectionString.replace('esdb://', 'http://')).port);
    for (const refusal of [{ kind: 'not-leader', host: '127.0.0.1', port }, { kind: 'not-ready' }, { kind: 'too-busy' }] as const) {
      standIn.refuse(refusal);
      const write = await store.append(name, [anEvent()], 'any').catch((e: unknown) => e);
      expect(write, `append, ${refusal.kind}`).toBeInstanceOf(StoreUnavailableError);
      const read = await collect(store.readAll()).catch((e: unknown) => e);
      expect(read, `read, ${refusal.kind}`).toBeInstanceOf(StoreUnavailableError);
      standIn.refuse(undefined);
      await store.append(name, [anEvent()], 'any');
    }
    expect(await collect(store.readStream(name))).toHaveLength(4);
  });

  it('fails a read within its deadline when the server stops answering on a connection that stays open', async () => {
    const standIn = await aStandIn();
    const proxy = await aFreezableProxy(standIn);
    const store = await aStoreOn(proxy.connectionString, { readDeadlineMs: 300 });
    await store.append(stream(), [anEvent()], 'no-stream');
    proxy.freeze();
    const started = Date.now();
    const error = await collect(store.readAll()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).cause).toBeInstanceOf(DeadlineExceededError);
    // The client's keep-alive would take 10 s + 10 s to notice; the deadline does it in well under that.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('EventStoreDB adapter at start-up on a secure server', () => {
  it('refuses a user outside $admins, who cannot read $all, with StoreAccessDeniedError naming the $admins membership', async () => {
    const standIn = await aStandIn({ secure: aCertificate() });
    const error = await openEventStoreDb({ connectionString: withUser(standIn, 'ops', 'changeit') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreAccessDeniedError);
    expect(String((error as Error).message)).toMatch(/\$all.*\$admins/);
    expect(String((error as Error).message)).not.toContain('changeit');
  });

  it('refuses no credentials and a wrong password too, each saying what to fix; an $admins member opens the store', async () => {
    const standIn = await aStandIn({ secure: aCertificate() });
    const anonymous = await openEventStoreDb({ connectionString: standIn.connectionString }).catch((e: unknown) => e);
    expect(anonymous).toBeInstanceOf(StoreAccessDeniedError);
    expect(String((anonymous as Error).message)).toMatch(/\$admins/);
    const wrongPassword = await openEventStoreDb({ connectionString: withUser(standIn, 'admin', 'wrong') }).catch((e: unknown) => e);
    expect(wrongPassword).toBeInstanceOf(StoreAccessDeniedError);
    expect(String((wrongPassword as Error).message)).toMatch(/user and password/);
    expect(String((wrongPassword as Error).message)).not.toContain('wrong');
    const store = await aStoreOn(withUser(standIn, 'admin', 'changeit'));
    await store.append(stream(), [anEvent()], 'no-stream');
    expect(await collect(store.readAll())).toHaveLength(1);
  });
});

/** The stand-in's connection string with credentials, as an operator writes it for a secure server. */
function withUser(standIn: StandIn, user: string, password: string): string {
  return standIn.connectionString.replace('esdb://', `esdb://${user}:${password}@`);
}

// The same answers from a real server (CI runs these against 24.10 and KurrentDB's LTS): what the stand-in models.
const realServer = process.env.EVENTSTORE_CONNECTION_STRING;
if (realServer) {
  describe(`EventStoreDB adapter failures against a real server at ${maskConnectionString(realServer)}`, () => {
    it('refuses an append over 1 MiB (the default MaxAppendSize) as AppendTooLargeError, writing none of it', async () => {
      const store = await aStoreOn(realServer);
      const name = stream();
      const third = 'x'.repeat(Math.ceil(DEFAULT_MAX_APPEND_SIZE / 3));
      const error = await store
        .append(name, [anEvent({ third }), anEvent({ third }), anEvent({ third })], 'no-stream')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppendTooLargeError);
      expect(await collect(store.readStream(name))).toEqual([]);
    });

    it('answers a tombstoned stream with StreamDeletedError on read and write', async () => {
      const store = await aStoreOn(realServer);
      const operator = EventStoreDBClient.connectionString(realServer);
      onTestFinished(() => operator.dispose());
      const name = stream();
      await store.append(name, [anEvent()], 'no-stream');
      await operator.tombstoneStream(name);
      expect(await collect(store.readStream(name)).catch((e: unknown) => e)).toBeInstanceOf(StreamDeletedError);
      expect(await store.append(name, [anEvent()], 'any').catch((e: unknown) => e)).toBeInstanceOf(StreamDeletedError);
    });

    it('refuses a read of $all after a position inside a record as InvalidPositionError', async () => {
      const store = await aStoreOn(realServer);
      const { position } = await store.append(stream(), [anEvent()], 'no-stream');
      const inside = { commit: position.commit + 1n, prepare: position.prepare + 1n };
      expect(await collect(store.readAll({ after: inside })).catch((e: unknown) => e)).toBeInstanceOf(InvalidPositionError);
    });
  });
} else {
  describe.skip('EventStoreDB adapter failures against a real server: skipped because EVENTSTORE_CONNECTION_STRING is not set', () => {
    it('answers MaxAppendSize, a tombstone and an invalid position as the stand-in does', () => undefined);
  });
}
