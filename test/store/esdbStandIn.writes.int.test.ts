// The stand-in's write side holds to EventStoreDB 24.10 (see the server files cited in test/support/esdbStandIn/), each
// behaviour observed through the real @eventstore/db-client: ServerFeatures and BatchAppend, positions, the bounded
// idempotency window, deletes and tombstones, MaxAppendSize, and a node that refuses calls.
import { randomUUID } from 'node:crypto';
import {
  ANY,
  DeadlineExceededError,
  EventStoreDBClient,
  MaxAppendSizeExceededError,
  NO_STREAM,
  NotLeaderError,
  STREAM_EXISTS,
  StreamDeletedError,
  StreamNotFoundError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
  jsonEvent,
  type AppendResult,
  type EventData,
} from '@eventstore/db-client';
import { ServerFeaturesClient } from '@eventstore/db-client/generated/serverfeatures_grpc_pb.js';
import type { SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb.js';
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import { credentials } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_APPEND_SIZE } from '../support/esdbStandIn/server.js';
import { cleanups, serve } from '../support/esdbStandIn/serve.js';
import { collect } from '../support/iterables.js';

const anEvent = (data: Record<string, unknown> = {}): EventData => jsonEvent({ id: randomUUID(), type: 'Noted', data });

async function readIds(client: EventStoreDBClient, stream: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const resolved of client.readStream(stream)) ids.push(resolved.event!.id);
  return ids;
}

describe('ServerFeatures and BatchAppend (ServerFeatures.cs, Streams.BatchAppend.cs)', () => {
  it('advertises what a 24.10 node advertises', async () => {
    const { standIn } = await serve();
    const raw = new ServerFeaturesClient(standIn.connectionString.replace(/^esdb:\/\/|\?.*$/g, ''), credentials.createInsecure());
    cleanups.push(async () => raw.close());

    const answer = await new Promise<SupportedMethods>((resolve, reject) =>
      raw.getSupportedMethods(new sharedPb.Empty(), (error, value) => (error ? reject(error) : resolve(value))),
    );

    const methods = new Map(
      answer.getMethodsList().map((method) => [`${method.getServiceName()}/${method.getMethodName()}`, method.getFeaturesList()]),
    );
    expect(answer.getEventStoreServerVersion()).toBe('24.10.0');
    expect(methods.get('event_store.client.streams.streams/batchappend')).toEqual(['deadline_duration']);
    expect(methods.get('event_store.client.streams.streams/read')).toEqual(['position', 'events']);
    expect(methods.get('event_store.client.streams.streams/append')).toEqual([]);
    expect(methods.get('event_store.client.persistent_subscriptions.persistentsubscriptions/create')).toEqual(['stream', 'all']);
    expect([...methods.keys()].every((name) => name.startsWith('event_store.client.'))).toBe(true);
    expect(methods.size).toBe(33);
  });

  it('serves concurrent appends on one two-way call, each answered under its own correlation id', async () => {
    const { standIn, client } = await serve();
    const [a, b, c] = [`corr-a-${randomUUID()}`, `corr-b-${randomUUID()}`, `corr-c-${randomUUID()}`];
    await client.appendToStream(b, anEvent());

    const outcomes = await Promise.allSettled([
      client.appendToStream(a, [anEvent(), anEvent()], { expectedRevision: NO_STREAM }),
      client.appendToStream(b, anEvent(), { expectedRevision: NO_STREAM }),
      client.appendToStream(c, anEvent(), { expectedRevision: 5n }),
      client.appendToStream(b, anEvent(), { expectedRevision: 0n }),
    ]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect((outcomes[0] as PromiseFulfilledResult<AppendResult>).value.nextExpectedRevision).toBe(1n);
    expect((outcomes[3] as PromiseFulfilledResult<AppendResult>).value.nextExpectedRevision).toBe(1n);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ streamName: b, expectedVersion: 'no_stream', actualVersion: 0n });
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedVersionError);
    expect((outcomes[2] as PromiseRejectedResult).reason).toMatchObject({ streamName: c, expectedVersion: 5n, actualVersion: 'no_stream' });
    expect(standIn.calls).toMatchObject({ batchAppend: 1, append: 0 });
    expect(standIn.appendsServed).toEqual({ batchAppend: 5, append: 0 });
  });

  it('refuses an append whose absolute deadline has passed with Timeout, writing nothing, and keeps the call for the next', async () => {
    const { client } = await serve();
    const stream = `deadline-${randomUUID()}`;

    const error = await client.appendToStream(stream, anEvent(), { deadline: 0 }).catch((e: unknown) => e);
    await client.appendToStream(stream, anEvent(), { expectedRevision: NO_STREAM });

    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(await readIds(client, stream)).toHaveLength(1);
  });
});

