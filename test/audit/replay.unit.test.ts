// Replay: every projection rebuilt from the first event into fresh state, measured, and compared through its digest.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rebuildProjections, replayReport } from '../../src/audit/replay.js';
import { PROJECTIONS } from '../../src/projections/runtime/all.js';
import { digestOf } from '../../src/projections/storage/digest.js';
import type { Position, RecordedEvent } from '../../src/store/port.js';
import { positionOf } from '../../src/store/position.js';
import { asAsync } from './chainedLog.js';
import { EventLog, replay } from '../projections/events.js';

const THIRTY = '3f0c9d52-7a4e-4b1a-9c2d-5e8f6a7b8c90';

function aLedger(): EventLog {
  const log = new EventLog();
  log.record({
    type: 'ProgrammeRegistered',
    data: { code: 'oic-supply-chains', name: 'Supply chains', description: 'd', registeredAt: '2025-04-01T09:00:00.000Z' },
  });
  log.announced(THIRTY, {
    funder: 'GB',
    programme: 'oic-supply-chains',
    title: '£30 million',
    announcedOn: '2025-03-31',
    amount: { currency: 'GBP', minor: 3_000_000_000 },
    tags: [],
  });
  log.rate('GBP', 'EUR', '1.1876', '2025-03-31');
  log.amended(THIRTY, { title: '£30 million, corrected' });
  log.withdrawn(THIRTY);
  return log;
}

function foldedStates(events: readonly RecordedEvent[]): Map<string, unknown> {
  return new Map(PROJECTIONS.map((projection) => [projection.name, replay(projection, events)]));
}

describe('rebuildProjections', () => {
  it('folds every event into fresh state for every projection, and counts them', async () => {
    const { events } = aLedger();

    const rebuilt = await rebuildProjections(asAsync(events), PROJECTIONS);

    expect(rebuilt.events).toBe(5);
    expect(rebuilt.lastPosition).toEqual(positionOf(5n));
    expect(rebuilt.seconds).toBeGreaterThanOrEqual(0);
    expect([...rebuilt.states.keys()]).toEqual(PROJECTIONS.map((projection) => projection.name));
    expect(digestOf(rebuilt.states)).toBe(digestOf(foldedStates(events)));
  });

  it('stops after `until`: the state right after that position', async () => {
    const { events } = aLedger();

    const rebuilt = await rebuildProjections(asAsync(events), PROJECTIONS, { until: positionOf(3n) });

    expect(rebuilt.events).toBe(3);
    expect(rebuilt.lastPosition).toEqual(positionOf(3n));
    expect(digestOf(rebuilt.states)).toBe(digestOf(foldedStates(events.slice(0, 3))));
    expect(digestOf(rebuilt.states)).not.toBe(digestOf(foldedStates(events)));
  });

  it('starts from fresh state each time: two rebuilds of one history agree', async () => {
    const { events } = aLedger();

    const first = await rebuildProjections(asAsync(events), PROJECTIONS);
    const second = await rebuildProjections(asAsync(events), PROJECTIONS);

    expect(digestOf(second.states)).toBe(digestOf(first.states));
  });

  it('reports progress every 10,000 events, with the position reached', async () => {
    const notes = Array.from({ length: 25_000 }, (_, index): RecordedEvent => ({
      id: randomUUID(),
      stream: 'note-1',
      revision: BigInt(index),
      position: positionOf(BigInt(index + 1)),
      type: 'Noted',
      data: {},
      metadata: {},
    }));
    const progress: [number, Position][] = [];

    const rebuilt = await rebuildProjections(asAsync(notes), PROJECTIONS, {
      onProgress: (count, position) => progress.push([count, position]),
    });

    expect(rebuilt.events).toBe(25_000);
    expect(progress).toEqual([
      [10_000, positionOf(10_000n)],
      [20_000, positionOf(20_000n)],
    ]);
  });
});

describe('replayReport', () => {
  it('matches when no digest is expected, or when the expected one is the digest of the rebuild', async () => {
    const rebuilt = await rebuildProjections(asAsync(aLedger().events), PROJECTIONS);
    const digest = digestOf(rebuilt.states);

    expect(replayReport(rebuilt, undefined)).toMatchObject({ match: true, events: 5, digest, expectedDigest: undefined, position: '5' });
    expect(replayReport(rebuilt, digest)).toMatchObject({ match: true, digest, expectedDigest: digest });
    expect(replayReport(rebuilt, '0'.repeat(64))).toMatchObject({ match: false, digest, expectedDigest: '0'.repeat(64) });
  });

  it('gives events per second from the measured time, and position 0 for an empty ledger', async () => {
    const measured = replayReport({ states: foldedStates([]), events: 3000, lastPosition: positionOf(3000n), seconds: 1.5 }, undefined);
    const empty = replayReport(await rebuildProjections(asAsync([]), PROJECTIONS), undefined);

    expect(measured).toMatchObject({ events: 3000, eventsPerSecond: 2000, seconds: 1.5, position: '3000' });
    expect(empty).toMatchObject({ match: true, events: 0, eventsPerSecond: 0, position: '0', digest: digestOf(foldedStates([])) });
  });
});
