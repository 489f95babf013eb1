// One target currency's converted sums by cell: exact past 2^53 in both directions, and the ids no rate converts.
import { describe, expect, it } from 'vitest';
import { ConvertedCells } from '../../src/projections/models/totals/convertedCells.js';
import { ExactSum } from '../../src/projections/models/totals/exactSum.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

function sumOf(cells: ConvertedCells, ...numbers: number[]): bigint {
  const total = new ExactSum();
  for (const cell of numbers) cells.addTo(cell, total);
  return total.value;
}

describe('converted cells', () => {
  it('sums each cell on its own, a cell never added to counting as zero', () => {
    const cells = new ConvertedCells();
    cells.add(0, 150, 1);
    cells.add(3, 1_000, 1);
    cells.add(3, 250, -1);
    expect(sumOf(cells, 0)).toBe(150n);
    expect(sumOf(cells, 3)).toBe(750n);
    expect(sumOf(cells, 1, 2, 99)).toBe(0n);
    expect(sumOf(cells, 0, 1, 2, 3)).toBe(900n);
  });

  it('goes on exactly past 2^53, with numbers and bigints, and comes back down', () => {
    const cells = new ConvertedCells();
    cells.add(1, MAX_SAFE, 1);
    cells.add(1, MAX_SAFE, 1);
    cells.add(1, 10n ** 20n, 1);
    expect(sumOf(cells, 1)).toBe(2n * BigInt(MAX_SAFE) + 10n ** 20n);
    cells.add(1, 10n ** 20n, -1);
    cells.add(1, MAX_SAFE, -1);
    expect(sumOf(cells, 1)).toBe(BigInt(MAX_SAFE));
    cells.add(2, 7, 1);
    expect(sumOf(cells, 1, 2)).toBe(BigInt(MAX_SAFE) + 7n);
  });

  it('keeps the ids no rate converts per cell, and forgets them when they leave', () => {
    const cells = new ConvertedCells();
    expect(cells.unconvertedOf(4)).toBeUndefined();
    cells.markUnconverted(4, 'a', 1);
    cells.markUnconverted(4, 'b', 1);
    cells.markUnconverted(5, 'c', 1);
    expect([...(cells.unconvertedOf(4) ?? [])]).toEqual(['a', 'b']);
    cells.markUnconverted(4, 'a', -1);
    cells.markUnconverted(5, 'c', -1);
    expect([...(cells.unconvertedOf(4) ?? [])]).toEqual(['b']);
    expect(cells.unconvertedOf(5)).toBeUndefined();
  });
});
