// The EventStoreDB adapter: the shared contract over real gRPC (the test-only stand-in, and a real server when one is
// configured), plus what only this adapter has: start-up checks, two-part positions, server-side dedupe of prompt retries, the
// stream scope.
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { BACKWARDS, END, EventStoreDBClient, jsonEvent } from '@eventstore/db-client';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { announcementStream } from '../../src/commands/announcement/events.js';
import { exchangeRateStream } from '../../src/commands/exchangeRate/events.js';
import { programmeStream } from '../../src/commands/programme/events.js';
import { LEDGER_STREAM_PREFIXES, maskConnectionString, openEventStoreDb } from '../../src/store/eventStoreDb.js';
import {
  StoreUnavailableError,
  WrongExpectedRevisionError,
  type EventStore,
  type EventToAppend,
  type Position,
  type RecordedEvent,
} from '../../src/store/port.js';
import { formatPosition, parsePosition } from '../../src/store/position.js';
import { spawnStandIn } from '../support/esdbStandIn/process.js';
import { startStandIn, type StandIn } from '../support/esdbStandIn/server.js';
import { eventStoreContract } from './contract.js';
import { collect } from '../support/iterables.js';

/** The contract writes under contract-<id>- prefixes; production stores see LEDGER_STREAM_PREFIXES instead. */
const CONTRACT_STREAMS = ['contract-'];

let standIn: StandIn;
beforeAll(async () => {
  standIn = await startStandIn();
});
afterAll(async () => {
  await standIn.close();
});

/**
 * The contract in both of the client's write paths: against a server that answers ServerFeatures (24.10, as production)
 * the client appends through BatchAppend; against one without it, through Append.
 */
describe.each([
  { mode: 'with ServerFeatures: appends through BatchAppend', serverFeatures: true, rpc: 'batchAppend' as const },
  { mode: 'without ServerFeatures: appends through Append', serverFeatures: false, rpc: 'append' as const },
])('the stand-in $mode', ({ serverFeatures, rpc }) => {
  let server: StandIn;
  beforeAll(async () => {
    server = await startStandIn({ serverFeatures });
  });
  afterAll(async () => {
    await server.close();
  });

  eventStoreContract('EventStoreDB adapter against the test-only gRPC stand-in (@grpc/grpc-js)', async () => {
    const store = await openEventStoreDb({ connectionString: server.connectionString, streamPrefixes: CONTRACT_STREAMS });
    return { store, teardown: () => store.close() };
  });

  it(`serves every append of the adapter through ${rpc} and none through the other`, async () => {
    const store = await openEventStoreDb({ connectionString: server.connectionString });
    const other = rpc === 'append' ? 'batchAppend' : 'append';
    const before = { ...server.appendsServed };
    const otherCalls = server.calls[other];
    try {
      const stream = programmeStream(`rpc-${randomUUID()}`);
      await store.append(stream, [anEvent(), anEvent()], 'no-stream');
      await Promise.all([store.append(stream, [anEvent()], 1n), store.append(programmeStream(`rpc-${randomUUID()}`), [anEvent()], 'any')]);
      await store.append(stream, [anEvent()], 'any');
    } finally {
      await store.close();
    }

    expect(server.appendsServed[rpc] - before[rpc]).toBe(4);
    expect(server.appendsServed[other]).toBe(before[other]);
    expect(server.calls[other]).toBe(otherCalls);
    // The client asks once per connection; a server without the service is not counted (it has no handler).
    expect(server.calls.getSupportedMethods > 0).toBe(serverFeatures);
  });
});

const realServer = process.env.EVENTSTORE_CONNECTION_STRING;
if (realServer) {
  eventStoreContract(`EventStoreDB adapter against a real EventStoreDB at ${maskConnectionString(realServer)}`, async () => {
    const store = await openEventStoreDb({ connectionString: realServer, streamPrefixes: CONTRACT_STREAMS });
    return { store, teardown: () => store.close() };
  });
} else {
  describe.skip('EventStoreDB adapter against a real EventStoreDB: skipped because EVENTSTORE_CONNECTION_STRING is not set', () => {
    it('passes the event store contract', () => undefined);
  });
}

