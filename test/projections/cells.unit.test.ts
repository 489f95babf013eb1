// The totals' cell table: one cell per distinct set of codes, sums exact beyond 2^53, and the same after a snapshot.
import { describe, expect, it } from 'vitest';
import { CellTable } from '../../src/projections/models/totals/cells.js';

/** The cell for plain values, as the totals projection finds it. */
function cellOf(cells: CellTable, programme: string, funder: string, currency: string, date: string, country: string): number {
  const { dictionaries } = cells;
  return cells.numberOf(
    dictionaries.programmes.codeOf(programme),
    dictionaries.funders.codeOf(funder),
    dictionaries.currencies.codeOf(currency),
    cells.periodOf(date),
    dictionaries.countries.codeOf(country),
  );
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

describe('the totals cell table', () => {
  it('gives one cell to each distinct programme, funder, currency, period and country, and finds it again', () => {
    const cells = new CellTable();
    const numbers = new Map<string, number>();
    // Enough cells to make the hash table grow several times.
    for (let n = 0; n < 5000; n += 1) {
      const key = [`p${n % 7}`, `f${n % 5}`, n % 2 ? 'GBP' : 'EUR', `20${10 + (n % 13)}-0${1 + (n % 9)}-15`, `c${n % 11}`] as const;
      const number = cellOf(cells, ...key);
      const text = key.join('|');
      if (numbers.has(text)) expect(number).toBe(numbers.get(text));
      else {
        expect(number).toBe(numbers.size);
        numbers.set(text, number);
      }
    }
    expect(cells.length).toBe(numbers.size);
    const [text, number] = [...numbers][numbers.size - 1]!;
    const [programme, funder, currency, date, country] = text.split('|') as [string, string, string, string, string];
    expect(cells.view(number)).toMatchObject({ programme, funder, currency, country, year: Number(date.slice(0, 4)) });
  });

  it('puts the dates of one calendar year in two periods, split at the UK fiscal year', () => {
    const cells = new CellTable();
    const march = cellOf(cells, 'p', 'GB', 'GBP', '2025-03-31', 'GB');
    const april = cellOf(cells, 'p', 'GB', 'GBP', '2025-04-01', 'GB');
    const december = cellOf(cells, 'p', 'GB', 'GBP', '2025-12-31', 'GB');
    expect(april).not.toBe(march);
    expect(december).toBe(april);
    expect(cells.view(march)).toMatchObject({ year: 2025, fiscalYear: '2024-25' });
    expect(cells.view(april)).toMatchObject({ year: 2025, fiscalYear: '2025-26' });
  });

  it('keeps a sum exact past 2^53 minor units, and back again when allocations are removed', () => {
    const cells = new CellTable();
    const cell = cellOf(cells, 'p', 'GB', 'GBP', '2025-03-31', 'GB');
    cells.apply(cell, MAX_SAFE, 1, true);
    cells.apply(cell, MAX_SAFE, 1, false);
    cells.apply(cell, 3, 1, false);
    expect(cells.minorOf(cell)).toBe(2n * BigInt(MAX_SAFE) + 3n);
    cells.apply(cell, MAX_SAFE, -1, true);
    expect(cells.minorOf(cell)).toBe(BigInt(MAX_SAFE) + 3n);
    cells.apply(cell, 3, -1, false);
    expect(cells.minorOf(cell)).toBe(BigInt(MAX_SAFE));
    expect(cells.view(cell)).toMatchObject({ allocations: 1, announcements: 0 });
  });

  it('sums negative and positive amounts exactly in both ranges', () => {
    const cells = new CellTable();
    const cell = cellOf(cells, 'p', 'GB', 'EUR', '2020-01-01', 'FR');
    cells.apply(cell, MAX_SAFE, -1, false);
    cells.apply(cell, 2, -1, false);
    expect(cells.minorOf(cell)).toBe(-BigInt(MAX_SAFE) - 2n);
    cells.apply(cell, 2, 1, false);
    expect(cells.minorOf(cell)).toBe(-BigInt(MAX_SAFE));
  });

  it('is the same table after being stored and restored: the same cells, numbers, sums and new cells after them', () => {
    const cells = new CellTable();
    const a = cellOf(cells, 'p', 'GB', 'GBP', '2025-03-31', 'GB');
    const b = cellOf(cells, 'q', 'FR', 'EUR', '2019-06-01', 'RS');
    cells.apply(a, MAX_SAFE, 1, true);
    cells.apply(a, 10, 1, false);
    cells.apply(b, 250, 1, true);

    const restored = new CellTable(structuredClone(cells.toStored()));

    expect(restored.length).toBe(2);
    for (const cell of [a, b]) expect(restored.view(cell)).toEqual(cells.view(cell));
    expect(cellOf(restored, 'q', 'FR', 'EUR', '2019-06-01', 'RS')).toBe(b);
    expect(cellOf(restored, 'q', 'FR', 'EUR', '2019-06-02', 'XK')).toBe(2);
  });
});
