// The one contract every event store adapter must pass; it relies on the port alone (positions only through comparePositions).
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  metadataMayHold,
  recordedAtOf,
  recordedHashOf,
  WrongExpectedRevisionError,
  type EventStore,
  type EventToAppend,
  type ExpectedRevision,
  type Position,
  type RecordedEvent,
  type SubscribeOptions,
  type SubscriptionHandlers,
} from '../../src/store/port.js';
import { comparePositions } from '../../src/store/position.js';
import { collect } from '../support/iterables.js';

export interface StoreUnderTest {
  readonly store: EventStore;
  teardown(): Promise<void>;
}

/** Stores may be shared between tests (an EventStoreDB server): every test writes under its own stream prefix. */
function uniquePrefix(): string {
  return `contract-${randomUUID().slice(0, 8)}-`;
}

function anEvent(type = 'Noted', data: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): EventToAppend {
  return { id: randomUUID(), type, data, metadata };
}

function events(count: number, type = 'Noted'): EventToAppend[] {
  return Array.from({ length: count }, (_, n) => anEvent(type, { n }));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected the promise to reject'),
    (error: unknown) => error,
  );
}

async function expectWrongRevision(
  promise: Promise<unknown>,
  expected: { stream: string; expected: ExpectedRevision; actual: bigint | 'no-stream' },
): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(WrongExpectedRevisionError);
  expect(error).toMatchObject(expected);
}

function expectStrictlyIncreasing(positions: readonly Position[]): void {
  for (let i = 1; i < positions.length; i += 1) {
    expect(comparePositions(positions[i - 1]!, positions[i]!), `position ${i} after position ${i - 1}`).toBe(-1);
  }
}

const idsOf = (recorded: readonly { id: string }[]): string[] => recorded.map((event) => event.id);

/** A subscription that records what it is given, so tests can wait on it and then assert on all of it. */
function recordSubscription(store: EventStore, options: SubscribeOptions, onEvent?: SubscriptionHandlers['onEvent']) {
  const seen: RecordedEvent[] = [];
  const caughtUp: { position: Position | undefined; deliveredSoFar: number }[] = [];
  const errors: Error[] = [];
  const subscription = store.subscribeToAll(options, {
    onEvent: async (event) => {
      seen.push(event);
      await onEvent?.(event);
    },
    onCaughtUp: (position) => caughtUp.push({ position, deliveredSoFar: seen.length }),
    onError: (error) => errors.push(error),
  });
  const waitUntilSeen = (id: string) => vi.waitFor(() => expect(idsOf(seen)).toContain(id), { timeout: 15_000, interval: 5 });
  const waitUntilCaughtUp = () => vi.waitFor(() => expect(caughtUp.length).toBeGreaterThan(0), { timeout: 15_000, interval: 5 });
  return { seen, caughtUp, errors, subscription, waitUntilSeen, waitUntilCaughtUp };
}