function anEvent(type = 'Noted', data: Record<string, unknown> = {}): EventToAppend {
  return { id: randomUUID(), type, data, metadata: { by: 'test' } };
}

/** A port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('EventStoreDB adapter (against the stand-in)', () => {
  const cleanups: (() => Promise<unknown> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function open(options: { streamPrefixes?: readonly string[] } = {}): Promise<EventStore> {
    const store = await openEventStoreDb({ connectionString: standIn.connectionString, ...options });
    cleanups.push(() => store.close());
    return store;
  }

  function rawClient(): EventStoreDBClient {
    const client = EventStoreDBClient.connectionString(standIn.connectionString);
    cleanups.push(() => client.dispose());
    return client;
  }

  describe('start-up', () => {
    it('fails fast on an unreachable server, naming the connection string with its credentials masked', async () => {
      const port = await closedPort();
      const started = performance.now();

      const error = await openEventStoreDb({ connectionString: `esdb://admin:s3cr%3Ft@127.0.0.1:${port}?tls=false` }).catch(
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toContain(`EventStoreDB at esdb://***@127.0.0.1:${port}?tls=false is not usable`);
      expect((error as Error).message).not.toContain('s3cr');
      expect(performance.now() - started).toBeLessThan(2_000);
    });

    it('gives up on a server that accepts connections but never answers, within connectTimeoutMs', async () => {
      const sockets = new Set<net.Socket>();
      const silent = net.createServer((socket) => void sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise((resolve) => silent.close(resolve)));
      cleanups.push(() => sockets.forEach((socket) => socket.destroy()));
      const { port } = silent.address() as net.AddressInfo;
      const started = performance.now();

      const error = await openEventStoreDb({ connectionString: `esdb://127.0.0.1:${port}?tls=false`, connectTimeoutMs: 300 }).catch(
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as Error).message).toMatch(new RegExp(`^EventStoreDB at esdb://127.0.0.1:${port}\\?tls=false is not usable: `));
      expect(performance.now() - started).toBeLessThan(1_500);
    });

    it('rejects a malformed connection string, and stream prefixes that could reach system streams', async () => {
      await expect(openEventStoreDb({ connectionString: 'http://user:pw@127.0.0.1:2113' })).rejects.toThrow(
        /^invalid EventStoreDB connection string http:\/\/\*\*\*@127\.0\.0\.1:2113: /,
      );
      await expect(openEventStoreDb({ connectionString: standIn.connectionString, streamPrefixes: ['$'] })).rejects.toThrow(RangeError);
      await expect(openEventStoreDb({ connectionString: standIn.connectionString, streamPrefixes: [] })).rejects.toThrow(RangeError);
    });

    // Against a server in another process, the v6 client's own stream reads, left early, can make its dispose() wait forever.
    it('closes promptly after readers that stopped early, the server being in another process', async () => {
      const remote = await spawnStandIn();
      cleanups.push(() => remote.kill());
      for (let round = 0; round < 5; round += 1) {
        const store = await openEventStoreDb({ connectionString: remote.connectionString });
        const stream = programmeStream(`early-${round}`);
        await store.append(stream, [anEvent(), anEvent(), anEvent()], 'no-stream');
        for (let n = 0; n < 20; n += 1) {
          for await (const _ of store.readStream(stream)) break;
          for await (const _ of store.readAll({ filter: { streamPrefixes: [stream] } })) break;
          await store.append(stream, [], 'stream-exists');
        }
        const started = performance.now();

        await store.close();

        expect(performance.now() - started).toBeLessThan(1_000);
      }
    });

    it('turns every call into StoreUnavailableError once closed', async () => {
      const store = await open();
      await store.close();

      await expect(store.append(programmeStream('closed'), [anEvent()], 'any')).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(collect(store.readAll())).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(() => store.subscribeToAll({}, { onEvent: () => undefined })).toThrow(StoreUnavailableError);
    });
  });

  describe('positions', () => {
    // Over gRPC every event is a committed prepare of its own: commit = prepare, in a batch too (see log.ts).
    it("carries the server's positions (commit = prepare over gRPC) unchanged through append, reads, subscriptions and the text form", async () => {
      const store = await open();
      const stream = programmeStream(`pos-${randomUUID()}`);
      const head = await store.headPosition();
      const single = await store.append(stream, [anEvent()], 'no-stream');
      const batch = await store.append(stream, [anEvent(), anEvent(), anEvent()], 0n);

      const fromStream = await collect(store.readStream(stream));
      const fromAll = await collect(store.readAll({ after: head, filter: { streamPrefixes: [stream] } }));
      const seen: RecordedEvent[] = [];
      const subscription = store.subscribeToAll(
        { after: head, filter: { streamPrefixes: [stream] } },
        { onEvent: (event) => void seen.push(event) },
      );
      await vi.waitFor(() => expect(seen).toHaveLength(4));
      await subscription.close();

      const positions = fromStream.map((event) => event.position);
      for (const position of positions) expect(position.commit).toBe(position.prepare);
      expect(new Set(positions.map((position) => position.commit)).size).toBe(4);
      expect(single.position).toEqual(positions[0]);
      expect(batch.position).toEqual(positions[3]);
      expect(fromAll.map((event) => event.position)).toEqual(positions);
      expect(seen.map((event) => event.position)).toEqual(positions);
      expect(positions.map((position) => parsePosition(formatPosition(position)))).toEqual(positions);
      expect(
        positions.map((position) => standIn.log.events.find((event) => event.position.prepare === position.prepare)?.position),
      ).toEqual(positions);
    });
  });

  describe('event ids', () => {
    // Within the server's window of recent ids for 'any' / 'stream-exists'; exact revisions always (esdbStandIn.writes.int.test.ts).
    it('has the server recognise a prompt retry by its event ids and write nothing twice', async () => {
      const store = await open();
      const stream = announcementStream(randomUUID());
      const first = [anEvent(), anEvent()];
      const written = await store.append(stream, first, 'no-stream');
      const second = [anEvent()];
      await store.append(stream, second, 1n);
      const logSize = standIn.log.events.length;

      const retries = [
        await store.append(stream, first, 'no-stream'),
        await store.append(stream, second, 1n),
        await store.append(stream, first, 'any'),
        await store.append(stream, second, 'stream-exists'),
      ];

      expect(retries.map(({ nextRevision }) => nextRevision)).toEqual([1n, 2n, 1n, 2n]);
      expect(retries[0]!.position).toEqual(written.position);
      expect(standIn.log.events.length).toBe(logSize);
      expect((await collect(store.readStream(stream))).map((event) => event.id)).toEqual([...first, ...second].map((event) => event.id));
    });

    it('refuses a retry that only partly matches what was written, writing none of it', async () => {
      const store = await open();
      const stream = announcementStream(randomUUID());
      const first = [anEvent(), anEvent()];
      await store.append(stream, first, 'no-stream');

      const error = await store.append(stream, [first[0]!, anEvent()], 'no-stream').catch((e: unknown) => e);

      expect(error).toBeInstanceOf(WrongExpectedRevisionError);
      expect(error).toMatchObject({ stream, expected: 'no-stream', actual: 1n });
      expect((await collect(store.readStream(stream))).map((event) => event.id)).toEqual(first.map((event) => event.id));
    });

    it('refuses a payload JSON cannot represent before anything reaches the server', async () => {
      const store = await open();
      const stream = programmeStream(`bigint-${randomUUID()}`);

      await expect(store.append(stream, [anEvent('Bad', { amount: 1n })], 'no-stream')).rejects.toThrow(TypeError);

      expect(await collect(store.readStream(stream))).toEqual([]);
    });
  });

  describe("the ledger's streams, and only those", () => {
    it('matches the stream names the ledger writes', () => {
      const names = [programmeStream('p'), announcementStream('a'), exchangeRateStream('EUR', 'GBP')];
      expect(names.map((name) => LEDGER_STREAM_PREFIXES.filter((prefix) => name.startsWith(prefix)))).toEqual(
        LEDGER_STREAM_PREFIXES.map((prefix) => [prefix]),
      );
    });

    it('reads, follows and reports as head only ledger streams, though $all holds system and foreign streams', async () => {
      const client = rawClient();
      const [tail] = await collect(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }));
      const after: Position | undefined = tail?.event?.position;
      const store = await open();
      const programme = programmeStream(`scope-${randomUUID()}`);
      const ours = [anEvent('ProgrammeRegistered')];
      await store.append(programme, ours, 'no-stream');
      await client.appendToStream(`other-${randomUUID()}`, jsonEvent({ type: 'Foreign', data: {} }));
      await client.setStreamMetadata(programme, { maxCount: 100 });
      const fx = exchangeRateStream('GBP', 'EUR');
      const rate = anEvent('ExchangeRateRecorded');
      const last = await store.append(fx, [rate], 'any');
      await client.setStreamMetadata(fx, { maxAge: 3600 });

      const everything = await collect(client.readAll({ fromPosition: after ?? 'start' }));
      const read = await collect(store.readAll({ after }));
      const seen: RecordedEvent[] = [];
      const subscription = store.subscribeToAll({ after }, { onEvent: (event) => void seen.push(event) });
      await vi.waitFor(() => expect(seen.map((event) => event.id)).toContain(rate.id));
      await subscription.close();

      expect(everything.map((resolved) => resolved.event?.type)).toEqual(expect.arrayContaining(['Foreign', '$metadata']));
      expect(read.map((event) => event.id)).toEqual([ours[0]!.id, rate.id]);
      expect(seen.map((event) => event.id)).toEqual([ours[0]!.id, rate.id]);
      expect(await store.headPosition()).toEqual(last.position);
      expect(await collect(store.readAll({ after, filter: { streamPrefixes: ['other-', '$$'] } }))).toEqual([]);
      expect((await collect(store.readAll({ after, filter: { streamPrefixes: ['prog'] } }))).map((event) => event.id)).toEqual([
        ours[0]!.id,
      ]);
    });
  });

  describe('caught up', () => {
    it('is reported without CaughtUp messages too, as on servers before 24.2', async () => {
      const old = await startStandIn({ caughtUpMessages: false });
      cleanups.push(() => old.close());
      const store = await openEventStoreDb({ connectionString: old.connectionString });
      cleanups.push(() => store.close());
      const stream = programmeStream('old-server');
      const written = await store.append(stream, [anEvent(), anEvent(), anEvent()], 'no-stream');
      const client = EventStoreDBClient.connectionString(old.connectionString);
      cleanups.push(() => client.dispose());
      await client.setStreamMetadata(stream, { maxCount: 10 });

      const seen: string[] = [];
      const caughtUp: (Position | undefined)[] = [];
      const subscription = store.subscribeToAll(
        {},
        { onEvent: (event) => void seen.push(event.id), onCaughtUp: (position) => caughtUp.push(position) },
      );
      await vi.waitFor(() => expect(caughtUp).toHaveLength(1));
      const empty = store.subscribeToAll(
        { filter: { streamPrefixes: ['announcement-'] } },
        { onEvent: () => undefined, onCaughtUp: (position) => caughtUp.push(position) },
      );
      await vi.waitFor(() => expect(caughtUp).toHaveLength(2));
      await subscription.close();
      await empty.close();

      expect(seen).toHaveLength(3);
      expect(caughtUp).toEqual([written.position, undefined]);
    });
  });
});