describe.each([
  { path: 'BatchAppend', serverFeatures: true },
  { path: 'Append', serverFeatures: false },
])('appends through $path', ({ serverFeatures }) => {
  it('gives each event of a batch the position of its own record: commit = prepare (StorageWriterService WritePrepares)', async () => {
    const { client } = await serve({ serverFeatures });
    const stream = `positions-${randomUUID()}`;

    const result = await client.appendToStream(stream, [anEvent(), anEvent(), anEvent()]);
    const read = await collect(client.readStream(stream));

    const positions = read.map((resolved) => resolved.event!.position!);
    for (const position of positions) expect(position.commit).toBe(position.prepare);
    expect(new Set(positions.map((position) => position.commit)).size).toBe(3);
    expect(result.position).toEqual(positions[2]);
  });

  it('refuses more event data than MaxAppendSize (1 MiB by default), writing none of it', async () => {
    const { client } = await serve({ serverFeatures });
    const stream = `size-${randomUUID()}`;
    const half = 'x'.repeat(DEFAULT_MAX_APPEND_SIZE / 2);

    const error = await client.appendToStream(stream, [anEvent({ half }), anEvent({ half })]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MaxAppendSizeExceededError);
    expect(error).toMatchObject({ maxAppendSize: DEFAULT_MAX_APPEND_SIZE });
    await expect(readIds(client, stream)).rejects.toBeInstanceOf(StreamNotFoundError);
  });

  it('takes its MaxAppendSize from the stand-in option, counting data only (Event.SizeOnDisk)', async () => {
    const { client } = await serve({ serverFeatures, maxAppendSize: 100 });
    const stream = `small-${randomUUID()}`;
    const metadataHeavy = jsonEvent({ type: 'Noted', data: { n: 1 }, metadata: { note: 'm'.repeat(500) } });

    await client.appendToStream(stream, metadataHeavy);
    const error = await client.appendToStream(stream, anEvent({ text: 'd'.repeat(120) })).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(MaxAppendSizeExceededError);
    expect(error).toMatchObject({ maxAppendSize: 100 });
    expect(await readIds(client, stream)).toEqual([metadataHeavy.id]);
  });

  it('deletes softly: reads find no stream, an append brings it back after the old revisions, stream-exists is refused', async () => {
    const { client } = await serve({ serverFeatures });
    const stream = `soft-${randomUUID()}`;
    await client.appendToStream(stream, [anEvent(), anEvent()]);

    await client.deleteStream(stream, { expectedRevision: 1n });
    const whileDeleted = await readIds(client, stream).catch((e: unknown) => e);
    const existsRefused = await client.appendToStream(stream, anEvent(), { expectedRevision: STREAM_EXISTS }).catch((e: unknown) => e);
    const again = anEvent();
    const back = await client.appendToStream(stream, again, { expectedRevision: ANY });

    expect(whileDeleted).toBeInstanceOf(StreamNotFoundError);
    expect(existsRefused).toBeInstanceOf(StreamDeletedError);
    expect(back.nextExpectedRevision).toBe(2n);
    expect(await readIds(client, stream)).toEqual([again.id]);
    expect(await client.deleteStream(`never-${randomUUID()}`).catch((e: unknown) => e)).toBeInstanceOf(WrongExpectedVersionError);
  });

  it('tombstones: reads, appends and deletes of the stream fail with StreamDeleted for good', async () => {
    const { client } = await serve({ serverFeatures });
    const stream = `hard-${randomUUID()}`;
    await client.appendToStream(stream, anEvent());

    const tombstoned = await client.tombstoneStream(stream);
    const errors = await Promise.all([
      readIds(client, stream).catch((e: unknown) => e),
      client.appendToStream(stream, anEvent()).catch((e: unknown) => e),
      client.appendToStream(stream, anEvent(), { expectedRevision: NO_STREAM }).catch((e: unknown) => e),
      client.deleteStream(stream).catch((e: unknown) => e),
      client.tombstoneStream(stream).catch((e: unknown) => e),
    ]);
    const tail = await collect(client.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 1 }));

    for (const error of errors) expect(error).toBeInstanceOf(StreamDeletedError);
    expect(errors[0]).toMatchObject({ streamName: stream });
    expect(tail[0]!.event).toMatchObject({
      streamId: stream,
      type: '$streamDeleted',
      revision: 2n ** 63n - 1n,
      position: tombstoned.position,
    });
  });
});