export function eventStoreContract(label: string, factory: () => Promise<StoreUnderTest>): void {
  describe(label, () => {
    let store: EventStore;
    let teardown: () => Promise<void>;
    let prefix: string;
    /** The store's head before the test wrote anything: global reads start there instead of scanning a shared log. */
    let headBefore: Position | undefined;

    beforeEach(async () => {
      const underTest = await factory();
      store = underTest.store;
      teardown = () => underTest.teardown();
      prefix = uniquePrefix();
      headBefore = await store.headPosition();
    });

    afterEach(async () => {
      await teardown();
    });

    const ours = () => ({ after: headBefore, filter: { streamPrefixes: [prefix] } });

    describe('append', () => {
      it('numbers the events of a new stream from revision 0 and records them as given', async () => {
        const stream = `${prefix}account`;
        const first = anEvent('Opened', { owner: 'Ada', amount: 1250 }, { correlationId: 'c-1' });
        const more = [anEvent('Credited', { amount: 5 }), anEvent('Debited', { amount: 3 })];

        const opened = await store.append(stream, [first], 'no-stream');
        const continued = await store.append(stream, more, 0n);

        expect(opened.nextRevision).toBe(0n);
        expect(continued.nextRevision).toBe(2n);
        const recorded = await collect(store.readStream(stream));
        expect(recorded.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
        expect(recorded.map(({ id, type, data, metadata }) => ({ id, type, data, metadata }))).toEqual([first, ...more]);
        expect(recorded.every((e) => e.stream === stream)).toBe(true);
        expect(comparePositions(recorded[0]!.position, opened.position)).toBe(0);
        expect(comparePositions(recorded[2]!.position, continued.position)).toBe(0);
        expectStrictlyIncreasing(recorded.map((e) => e.position));
      });

      it('writes several events atomically: contiguous revisions, or none of them', async () => {
        const stream = `${prefix}batch`;
        const batch = events(3);

        const result = await store.append(stream, batch, 'no-stream');
        await expectWrongRevision(store.append(stream, events(3), 'no-stream'), { stream, expected: 'no-stream', actual: 2n });

        const recorded = await collect(store.readStream(stream));
        expect(idsOf(recorded)).toEqual(idsOf(batch));
        expect(recorded.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
        expect(result.nextRevision).toBe(2n);
      });

      it('answers an empty append on an existing stream with its current state, still checking the revision', async () => {
        const stream = `${prefix}quiet`;
        const written = await store.append(stream, events(2), 'no-stream');

        const result = await store.append(stream, [], 1n);

        expect(result.nextRevision).toBe(1n);
        expect(comparePositions(result.position, written.position)).toBe(0);
        await expectWrongRevision(store.append(stream, [], 0n), { stream, expected: 0n, actual: 1n });
      });

      it('refuses an empty append on a stream that does not exist, and creates nothing', async () => {
        const stream = `${prefix}nothing`;

        await expect(store.append(stream, [], 'any')).rejects.toThrow();

        expect(await collect(store.readStream(stream))).toEqual([]);
      });

      it('reports the head position as the last write, or later', async () => {
        const result = await store.append(`${prefix}head`, events(2), 'any');

        const head = await store.headPosition();

        expect(head).toBeDefined();
        expect(comparePositions(head!, result.position)).toBeGreaterThanOrEqual(0);
        if (headBefore !== undefined) expect(comparePositions(head!, headBefore)).toBe(1);
      });
    });

    describe('expected revision', () => {
      it("'any' appends to a missing stream and to an existing one", async () => {
        const stream = `${prefix}any`;
        expect((await store.append(stream, events(1), 'any')).nextRevision).toBe(0n);
        expect((await store.append(stream, events(2), 'any')).nextRevision).toBe(2n);
      });

      it("'no-stream' appends to a missing stream and rejects an existing one, naming its revision", async () => {
        const stream = `${prefix}fresh`;
        await store.append(stream, events(2), 'no-stream');

        await expectWrongRevision(store.append(stream, events(1), 'no-stream'), { stream, expected: 'no-stream', actual: 1n });
      });

      it("'stream-exists' rejects a missing stream and appends to an existing one", async () => {
        const stream = `${prefix}exists`;

        await expectWrongRevision(store.append(stream, events(1), 'stream-exists'), {
          stream,
          expected: 'stream-exists',
          actual: 'no-stream',
        });
        await store.append(stream, events(1), 'no-stream');
        expect((await store.append(stream, events(1), 'stream-exists')).nextRevision).toBe(1n);
      });

      it('an exact revision appends when it is the last revision', async () => {
        const stream = `${prefix}exact`;
        await store.append(stream, events(3), 'no-stream');

        expect((await store.append(stream, events(1), 2n)).nextRevision).toBe(3n);
        expect((await store.append(stream, events(1), 3n)).nextRevision).toBe(4n);
      });

      it('an exact revision ahead of the stream is rejected with the actual revision', async () => {
        const stream = `${prefix}ahead`;
        await store.append(stream, events(2), 'no-stream');

        await expectWrongRevision(store.append(stream, events(1), 5n), { stream, expected: 5n, actual: 1n });
      });

      it('a stale exact revision is rejected, and the rejected events are not written', async () => {
        const stream = `${prefix}stale`;
        const kept = events(2);
        await store.append(stream, kept, 'no-stream');

        await expectWrongRevision(store.append(stream, events(2), 0n), { stream, expected: 0n, actual: 1n });

        expect(idsOf(await collect(store.readStream(stream)))).toEqual(idsOf(kept));
      });

      it('an exact revision on a missing stream is rejected as no-stream', async () => {
        const stream = `${prefix}missing`;

        await expectWrongRevision(store.append(stream, events(1), 0n), { stream, expected: 0n, actual: 'no-stream' });

        expect(await collect(store.readStream(stream))).toEqual([]);
      });

      it('lets exactly one of 25 concurrent appenders win each revision', async () => {
        const stream = `${prefix}contended`;
        await store.append(stream, events(1), 'no-stream');
        const winners: string[] = [];
        const winningPositions: Position[] = [];

        for (let revision = 0n; revision < 3n; revision += 1n) {
          const attempts = events(25, 'Attempted');
          const outcomes = await Promise.allSettled(attempts.map((event) => store.append(stream, [event], revision)));

          const fulfilled = outcomes.flatMap((outcome, index) => (outcome.status === 'fulfilled' ? [{ outcome, index }] : []));
          expect(fulfilled).toHaveLength(1);
          const [{ outcome, index }] = fulfilled as [
            { outcome: PromiseFulfilledResult<{ nextRevision: bigint; position: Position }>; index: number },
          ];
          expect(outcome.value.nextRevision).toBe(revision + 1n);
          winners.push(attempts[index]!.id);
          winningPositions.push(outcome.value.position);
          for (const rejected of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
            expect(rejected.reason).toBeInstanceOf(WrongExpectedRevisionError);
            expect((rejected.reason as WrongExpectedRevisionError).actual).toBe(revision + 1n);
          }
        }

        const recorded = await collect(store.readStream(stream));
        expect(recorded.map((e) => e.revision)).toEqual([0n, 1n, 2n, 3n]);
        expect(idsOf(recorded.slice(1))).toEqual(winners);
        expectStrictlyIncreasing([...recorded.map((e) => e.position)]);
        expectStrictlyIncreasing(winningPositions);
      });
    });

    describe('readStream', () => {
      it('reads in revision order, from a revision, up to a limit', async () => {
        const stream = `${prefix}five`;
        const written = events(5);
        await store.append(stream, written.slice(0, 2), 'no-stream');
        await store.append(`${prefix}other`, events(2), 'no-stream');
        await store.append(stream, written.slice(2), 1n);
        const revisions = async (options?: { fromRevision?: bigint; limit?: number }) =>
          (await collect(store.readStream(stream, options))).map((e) => e.revision);

        expect(idsOf(await collect(store.readStream(stream)))).toEqual(idsOf(written));
        expect(await revisions({ fromRevision: 2n })).toEqual([2n, 3n, 4n]);
        expect(await revisions({ limit: 2 })).toEqual([0n, 1n]);
        expect(await revisions({ fromRevision: 1n, limit: 3 })).toEqual([1n, 2n, 3n]);
        expect(await revisions({ fromRevision: 5n })).toEqual([]);
        expect(await revisions({ limit: 0 })).toEqual([]);
      });

      it('reads a stream that does not exist as empty', async () => {
        expect(await collect(store.readStream(`${prefix}never-written`))).toEqual([]);
      });

      it('reads past page boundaries without gaps or repeats', async () => {
        const stream = `${prefix}long`;
        const written = events(2500);
        for (let start = 0; start < written.length; start += 500) {
          await store.append(stream, written.slice(start, start + 500), start === 0 ? 'no-stream' : BigInt(start - 1));
        }

        const all = await collect(store.readStream(stream));
        const fromMiddle = await collect(store.readStream(stream, { fromRevision: 999n, limit: 1002 }));
        const globally = await collect(store.readAll({ ...ours(), limit: 2001 }));

        expect(idsOf(all)).toEqual(idsOf(written));
        expect(fromMiddle.map((e) => e.revision)).toEqual(Array.from({ length: 1002 }, (_, n) => BigInt(999 + n)));
        expect(idsOf(globally)).toEqual(idsOf(written.slice(0, 2001)));
      });
    });

    describe('readAll', () => {
      it('reads every stream in global order, after a position, up to a limit', async () => {
        const order: { stream: string; event: EventToAppend }[] = [];
        for (const name of ['a', 'b', 'a', 'c', 'b', 'c']) {
          const event = anEvent();
          order.push({ stream: `${prefix}${name}`, event });
          await store.append(`${prefix}${name}`, [event], 'any');
        }
        const expectedIds = order.map(({ event }) => event.id);

        const all = await collect(store.readAll(ours()));
        const unfiltered = (await collect(store.readAll({ after: headBefore }))).filter((e) => e.stream.startsWith(prefix));
        const fromStart = await collect(store.readAll({ filter: { streamPrefixes: [prefix] } }));
        const afterSecond = await collect(store.readAll({ ...ours(), after: all[1]!.position }));
        const firstTwo = await collect(store.readAll({ ...ours(), limit: 2 }));

        expect(idsOf(all)).toEqual(expectedIds);
        expect(all.map((e) => e.stream)).toEqual(order.map(({ stream }) => stream));
        expectStrictlyIncreasing(all.map((e) => e.position));
        expect(idsOf(unfiltered)).toEqual(expectedIds);
        expect(idsOf(fromStart)).toEqual(expectedIds);
        expect(idsOf(afterSecond)).toEqual(expectedIds.slice(2));
        expect(idsOf(firstTwo)).toEqual(expectedIds.slice(0, 2));
      });

      it('stops where the reader stops, and ends on a limit that falls on a page boundary or past the end', async () => {
        const stream = `${prefix}paged`;
        const written = events(250);
        await store.append(stream, written, 'no-stream');

        const firstFive: RecordedEvent[] = [];
        for await (const event of store.readAll(ours())) {
          firstFive.push(event);
          if (firstFive.length === 5) break;
        }
        const iterator = store.readAll(ours())[Symbol.asyncIterator]();
        const first = await iterator.next();
        await iterator.return?.();
        const afterReturn = await iterator.next();

        expect(idsOf(firstFive)).toEqual(idsOf(written.slice(0, 5)));
        expect(first.done ? undefined : first.value.id).toBe(written[0]!.id);
        expect(afterReturn.done).toBe(true);
        expect(idsOf(await collect(store.readAll({ ...ours(), limit: 200 })))).toEqual(idsOf(written.slice(0, 200)));
        expect(idsOf(await collect(store.readAll({ ...ours(), limit: 1000 })))).toEqual(idsOf(written));
        expect(await collect(store.readAll({ ...ours(), limit: 0 }))).toEqual([]);
      });

      it('treats a stream prefix literally: _ and % are not wildcards, and case matters', async () => {
        const names = ['a_1', 'ab1', 'a%1', 'aX%', 'A_1', 'ünï-流'];
        for (const name of names) await store.append(`${prefix}${name}`, events(1), 'no-stream');
        const streamsMatching = async (...prefixes: string[]) =>
          (await collect(store.readAll({ after: headBefore, filter: { streamPrefixes: prefixes.map((p) => `${prefix}${p}`) } }))).map((e) =>
            e.stream.slice(prefix.length),
          );

        expect(await streamsMatching('a_')).toEqual(['a_1']);
        expect(await streamsMatching('a%')).toEqual(['a%1']);
        expect(await streamsMatching('a')).toEqual(['a_1', 'ab1', 'a%1', 'aX%']);
        expect(await streamsMatching('a_', 'A')).toEqual(['a_1', 'A_1']);
        expect(await streamsMatching('ün')).toEqual(['ünï-流']);
        expect(await streamsMatching('b')).toEqual([]);
      });

      it('filters by event type, alone or with stream prefixes', async () => {
        const wanted = `${prefix}Wanted`;
        const matching = [anEvent(wanted), anEvent(wanted)];
        await store.append(`${prefix}x`, [matching[0]!, anEvent(`${prefix}Other`)], 'any');
        await store.append(`${prefix}y`, [anEvent(`${prefix}Other`), matching[1]!], 'any');
        await store.append(`${prefix}z`, [anEvent(wanted)], 'any');

        const byType = await collect(store.readAll({ after: headBefore, filter: { eventTypes: [wanted] } }));
        const byTypeAndPrefix = await collect(
          store.readAll({ after: headBefore, filter: { eventTypes: [wanted], streamPrefixes: [`${prefix}x`, `${prefix}y`] } }),
        );

        expect(byType.map((e) => e.stream)).toEqual([`${prefix}x`, `${prefix}y`, `${prefix}z`]);
        expect(idsOf(byTypeAndPrefix)).toEqual(idsOf(matching));
      });

      it('leaves out system events ($-prefixed types) unless a type filter names them', async () => {
        const system = anEvent(`$${prefix}settings`);
        const user = anEvent('Noted');
        await store.append(`${prefix}sys`, [system, user], 'no-stream');

        const unfiltered = (await collect(store.readAll({ after: headBefore }))).filter((e) => e.stream.startsWith(prefix));
        const named = await collect(store.readAll({ after: headBefore, filter: { eventTypes: [system.type] } }));

        expect(idsOf(unfiltered)).toEqual([user.id]);
        expect(idsOf(named)).toEqual([system.id]);
      });
    });

    describe('payloads', () => {
      it('round-trips a payload of about 1 MB byte for byte', async () => {
        const chunk = Array.from({ length: 1000 }, (_, n) => String.fromCharCode(32 + ((n * 7919) % 95))).join('');
        const big = anEvent('Large', { blob: chunk.repeat(1000), nested: { list: Array.from({ length: 100 }, (_, n) => n * 1.5) } });
        const stream = `${prefix}large`;

        await store.append(stream, [big], 'no-stream');

        const [fromStream] = await collect(store.readStream(stream));
        const [fromAll] = await collect(store.readAll(ours()));
        for (const read of [fromStream!, fromAll!]) {
          expect(Buffer.from(JSON.stringify(read.data)).equals(Buffer.from(JSON.stringify(big.data)))).toBe(true);
          expect(read.data).toEqual(big.data);
        }
        expect(JSON.stringify(big.data).length).toBeGreaterThan(1_000_000);
      });

      it('round-trips unicode in data, metadata and stream names unchanged (no normalisation)', async () => {
        const text = {
          emoji: '👩‍👩‍👧‍👦 👍🏽 🇪🇺 🏳️‍🌈',
          rtl: 'שלום עולם \u200F مرحبا بالعالم',
          currency: '£€¥₹ 1 234,56 €',
          composed: 'é',
          decomposed: 'e\u0301',
          astral: '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝄞',
          mixed: 'Zürich – 東京 – Москва',
          controls: 'tab\tnewline\nquote" backslash\\',
        };
        const event = anEvent('Multilingual', { ...text, 'clé €': '値' }, { 'auteur·rice': 'Zoë', note: text.rtl });
        const stream = `${prefix}ünïcødé-流`;

        await store.append(stream, [event], 'no-stream');

        const [read] = await collect(store.readStream(stream));
        expect(read!.stream).toBe(stream);
        expect(Buffer.from(JSON.stringify(read!.data)).equals(Buffer.from(JSON.stringify(event.data)))).toBe(true);
        expect(Buffer.from(JSON.stringify(read!.metadata)).equals(Buffer.from(JSON.stringify(event.metadata)))).toBe(true);
        expect(read!.data.composed).not.toBe(read!.data.decomposed);
      });

      it('says metadata may hold a key whenever it does, however the key is written, and not for a key nothing names', async () => {
        const keys = ['idempotencyKey', 'quote"d', 'back\\slash', 'clé €', '👍'];
        const metadata = Object.fromEntries(keys.map((key, n) => [key, n]));
        await store.append(`${prefix}keys`, [anEvent('Keyed', {}, metadata), anEvent('Plain', {}, { actor: 'someone' })], 'no-stream');

        const read = [...(await collect(store.readStream(`${prefix}keys`))), ...(await collect(store.readAll(ours())))];
        expect(read.map((event) => event.type)).toEqual(['Keyed', 'Plain', 'Keyed', 'Plain']);
        for (const event of read.filter((e) => e.type === 'Keyed')) {
          for (const key of keys) expect(metadataMayHold(event, key), key).toBe(true);
          expect(event.metadata).toEqual(metadata);
        }
        for (const event of read.filter((e) => e.type === 'Plain')) {
          expect(metadataMayHold(event, 'idempotencyKey')).toBe(false);
          expect(metadataMayHold(event, 'missing')).toBe(false);
          expect(event.metadata).toEqual({ actor: 'someone' });
        }
      });
    });

    describe('recordedHashOf', () => {
      it('gives metadata.hash as recorded, whether hash is written last (as the ledger does), elsewhere, nested, odd or absent', async () => {
        const hex = 'ab'.repeat(32);
        const metadatas: Record<string, unknown>[] = [
          { actor: 'a', prevHash: '0'.repeat(64), hash: hex },
          { hash: hex, actor: 'a' },
          { actor: 'a', nested: { hash: hex } },
          { actor: 'a', hash: 'AB\\"}' },
          { actor: 'a', hash: 42 },
          { actor: 'a', note: '"hash":"' + hex + '"}' },
          {},
        ];
        await store.append(
          `${prefix}hashes`,
          metadatas.map((metadata) => anEvent('Hashed', {}, metadata)),
          'no-stream',
        );
        const read = [...(await collect(store.readStream(`${prefix}hashes`))), ...(await collect(store.readAll(ours())))];
        expect(read.map((event) => recordedHashOf(event))).toEqual([...metadatas, ...metadatas].map((metadata) => metadata.hash));
      });
    });

    describe('recordedAtOf', () => {
      it('gives metadata.recordedAt as recorded, whether the metadata is flat (as the ledger writes it), nested, odd or without it', async () => {
        const at = '2026-01-01T00:00:26.000Z';
        const metadatas: Record<string, unknown>[] = [
          { actor: 'a', recordedAt: at, hash: 'ab'.repeat(32) },
          { recordedAt: at },
          { actor: 'a', nested: { recordedAt: 'inner' }, recordedAt: at },
          { actor: 'a', nested: { recordedAt: 'inner' } },
          { actor: 'a', recordedAt: 'a "quoted" time' },
          { actor: 'a', recordedAt: 5 },
          { actor: 'a', recordedAt: null },
          { actor: 'a', note: '"recordedAt":"not this"', recordedAt: at },
          { actor: 'a', tags: ['x'], recordedAt: at },
          { actor: 'a' },
        ];
        await store.append(
          `${prefix}times`,
          metadatas.map((metadata) => anEvent('Timed', {}, metadata)),
          'no-stream',
        );
        const read = [...(await collect(store.readStream(`${prefix}times`))), ...(await collect(store.readAll(ours())))];
        expect(read.map((event) => recordedAtOf(event))).toEqual([...metadatas, ...metadatas].map((metadata) => metadata.recordedAt));
      });
    });

    describe('subscribeToAll', () => {
      it('catches up on what the store holds, then delivers new events live, in order, exactly once', async () => {
        const before = [anEvent(), anEvent(), anEvent()];
        await store.append(`${prefix}a`, [before[0]!], 'any');
        const lastBefore = await store.append(`${prefix}b`, before.slice(1), 'any');
        const recorder = recordSubscription(store, ours());

        await recorder.waitUntilCaughtUp();
        const live = [anEvent(), anEvent(), anEvent(), anEvent()];
        await store.append(`${prefix}a`, [live[0]!], 'any');
        await store.append(`${prefix}c`, live.slice(1, 3), 'any');
        await store.append(`${prefix}b`, [live[3]!], 'any');
        const sentinel = anEvent('Sentinel');
        await store.append(`${prefix}end`, [sentinel], 'any');
        await recorder.waitUntilSeen(sentinel.id);
        await recorder.subscription.close();

        expect(idsOf(recorder.seen)).toEqual(idsOf([...before, ...live, sentinel]));
        expectStrictlyIncreasing(recorder.seen.map((e) => e.position));
        expect(recorder.caughtUp[0]!.deliveredSoFar).toBe(before.length);
        const caughtUpAt = recorder.caughtUp[0]!.position;
        if (caughtUpAt !== undefined) expect(comparePositions(caughtUpAt, lastBefore.position)).toBeGreaterThanOrEqual(0);
        expect(recorder.errors).toEqual([]);
      });

      it('applies its filter to caught-up and live events alike', async () => {
        const wanted = `${prefix}Wanted`;
        await store.append(`${prefix}in`, [anEvent(wanted), anEvent('Unwanted')], 'any');
        await store.append(`${prefix}out`, [anEvent(wanted)], 'any');
        const recorder = recordSubscription(store, {
          after: headBefore,
          filter: { streamPrefixes: [`${prefix}in`], eventTypes: [wanted] },
        });

        await recorder.waitUntilCaughtUp();
        await store.append(`${prefix}out`, [anEvent(wanted)], 'any');
        await store.append(`${prefix}in`, [anEvent('Unwanted'), anEvent(wanted)], 'any');
        const sentinel = anEvent(wanted);
        await store.append(`${prefix}in-last`, [sentinel], 'any');
        await recorder.waitUntilSeen(sentinel.id);
        await recorder.subscription.close();

        expect(recorder.seen.map((e) => [e.stream.slice(prefix.length), e.type === wanted])).toEqual([
          ['in', true],
          ['in', true],
          ['in-last', true],
        ]);
      });

      it('awaits an async handler before delivering the next event, never running two at once', async () => {
        let running = 0;
        let mostAtOnce = 0;
        const recorder = recordSubscription(store, ours(), async () => {
          running += 1;
          mostAtOnce = Math.max(mostAtOnce, running);
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
          running -= 1;
        });
        await recorder.waitUntilCaughtUp();

        const written = events(30);
        await Promise.all(written.map((event, n) => store.append(`${prefix}s${n % 4}`, [event], 'any')));
        const inGlobalOrder = await collect(store.readAll(ours()));
        await recorder.waitUntilSeen(inGlobalOrder.at(-1)!.id);
        await recorder.subscription.close();

        expect(idsOf(recorder.seen)).toEqual(idsOf(inGlobalOrder));
        expect(new Set(idsOf(recorder.seen)).size).toBe(written.length);
        expect(mostAtOnce).toBe(1);
      });

      it('switches from catch-up to live without a gap or a repeat while writers are busy', async () => {
        await store.append(`${prefix}backlog`, events(1200), 'no-stream');
        const recorder = recordSubscription(store, ours(), () => new Promise((resolve) => setImmediate(resolve)));
        // Writes before, during and after the switch to live, slower than the subscription reads so that it does catch up.
        let writesAfterCaughtUp = 0;
        for (let n = 0; writesAfterCaughtUp < 50 && n < 5000; n += 1) {
          await store.append(`${prefix}w${n % 5}`, [anEvent('Busy', { n })], 'any');
          await new Promise((resolve) => setTimeout(resolve, 1));
          if (recorder.caughtUp.length > 0) writesAfterCaughtUp += 1;
        }
        expect(writesAfterCaughtUp).toBe(50);

        const sentinel = anEvent('Sentinel');
        await store.append(`${prefix}end`, [sentinel], 'any');
        await recorder.waitUntilSeen(sentinel.id);
        await recorder.subscription.close();

        const stored = await collect(store.readAll(ours()));
        expect(stored.length).toBeGreaterThan(1250);
        expect(idsOf(recorder.seen)).toEqual(idsOf(stored));
      });

      it('resumes after a checkpoint with nothing missed and nothing repeated', async () => {
        const first = events(10);
        for (const event of first) await store.append(`${prefix}r`, [event], 'any');
        const before = recordSubscription(store, ours());
        await before.waitUntilSeen(first[3]!.id);
        const checkpoint = before.seen[3]!.position;
        await before.subscription.close();

        const later = events(5);
        await store.append(`${prefix}r`, later, 'any');
        const resumed = recordSubscription(store, { ...ours(), after: checkpoint });
        await resumed.waitUntilCaughtUp();
        const sentinel = anEvent('Sentinel');
        await store.append(`${prefix}r`, [sentinel], 'any');
        await resumed.waitUntilSeen(sentinel.id);
        await resumed.subscription.close();

        expect(idsOf(resumed.seen)).toEqual(idsOf([...first.slice(4), ...later, sentinel]));
      });

      it('delivers nothing more once closed', async () => {
        const closed = recordSubscription(store, ours());
        const open = recordSubscription(store, ours());
        await closed.waitUntilCaughtUp();
        await open.waitUntilCaughtUp();

        await closed.subscription.close();
        const after = anEvent();
        await store.append(`${prefix}late`, [after], 'any');
        await open.waitUntilSeen(after.id);
        await new Promise((resolve) => setTimeout(resolve, 50));
        await open.subscription.close();

        expect(closed.seen).toEqual([]);
        expect(idsOf(open.seen)).toEqual([after.id]);
      });

      it('ends with onError when a handler fails, delivering nothing after the failed event', async () => {
        const failing = anEvent('Poison');
        const recorder = recordSubscription(store, ours(), (event) => {
          if (event.id === failing.id) throw new Error('handler failed');
        });
        const witness = recordSubscription(store, ours());
        await recorder.waitUntilCaughtUp();

        await store.append(`${prefix}p`, [failing], 'any');
        const later = anEvent();
        await store.append(`${prefix}p`, [later], 'any');
        await witness.waitUntilSeen(later.id);
        await vi.waitFor(() => expect(recorder.errors).toHaveLength(1));
        await witness.subscription.close();
        await recorder.subscription.close();

        expect(recorder.errors[0]!.message).toContain('handler failed');
        expect(idsOf(recorder.seen)).toEqual([failing.id]);
      });
    });
  });
}
