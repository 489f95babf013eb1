// The EventStoreDB adapter when the server goes away and comes back (the test-only stand-in, stopped and started again).
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openEventStoreDb } from '../../src/store/eventStoreDb.js';
import {
  StoreUnavailableError,
  type AppendResult,
  type EventStore,
  type EventToAppend,
  type Position,
  type RecordedEvent,
  type Subscription,
} from '../../src/store/port.js';
import { startStandIn, type StandIn } from '../support/esdbStandIn/server.js';
import { collect } from '../support/iterables.js';

function anEvent(n: number): EventToAppend {
  return { id: randomUUID(), type: 'Noted', data: { n }, metadata: {} };
}

/** Everything a subscription reported, in order, as one trace. */
function follow(store: EventStore, onEvent: () => Promise<void> | void = () => undefined) {
  const seen: RecordedEvent[] = [];
  const trace: string[] = [];
  const errors: Error[] = [];
  const caughtUpAt: (Position | undefined)[] = [];
  const subscription: Subscription = store.subscribeToAll(
    {},
    {
      onEvent: async (event) => {
        seen.push(event);
        trace.push('event');
        await onEvent();
      },
      onCaughtUp: (position) => {
        trace.push('caught-up');
        caughtUpAt.push(position);
      },
      onDisconnected: () => void trace.push('disconnected'),
      onError: (error) => void errors.push(error),
    },
  );
  const idsSeen = () => seen.map((event) => event.id);
  return { seen, trace, errors, caughtUpAt, subscription, idsSeen };
}

/** The trace with runs of events folded into one 'events' entry. */
function shape(trace: readonly string[]): string[] {
  return trace
    .map((entry) => (entry === 'event' ? 'events' : entry))
    .filter((entry, i, all) => entry !== 'events' || all[i - 1] !== 'events');
}

