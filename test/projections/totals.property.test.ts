// Totals against a naive recomputation: random histories made by the real deciders, random queries, restarts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Projection } from '../../src/projections/runtime/projection.js';
import { ProjectionRunner } from '../../src/projections/runtime/runner.js';
import { totalsProjection } from '../../src/projections/models/totals/projection.js';
import { queryTotals, type TotalsAnswer, type TotalsQuery } from '../../src/projections/models/totals/query.js';
import type { TotalsState } from '../../src/projections/models/totals/state.js';
import { openEmbeddedStore } from '../../src/store/embedded.js';
import { replay, toAppend, type EventLog } from './events.js';
import { histories, queries, World, type Action } from './histories.js';
import { naiveTotals } from './naiveTotals.js';

function minorOf(value: string): bigint {
  return BigInt(value.replace('.', ''));
}

/** Rows add up to the total: amounts per currency, converted amounts, unconverted ids, and counts when not split by country. */
function expectRowsAddUp(answer: TotalsAnswer, query: TotalsQuery): void {
  const sums = new Map<string, bigint>();
  let converted = 0n;
  const unconverted = new Set<string>();
  let count = 0;
  for (const row of answer.rows) {
    for (const amount of row.amounts) sums.set(amount.currency, (sums.get(amount.currency) ?? 0n) + minorOf(amount.value));
    if (row.converted !== undefined) converted += minorOf(row.converted.value);
    for (const id of row.unconverted ?? []) unconverted.add(id);
    count += row.count;
  }
  expect(Object.fromEntries(sums)).toEqual(Object.fromEntries(answer.total.amounts.map((a) => [a.currency, minorOf(a.value)])));
  if (answer.total.converted !== undefined) expect(converted).toBe(minorOf(answer.total.converted.value));
  expect([...unconverted].sort()).toEqual(answer.total.unconverted ?? []);
  if (!query.groupBy.includes('country')) expect(count).toBe(answer.total.count);
}

/** Key spaces that send every query through the map of numeric keys, then through the map of text keys. */
const KEY_PATHS = [
  { dense: 0, exact: Number.MAX_SAFE_INTEGER },
  { dense: 0, exact: 0 },
] as const;

/** Runs a history through the deciders, folding each event into a live state and checking it at every `check`. */
function play(history: readonly Action[]): { log: EventLog; live: TotalsState } {
  const world = new World();
  let live = totalsProjection.initialState();
  for (const action of history) {
    if (action.kind === 'check') {
      const expected = naiveTotals(world.log.events, action.query);
      expect(queryTotals(live, action.query)).toEqual(expected);
      // The same answer however a group is found from its key: an array, a map of numbers, a map of text.
      for (const keySpaces of KEY_PATHS) expect(queryTotals(live, action.query, { keySpaces })).toEqual(expected);
      continue;
    }
    const before = world.log.events.length;
    world.run(action);
    live = replay(totalsProjection, world.log.events.slice(before), live);
  }
  return { log: world.log, live };
}

describe('totals (property)', () => {
  it('answer every query as the naive recomputation does, rows add up, and a restart gives the same answers', () => {
    fc.assert(
      fc.property(histories(80), fc.array(queries, { minLength: 1, maxLength: 6 }), (history, finalQueries) => {
        const { log, live } = play(history);
        const restarted = replay(totalsProjection, log.events);
        for (const query of finalQueries) {
          const answer = queryTotals(live, query);
          expect(answer).toEqual(naiveTotals(log.events, query));
          expectRowsAddUp(answer, query);
          expect(queryTotals(restarted, query)).toEqual(answer);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('the deciders produce interesting histories (sanity check of the generators)', () => {
    const kinds = new Map<string, number>();
    fc.assert(
      fc.property(histories(80), (history) => {
        for (const event of play(history.filter((action) => action.kind !== 'check')).log.events) {
          kinds.set(event.type, (kinds.get(event.type) ?? 0) + 1);
        }
      }),
      { numRuns: 100 },
    );
    for (const type of ['ProgrammeRegistered', 'FundingAnnounced', 'FundingAmended', 'FundingWithdrawn', 'ExchangeRateRecorded']) {
      expect(kinds.get(type) ?? 0, type).toBeGreaterThan(50);
    }
  });

  it('through the embedded store: a runner, then a new runner after reopening, give the same answers', async () => {
    const logger = pino({ level: 'silent' });
    const projections = [totalsProjection] as Projection<unknown>[];
    await fc.assert(
      fc.asyncProperty(histories(25), fc.array(queries, { minLength: 1, maxLength: 4 }), async (history, finalQueries) => {
        const { log } = play(history.filter((action) => action.kind !== 'check'));
        const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-totals-'));
        try {
          const answersFrom = async (): Promise<TotalsAnswer[]> => {
            const store = openEmbeddedStore({ dataDir });
            const runner = new ProjectionRunner(store, projections, logger);
            try {
              await runner.start();
              expect(runner.position).toEqual(await store.headPosition());
              return finalQueries.map((query) => queryTotals(runner.stateOf(totalsProjection), query));
            } finally {
              await runner.stop();
              await store.close();
            }
          };
          const store = openEmbeddedStore({ dataDir });
          for (const event of log.events) {
            // The expected revision each event had when the command handler appended it.
            await store.append(event.stream, [toAppend(event)], event.revision === 0n ? 'no-stream' : event.revision - 1n);
          }
          await store.close();
          const first = await answersFrom();
          const second = await answersFrom();
          expect(second).toEqual(first);
          expect(first).toEqual(finalQueries.map((query) => naiveTotals(log.events, query)));
        } finally {
          fs.rmSync(dataDir, { recursive: true, force: true });
        }
      }),
      { numRuns: 25 },
    );
  });
});