describe('event-id deduplication, bounded as the server bounds it (IndexWriter.CheckCommit, BoundedCache)', () => {
  /** A window of about a dozen entries for streams named like these, so a test can push an id out of it. */
  const smallWindow = { committedEventsBytes: 1_500 };

  async function pushOutOfWindow(client: EventStoreDBClient): Promise<void> {
    for (let n = 0; n < 20; n += 1) await client.appendToStream(`filler-${randomUUID()}`, anEvent());
  }

  it("recognises an 'any' or 'stream-exists' retry within the window of recent ids", async () => {
    const { client, standIn } = await serve(smallWindow);
    const stream = `window-${randomUUID()}`;
    const events = [anEvent(), anEvent()];
    const first = await client.appendToStream(stream, events);
    const logSize = standIn.log.events.length;

    const retries = [
      await client.appendToStream(stream, events),
      await client.appendToStream(stream, events, { expectedRevision: STREAM_EXISTS }),
    ];

    expect(retries.map((retry) => retry.position)).toEqual([first.position, first.position]);
    expect(standIn.log.events.length).toBe(logSize);
  });

  it("writes an 'any' or 'stream-exists' retry again once its ids have left the window", async () => {
    const { client } = await serve(smallWindow);
    const stream = `evicted-${randomUUID()}`;
    const event = anEvent();
    await client.appendToStream(stream, event);
    await pushOutOfWindow(client);

    const retried = await client.appendToStream(stream, event);
    await pushOutOfWindow(client);
    await client.appendToStream(stream, event, { expectedRevision: STREAM_EXISTS });

    expect(retried.nextExpectedRevision).toBe(1n);
    expect(await readIds(client, stream)).toEqual([event.id, event.id, event.id]);
  });

  it('keeps recognising a retry with the exact expected revision behind the stream, however old (durable, from the index)', async () => {
    const { client, standIn } = await serve(smallWindow);
    const stream = `durable-${randomUUID()}`;
    const first = [anEvent(), anEvent()];
    const written = await client.appendToStream(stream, first, { expectedRevision: NO_STREAM });
    const second = anEvent();
    await client.appendToStream(stream, second, { expectedRevision: 1n });
    await pushOutOfWindow(client);
    const logSize = standIn.log.events.length;

    const retries = [
      await client.appendToStream(stream, first, { expectedRevision: NO_STREAM }),
      await client.appendToStream(stream, second, { expectedRevision: 1n }),
    ];
    const partial = await client.appendToStream(stream, [first[0]!, anEvent()], { expectedRevision: NO_STREAM }).catch((e: unknown) => e);

    expect(retries.map((retry) => retry.nextExpectedRevision)).toEqual([1n, 2n]);
    expect(retries[0]!.position).toEqual(written.position);
    expect(partial).toBeInstanceOf(WrongExpectedVersionError);
    expect(standIn.log.events.length).toBe(logSize);
  });
});

describe('a node that refuses calls (RpcExceptions.LeaderInfo, ServerNotReady; NotHandled inside BatchAppend)', () => {
  it('answers NotLeader with the leader endpoint on every RPC, and serves again once told to', async () => {
    const { standIn, client } = await serve({ serverFeatures: false, refusal: { kind: 'not-leader', host: '127.0.0.1', port: 2113 } });
    const stream = `leader-${randomUUID()}`;

    const read = await readIds(client, stream).catch((e: unknown) => e);
    const fresh = EventStoreDBClient.connectionString(standIn.connectionString);
    cleanups.push(() => fresh.dispose());
    const append = await fresh.appendToStream(stream, anEvent()).catch((e: unknown) => e);
    standIn.refuse(undefined);
    const again = EventStoreDBClient.connectionString(standIn.connectionString);
    cleanups.push(() => again.dispose());
    await again.appendToStream(stream, anEvent());

    for (const error of [read, append]) {
      expect(error).toBeInstanceOf(NotLeaderError);
      expect(error).toMatchObject({ leader: { address: '127.0.0.1', port: 2113 } });
    }
    expect(await readIds(again, stream)).toHaveLength(1);
  });

  it('fails a BatchAppend call with NotLeader, and answers not-ready inside it, which the client raises as UnknownError', async () => {
    const { standIn, client } = await serve();
    const stream = `busy-${randomUUID()}`;
    await client.appendToStream(stream, anEvent());

    standIn.refuse({ kind: 'not-ready' });
    const notReady = await client.appendToStream(stream, anEvent()).catch((e: unknown) => e);
    const readNotReady = await readIds(client, stream).catch((e: unknown) => e);
    standIn.refuse({ kind: 'not-leader', host: '127.0.0.1', port: 2113 });
    const notLeader = await client.appendToStream(stream, anEvent()).catch((e: unknown) => e);

    expect(notReady).toBeInstanceOf(UnknownError);
    expect((notReady as Error).message).toContain('Server Is Not Ready');
    expect(readNotReady).toBeInstanceOf(UnavailableError);
    expect(notLeader).toBeInstanceOf(NotLeaderError);
    standIn.refuse(undefined);
    const fresh = EventStoreDBClient.connectionString(standIn.connectionString);
    cleanups.push(() => fresh.dispose());
    expect(await readIds(fresh, stream)).toHaveLength(1);
  });
});