describe('EventStoreDB adapter when the stand-in server goes away and comes back', () => {
  let standIn: StandIn;
  let store: EventStore;

  beforeEach(async () => {
    standIn = await startStandIn();
    store = await openEventStoreDb({ connectionString: standIn.connectionString, reconnectBackoff: { firstMs: 20, maxMs: 200 } });
  });

  afterEach(async () => {
    await store.close();
    await standIn.close();
  });

  it('gives a live subscriber every event exactly once, in order: caught up, disconnected, caught up again', async () => {
    const stream = 'programme-faults';
    await store.append(stream, [anEvent(0), anEvent(1)], 'no-stream');
    const follower = follow(store);
    await vi.waitFor(() => expect(follower.trace).toContain('caught-up'));
    await store.append(stream, [anEvent(2)], 'any');
    await vi.waitFor(() => expect(follower.seen).toHaveLength(3));

    await standIn.stop();
    await vi.waitFor(() => expect(follower.trace).toContain('disconnected'));
    await standIn.start();
    await vi.waitFor(() => expect(follower.caughtUpAt).toHaveLength(2), { timeout: 5_000 });
    const after = await appendWhenBack(() => store.append(stream, [anEvent(3), anEvent(4)], 'any'));
    await vi.waitFor(() => expect(follower.seen).toHaveLength(5));
    await follower.subscription.close();

    const stored = await collect(store.readAll());
    const rebuilt = follow(store);
    await vi.waitFor(() => expect(rebuilt.trace).toContain('caught-up'));
    await rebuilt.subscription.close();
    expect(follower.idsSeen()).toEqual(stored.map((event) => event.id));
    expect(rebuilt.idsSeen()).toEqual(follower.idsSeen());
    expect(follower.seen.map((event) => event.data.n)).toEqual([0, 1, 2, 3, 4]);
    expect(shape(follower.trace)).toEqual(['events', 'caught-up', 'events', 'disconnected', 'caught-up', 'events']);
    expect(follower.caughtUpAt[1]).toEqual(follower.seen[2]!.position);
    expect(follower.seen.at(-1)!.position).toEqual(after.position);
    expect(follower.errors).toEqual([]);
  });

  it('resumes a catch-up cut short from the last event it delivered, repeating and skipping nothing', async () => {
    const written = Array.from({ length: 400 }, (_, n) => anEvent(n));
    for (let start = 0; start < written.length; start += 100) {
      await store.append(`programme-backlog-${start}`, written.slice(start, start + 100), 'no-stream');
    }
    const follower = follow(store, () => new Promise((resolve) => setTimeout(resolve, 1)));
    await vi.waitFor(() => expect(follower.seen.length).toBeGreaterThan(50));

    await standIn.stop();
    await vi.waitFor(() => expect(follower.trace).toContain('disconnected'));
    const seenWhileDown = follower.seen.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await standIn.start();
    await vi.waitFor(() => expect(follower.caughtUpAt).toHaveLength(1), { timeout: 15_000 });
    await follower.subscription.close();

    expect(seenWhileDown).toBeLessThan(written.length);
    expect(follower.idsSeen()).toEqual(written.map((event) => event.id));
    expect(shape(follower.trace)).toEqual(['events', 'disconnected', 'events', 'caught-up']);
    expect(follower.caughtUpAt[0]).toEqual(follower.seen.at(-1)!.position);
  });

  it('refuses a write while the server is down with StoreUnavailableError, leaving nothing half-written', async () => {
    const stream = 'announcement-while-down';
    await store.append(stream, [anEvent(0)], 'no-stream');
    const logSize = standIn.log.events.length;
    await standIn.stop();

    const started = performance.now();
    const refused = await store.append(stream, [anEvent(1), anEvent(2), anEvent(3)], 0n).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    await expect(collect(store.readAll())).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.headPosition()).rejects.toBeInstanceOf(StoreUnavailableError);
    await standIn.start();

    expect(refused).toBeInstanceOf(StoreUnavailableError);
    expect((refused as Error).message).toMatch(/^EventStoreDB at esdb:\/\/127\.0\.0\.1:\d+\?tls=false is unavailable: /);
    expect(elapsed).toBeLessThan(2_000);
    expect(standIn.log.events.length).toBe(logSize);
    expect((await appendWhenBack(() => store.append(stream, [anEvent(1)], 0n))).nextRevision).toBe(1n);
  });

  it('during a burst of writes, keeps every acknowledged one and fails the rest with StoreUnavailableError, all or nothing each', async () => {
    const attempts = Array.from({ length: 60 }, (_, n) => ({ stream: `fx-burst-${n}`, events: [anEvent(n), anEvent(n), anEvent(n)] }));
    let acknowledged = 0;
    const outcomes = attempts.map(async ({ stream, events }, n) => {
      await new Promise((resolve) => setTimeout(resolve, 2 * n));
      const result = await store.append(stream, events, 'no-stream');
      acknowledged += 1;
      return result;
    });
    await vi.waitFor(() => expect(acknowledged).toBeGreaterThanOrEqual(5), { interval: 1 });
    await standIn.stop();
    const settled = await Promise.allSettled(outcomes);
    await standIn.start();

    const failures = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    expect(failures.length).toBeGreaterThan(0);
    expect(settled.length - failures.length).toBeGreaterThan(0);
    for (const failure of failures) expect(failure).toBeInstanceOf(StoreUnavailableError);
    await appendWhenBack(() => store.append('fx-burst-probe', [anEvent(-1)], 'any'));
    for (const [n, outcome] of settled.entries()) {
      const stored = (await collect(store.readStream(attempts[n]!.stream))).map((event) => event.id);
      // A write cut off after the server committed it is in the store though its caller saw a failure, as with any remote store.
      if (outcome.status === 'fulfilled' || stored.length > 0) expect(stored).toEqual(attempts[n]!.events.map((event) => event.id));
    }
  });
});

/** The first write after a restart may still meet the old connection; a real caller retries (the HTTP API answers 503). */
async function appendWhenBack(write: () => Promise<AppendResult>): Promise<AppendResult> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof StoreUnavailableError) || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
