// The history of the totals against a rebuild: every as-of answer it gives, at random positions, random queries and
// with bases, restarts and re-priced rates in between, is the answer of a fold from the first event to that position.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { TotalsHistory } from '../../src/projections/history/totalsHistory.js';
import { totalsProjection } from '../../src/projections/models/totals/projection.js';
import { queryTotals } from '../../src/projections/models/totals/query.js';
import { ScratchPool } from '../../src/runtime/scratch.js';
import { storedTotals } from '../../src/projections/models/totals/stored.js';
import type { TotalsState } from '../../src/projections/models/totals/state.js';
import type { RecordedEvent } from '../../src/store/port.js';
import { histories, queries, World } from './histories.js';
import { EventLog, replay } from './events.js';
import { anAnnouncementOf, committed, disbursed, restating } from './stageEvents.js';

const silent = pino({ level: 'silent' });
const directories: string[] = [];
afterAll(() => {
  for (const directory of directories) fs.rmSync(directory, { recursive: true, force: true });
});

function historyDirectory(): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'totals-history-'));
  directories.push(directory);
  return directory;
}

/** Folds events into a live state with a history recording beside it, as the service's runner does. */
function record(events: readonly RecordedEvent[], history: TotalsHistory, live: TotalsState): TotalsState {
  for (const event of events) {
    if (totalsProjection.canHandle(event)) totalsProjection.evolve(live, event);
    history.eventFolded(event, live);
  }
  return live;
}

/** A fresh live state whose history records from the first event. */
function recording(baseEvery: number): { history: TotalsHistory; live: TotalsState; directory: string } {
  const directory = historyDirectory();
  const history = TotalsHistory.open(directory, silent, baseEvery);
  const live = totalsProjection.initialState();
  history.attach(live);
  return { history, live, directory };
}

/** The answer as a client receives it: JSON text, so byte for byte. */
const text = (value: unknown): string => JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

function expectSameAsRebuild(
  history: TotalsHistory,
  live: TotalsState,
  events: readonly RecordedEvent[],
  at: number,
  query: Parameters<typeof queryTotals>[1],
) {
  const past = history.stateAt(at, live, reused);
  const rebuilt = replay(totalsProjection, events.slice(0, at));
  expect(text(queryTotals(past, query, { pool: reused }))).toBe(text(queryTotals(rebuilt, query)));
  past.release();
}

/**
 * Every array of every past state and query comes from this pool and goes back to it, whatever its size: each state
 * is then built in memory the states and queries before it left their figures in, so a column not fully overwritten
 * or zeroed gives a different answer.
 */
const reused = new ScratchPool(Number.MAX_SAFE_INTEGER, 0);

describe('the history of the totals (property)', () => {
  it('answers at any position as a rebuild to that position does, across bases and a restart from a snapshot', () => {
    fc.assert(
      fc.property(
        histories(70),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.tuple(fc.nat(), queries), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (actions, baseEvery, asks, restartAt) => {
          const world = new World();
          for (const action of actions) if (action.kind !== 'check') world.run(action);
          const events = world.log.events;
          const cut = restartAt % (events.length + 1);
          const first = recording(baseEvery);
          record(events.slice(0, cut), first.history, first.live);
          first.history.flush();
          first.history.close();
          // A restart: the snapshot's state at `cut`, and the history reopened and cut back to it.
          const history = TotalsHistory.open(first.directory, silent, baseEvery);
          const live = cut === 0 ? totalsProjection.initialState() : storedTotals.restore(structuredClone(storedTotals.store(first.live)));
          if (cut === 0 || !history.alignTo(cut, (events[cut - 1] as RecordedEvent).position)) history.reset();
          history.attach(live);
          record(events.slice(cut), history, live);
          expect(history.count).toBe(events.length);
          for (const [at, query] of asks) expectSameAsRebuild(history, live, events, at % (events.length + 1), query);
          history.close();
        },
      ),
      { numRuns: 120 },
    );
  });

  it('finds the moment a position or an instant names as a scan of the events does, whatever the sampling', () => {
    fc.assert(
      fc.property(
        histories(40),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.integer({ min: -1, max: 3 }), { minLength: 80, maxLength: 80 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: -1, max: 1 })), { minLength: 1, maxLength: 12 }),
        (actions, sampleEvery, steps, asks) => {
          const world = new World();
          for (const action of actions) if (action.kind !== 'check') world.run(action);
          // Recording times that mostly rise, sometimes repeat, and now and then go back a second.
          let time = Date.parse('2025-03-31T09:00:00.000Z');
          const events = world.log.events.map((event, index) => {
            time += (steps[index % steps.length] as number) * 1000;
            return { ...event, metadata: { ...event.metadata, recordedAt: new Date(time).toISOString() } };
          });
          const directory = historyDirectory();
          const history = TotalsHistory.open(directory, silent, 1_000_000, sampleEvery);
          history.attach(record(events, history, totalsProjection.initialState()));
          const scanTo = (stops: (event: RecordedEvent) => boolean): number => {
            const index = events.findIndex(stops);
            return index < 0 ? events.length : index;
          };
          for (const [pick, shift] of asks) {
            const event = events[pick % Math.max(events.length, 1)];
            if (event === undefined) {
              expect(history.resolve({ position: { commit: 5n, prepare: 5n } })).toEqual({ count: 0, position: undefined, open: true });
              continue;
            }
            const position = { commit: event.position.commit + BigInt(shift), prepare: event.position.prepare + BigInt(shift) };
            const byPosition = scanTo((e) => e.position.commit > position.commit);
            const instant = new Date(Date.parse(String(event.metadata.recordedAt)) + shift * 500).toISOString();
            const byTime = scanTo((e) => Date.parse(String(e.metadata.recordedAt)) > Date.parse(instant));
            for (const [moment, count] of [
              [{ position }, byPosition],
              [{ time: instant }, byTime],
            ] as const)
              expect(history.resolve(moment)).toEqual({
                count,
                position: count === 0 ? undefined : (events[count - 1] as RecordedEvent).position,
                open: count === events.length,
              });
          }
          history.close();
        },
      ),
      { numRuns: 150 },
    );
  });

  it('answers stages, restatements, commitments and disbursements as a rebuild does', () => {
    const log = new EventLog();
    const a = '11111111-0000-4000-8000-000000000000';
    const b = '22222222-0000-4000-8000-000000000000';
    log.announced(
      a,
      anAnnouncementOf(30_000_000_00, {
        allocations: [
          ['RS', 20_000_000_00],
          ['XK', 10_000_000_00],
        ],
      }),
    );
    log.rate('GBP', 'EUR', '1.1876', '2025-01-01');
    committed(log, a, 5_000_000_00, '2025-04-01');
    log.announced(b, anAnnouncementOf(12_000_000_00, { country: 'RS', restates: [restating(a, 10_000_000_00)] }));
    disbursed(log, a, 1_000_000_00, '2025-05-01', 'RS');
    log.rate('GBP', 'EUR', '1.2', '2025-04-01');
    log.withdrawn(b);
    const { history, live } = recording(3);
    record(log.events, history, live);
    for (let at = 0; at <= log.events.length; at += 1)
      for (const query of [
        { groupBy: ['stage', 'country'], filter: {}, currency: 'EUR' },
        { groupBy: ['programme'], filter: {}, basis: 'new' },
        { groupBy: [], filter: { stage: ['committed', 'disbursed'] }, currency: 'EUR' },
      ] as const)
        expectSameAsRebuild(history, live, log.events, at, { ...query, groupBy: [...query.groupBy] });
    history.close();
  });
});
