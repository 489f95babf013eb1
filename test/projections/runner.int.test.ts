// The projection runner over the embedded store: catch-up, then live events, readiness, waiting for a position.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import { programmesProjection } from '../../src/projections/models/programmes.js';
import type { Projection } from '../../src/projections/runtime/projection.js';
import { ProjectionRunner } from '../../src/projections/runtime/runner.js';
import { totalsProjection } from '../../src/projections/models/totals/projection.js';
import { queryTotals } from '../../src/projections/models/totals/query.js';
import { openEmbeddedStore, type EmbeddedEventStore } from '../../src/store/embedded.js';
import type { Position, RecordedEvent } from '../../src/store/port.js';
import { positionOf } from '../../src/store/position.js';
import { theThirtyMillionFields } from '../support/scenarios.js';
import { appendSyntheticLedger } from '../support/syntheticLedger.js';
import { rebuildProjections } from '../../src/audit/replay.js';
import { PROJECTIONS as ALL_PROJECTIONS } from '../../src/projections/runtime/all.js';
import { digestOf } from '../../src/projections/storage/digest.js';
import { EventLog, toAppend } from './events.js';

const logger = pino({ level: 'silent' });
const PROJECTIONS = [programmesProjection, totalsProjection] as Projection<unknown>[];

/** The £30m as its event holds it. */
const supplyChains = theThirtyMillionFields();

