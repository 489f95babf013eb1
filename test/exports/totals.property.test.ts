// The totals export against queryTotals: per group and currency, the rows add up to the totals exactly, converted too.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { totalsProjection } from '../../src/projections/models/totals/projection.js';
import { queryTotals, type TotalsQuery } from '../../src/projections/models/totals/query.js';
import { totalsExport } from '../../src/exports/totals.js';
import { replay } from '../projections/events.js';
import { histories, queries, World, type Action } from '../projections/histories.js';
import { minorOf } from '../support/scenarios.js';
import { rowsOf, textOf } from './support.js';

function stateAfter(history: readonly Action[]) {
  const world = new World();
  for (const action of history) if (action.kind !== 'check') world.run(action);
  return replay(totalsProjection, world.log.events);
}

async function exported(history: readonly Action[], query: TotalsQuery) {
  const state = stateAfter(history);
  const rows = rowsOf(await textOf(await totalsExport({ position: '9', state }, query)));
  return { rows, answer: queryTotals(state, query) };
}

describe('the totals export', () => {
  it('has the groupBy dimensions in the order asked, then the figures, then the conversion columns', async () => {
    const { rows: none } = await exported([], { groupBy: ['year', 'country'], currency: 'EUR', filter: {} });
    const text = await textOf(
      await totalsExport(
        { position: '0', state: stateAfter([]) },
        { groupBy: ['year', 'currency', 'country'], currency: 'EUR', filter: {} },
      ),
    );

    expect(none).toEqual([]);
    expect(text).toBe('year,country,currency,amount,count,convertedCurrency,convertedAmount,unconvertedIds\r\n');
  });

  it('adds up, per currency, to the total of /totals; converted amounts and unconverted ids too', async () => {
    await fc.assert(
      fc.asyncProperty(histories(25), queries, async (history, query) => {
        const { rows, answer } = await exported(history, query);
        const sums = new Map<string, bigint>();
        let converted = 0n;
        const unconverted = new Set<string>();
        for (const row of rows) {
          sums.set(row.currency!, (sums.get(row.currency!) ?? 0n) + minorOf(row.amount!));
          if (query.currency !== undefined) {
            expect(row.convertedCurrency).toBe(query.currency);
            converted += minorOf(row.convertedAmount!);
            for (const id of row.unconvertedIds!.split(';').filter(Boolean)) unconverted.add(id);
          }
        }
        expect(Object.fromEntries(sums)).toEqual(Object.fromEntries(answer.total.amounts.map((a) => [a.currency, minorOf(a.value)])));
        if (query.currency !== undefined) {
          expect(converted).toBe(minorOf(answer.total.converted!.value));
          expect([...unconverted].sort()).toEqual(answer.total.unconverted);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('splits each /totals row by original currency, with the same figures', async () => {
    await fc.assert(
      fc.asyncProperty(histories(25), queries, async (history, query) => {
        const { rows, answer } = await exported(history, query);
        // Every dimension asked, currency included: a CSV row has it as its figure column, a /totals row as a dimension.
        const keyOf = (row: object) =>
          JSON.stringify(query.groupBy.map((dimension) => String((row as Record<string, unknown>)[dimension])));
        const expected = answer.rows
          .filter((row) => row.amounts.length > 0)
          .map((row) => ({ key: keyOf(row), count: row.count, amounts: row.amounts, converted: row.converted?.value }));
        const grouped = new Map<string, { count: number; amounts: { currency: string; value: string }[]; converted: bigint }>();
        for (const row of rows) {
          const group = grouped.get(keyOf(row)) ?? { count: 0, amounts: [], converted: 0n };
          group.count += Number(row.count);
          group.amounts.push({ currency: row.currency!, value: row.amount! });
          if (row.convertedAmount) group.converted += minorOf(row.convertedAmount);
          grouped.set(keyOf(row), group);
        }
        // Grouping by currency already splits the rows: then each export row is exactly a /totals row.
        if (query.groupBy.includes('currency')) expect(rows).toHaveLength(expected.length);
        for (const row of expected) {
          const group = grouped.get(row.key);
          expect(group?.amounts).toEqual(row.amounts);
          // Each announcement has one currency, so counting per currency partitions the group's count.
          expect(group?.count).toBe(row.count);
          if (row.converted !== undefined) expect(group?.converted).toBe(minorOf(row.converted));
        }
        expect(grouped.size).toBe(expected.length);
      }),
      { numRuns: 200 },
    );
  });
});