function freshStore(): EmbeddedEventStore {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-runner-'));
  const store = openEmbeddedStore({ dataDir });
  onTestFinished(async () => {
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
  return store;
}

function runnerOver(store: EmbeddedEventStore): ProjectionRunner {
  const runner = new ProjectionRunner(store, PROJECTIONS, logger);
  onTestFinished(() => runner.stop());
  return runner;
}

/** Appends events made by the factory to the store, each to its own stream, in order; returns the last position. */
async function appendAll(store: EmbeddedEventStore, events: readonly RecordedEvent[]): Promise<Position> {
  let last: Position | undefined;
  for (const event of events) last = (await store.append(event.stream, [toAppend(event)], 'any')).position;
  if (last === undefined) throw new Error('nothing to append');
  return last;
}

function grandTotal(runner: ProjectionRunner) {
  return queryTotals(runner.stateOf(totalsProjection), { groupBy: [], filter: {} }).total;
}

/** A store holding the programme and the £30m announcement, the log that made them, and the store's head. */
async function storeWithOneAnnouncement(): Promise<{ store: EmbeddedEventStore; log: EventLog; head: Position }> {
  const store = freshStore();
  const log = new EventLog();
  log.record({
    type: 'ProgrammeRegistered',
    data: { code: 'oic-supply-chains', name: 'OIC', description: '', registeredAt: '2025-03-31T09:00:00Z' },
  });
  log.announced('a-30m', supplyChains);
  return { store, log, head: await appendAll(store, log.events) };
}

describe('ProjectionRunner', () => {
  it('catches up with what the store holds, then follows live appends', async () => {
    const { store, log, head } = await storeWithOneAnnouncement();

    const runner = runnerOver(store);
    expect(runner.ready).toBe(false);
    expect(runner.position).toBeUndefined();
    const started = runner.start();
    expect(runner.ready).toBe(false);
    await started;
    expect(runner.ready).toBe(true);
    expect(runner.position).toEqual(head);
    expect([...runner.stateOf(programmesProjection).keys()]).toEqual(['oic-supply-chains']);
    expect(grandTotal(runner)).toEqual({ count: 1, amounts: [{ currency: 'GBP', value: '30000000.00' }] });

    const live = await appendAll(store, [log.announced('b-3m', { ...supplyChains, amount: { currency: 'GBP', minor: 300_000_000 } })]);
    expect(await runner.waitFor(live, 1_000)).toBe(true);
    expect(runner.position).toEqual(live);
    expect(grandTotal(runner)).toEqual({ count: 2, amounts: [{ currency: 'GBP', value: '33000000.00' }] });
    expect(runner.ready).toBe(true);
  });

  it('holds every state still while a sliced read walks it, then applies what arrived, in order', async () => {
    const { store, log, head } = await storeWithOneAnnouncement();
    const runner = runnerOver(store);
    await runner.start();

    const release = await runner.hold();
    const advanced: Position[] = [];
    runner.onAdvance((position) => advanced.push(position));
    const first = await appendAll(store, [log.announced('b-3m', { ...supplyChains, amount: { currency: 'GBP', minor: 300_000_000 } })]);
    const second = await appendAll(store, [log.announced('c-1m', { ...supplyChains, amount: { currency: 'GBP', minor: 100_000_000 } })]);
    expect(await runner.waitFor(second, 300)).toBe(false);
    expect(runner.heldEvents).toBe(2);
    expect(runner.position).toEqual(head);
    expect(grandTotal(runner)).toEqual({ count: 1, amounts: [{ currency: 'GBP', value: '30000000.00' }] });
    // A hold asked for now waits until the held events are applied: heavy reads cannot keep the projections behind.
    let laterHeld = false;
    const later = runner.hold().then((releaseLater) => {
      laterHeld = true;
      return releaseLater;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(laterHeld).toBe(false);

    release();
    release(); // a second call changes nothing
    expect(advanced).toEqual([first, second]);
    expect(runner.position).toEqual(second);
    expect(grandTotal(runner)).toEqual({ count: 3, amounts: [{ currency: 'GBP', value: '34000000.00' }] });
    (await later)();
    expect(laterHeld).toBe(true);
  });

  it('is ready only once a catch-up over several pages has finished', async () => {
    const store = freshStore();
    const log = new EventLog();
    for (let day = 0; day < 2_500; day += 1) {
      const effectiveOn = new Date(Date.UTC(2015, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
      log.rate('GBP', 'EUR', `1.${String(1000 + (day % 9000))}`, effectiveOn);
    }
    const { position: head } = await store.append('fx-GBP-EUR', log.events.map(toAppend), 'no-stream');

    const runner = runnerOver(store);
    const readyWhenAdvancing: boolean[] = [];
    runner.onAdvance(() => readyWhenAdvancing.push(runner.ready));
    await runner.start();
    expect(readyWhenAdvancing).toHaveLength(2_500);
    expect(readyWhenAdvancing.every((ready) => !ready)).toBe(true);
    expect(runner.ready).toBe(true);
    expect(runner.position).toEqual(head);
  });

  it('starts on an empty store, ready at once with no position', async () => {
    const runner = runnerOver(freshStore());
    await runner.start();
    expect(runner.ready).toBe(true);
    expect(runner.position).toBeUndefined();
    expect(grandTotal(runner)).toEqual({ count: 0, amounts: [] });
  });

  it('waitFor resolves true once the position is applied, false after its timeout', async () => {
    const store = freshStore();
    const log = new EventLog();
    const head = await appendAll(store, [log.announced('a-30m', supplyChains)]);
    const runner = runnerOver(store);
    await runner.start();

    expect(await runner.waitFor(head, 0)).toBe(true);
    expect(await runner.waitFor(positionOf(0n), 0)).toBe(true);

    const next = positionOf(head.commit + 1n);
    const waiting = runner.waitFor(next, 5_000);
    const farAhead = runner.waitFor(positionOf(head.commit + 100n), 50);
    const startedAt = performance.now();
    expect(await farAhead).toBe(false);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(40);

    const appended = await appendAll(store, [log.withdrawn('a-30m')]);
    expect(appended).toEqual(next);
    expect(await waiting).toBe(true);
    expect(grandTotal(runner)).toEqual({ count: 0, amounts: [] });
  });

  it('stop releases whoever is still waiting, with false', async () => {
    const runner = runnerOver(freshStore());
    await runner.start();
    const waiting = runner.waitFor(positionOf(1n), 60_000);
    await runner.stop();
    expect(await waiting).toBe(false);
  });

  it('onAdvance fires with each applied position until unsubscribed', async () => {
    const store = freshStore();
    const runner = runnerOver(store);
    await runner.start();
    const seen: Position[] = [];
    const unsubscribe = runner.onAdvance((position) => seen.push(position));
    const log = new EventLog();
    const first = await appendAll(store, [log.announced('a-30m', supplyChains)]);
    const second = await appendAll(store, [log.rate('GBP', 'EUR', '1.1876', '2025-03-28')]);
    await runner.waitFor(second, 1_000);
    expect(seen).toEqual([first, second]);
    unsubscribe();
    const third = await appendAll(store, [log.withdrawn('a-30m')]);
    await runner.waitFor(third, 1_000);
    expect(seen).toEqual([first, second]);
  });

  it('start fails, rather than hanging, when a projection cannot apply an event during catch-up', async () => {
    const store = freshStore();
    await store.append('announcement-a-30m', [toAppend({ type: 'FundingTeleported', data: { announcementId: 'a-30m' } })], 'no-stream');
    const runner = runnerOver(store);
    await expect(runner.start()).rejects.toThrow(/unknown type FundingTeleported/);
    expect(runner.ready).toBe(false);
  });

  it('a new runner resumes from nothing and reaches the same state', async () => {
    const store = freshStore();
    const log = new EventLog();
    log.announced('a-30m', supplyChains);
    log.rate('GBP', 'EUR', '1.1876', '2025-03-28');
    log.amended('a-30m', { country: 'GB' });
    await appendAll(store, log.events);
    const first = runnerOver(store);
    await first.start();
    const second = runnerOver(store);
    await second.start();
    const query = { groupBy: ['country' as const], currency: 'EUR' as const, filter: {} };
    expect(queryTotals(second.stateOf(totalsProjection), query)).toEqual(queryTotals(first.stateOf(totalsProjection), query));
    expect(queryTotals(second.stateOf(totalsProjection), query).total.converted).toEqual({ currency: 'EUR', value: '35628000.00' });
  });

  it('starting without a snapshot, folds the log read on another thread to the states of a one-thread rebuild, then follows it', async () => {
    const store = freshStore();
    await appendSyntheticLedger(store, 3000);
    const runner = new ProjectionRunner(store, ALL_PROJECTIONS, logger);
    onTestFinished(() => runner.stop());

    await runner.start();
    const rebuilt = await rebuildProjections(store.readAll(), ALL_PROJECTIONS);

    expect(runner.position).toEqual(rebuilt.lastPosition);
    expect(runner.journal.size).toBe(rebuilt.events);
    expect(digestOf(runner.states)).toBe(digestOf(rebuilt.states));
    const log = new EventLog();
    const later = await appendAll(store, [log.announced('a-30m', supplyChains)]);
    expect(await runner.waitFor(later, 5_000)).toBe(true);
    expect(runner.journal.size).toBe(rebuilt.events + 1);
  });
});
