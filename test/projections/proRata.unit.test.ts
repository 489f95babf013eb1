// The pro-rata split of issue 20: exact, sums preserved, largest remainder with ties to the earlier row, negatives mirrored.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { proRata } from '../../src/projections/models/totals/proRata.js';

describe('proRata', () => {
  it('splits in proportion when the shares are whole', () => {
    // £9m restated of a £30m split £20m/£10m: £6m and £3m.
    expect(proRata(900_000_000, [2_000_000_000, 1_000_000_000])).toEqual([600_000_000, 300_000_000]);
  });

  it('gives the units left over to the largest remainders, a tie to the earlier row', () => {
    // 100 over 1:1:1 is 33.33 each; the one unit left goes to the first row.
    expect(proRata(100, [1, 1, 1])).toEqual([34, 33, 33]);
    // 10 over 1:2:4 (7 parts): 1.43, 2.86, 5.71 -> floors 1, 2, 5; remainders 3/7, 6/7, 5/7: the unit left goes to row 2.
    expect(proRata(10, [1, 2, 4])).toEqual([1, 3, 6]);
    // 2 over 1:1:1:1: two units left, to the first two rows.
    expect(proRata(2, [5, 5, 5, 5])).toEqual([1, 1, 0, 0]);
  });

  it('splits a negative amount as the mirror of the positive one, so a correction undoes it exactly', () => {
    expect(proRata(-100, [1, 1, 1])).toEqual([-34, -33, -33]);
    expect(proRata(-10, [1, 2, 4])).toEqual([-1, -3, -6]);
  });

  it('puts everything on one row, or on the first when no row weighs anything', () => {
    expect(proRata(12_345, [7])).toEqual([12_345]);
    expect(proRata(5, [0, 0])).toEqual([5, 0]);
    expect(proRata(0, [3, 4])).toEqual([0, 0]);
    expect(proRata(5, [])).toEqual([]);
  });

  it('stays exact where a double product would not (amounts near 2^53)', () => {
    const big = Number.MAX_SAFE_INTEGER - 1;
    // big * (big - 1) is far past 2^53 as a double; in bigint the shares are exactly big - 1 and 1.
    expect(proRata(big, [big - 1, 1])).toEqual([big - 1, 1]);
    expect(proRata(big - 1, [big, 0])).toEqual([big - 1, 0]);
  });

  it('preserves the sum and stays within one unit of the exact share (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e12, max: 1e12 }),
        fc.array(fc.integer({ min: 0, max: 1e12 }), { minLength: 1, maxLength: 8 }),
        (total, weights) => {
          const shares = proRata(total, weights);
          expect(shares.reduce((a, b) => a + b, 0)).toBe(total);
          const sum = weights.reduce((a, b) => a + b, 0);
          if (sum === 0) return;
          shares.forEach((share, row) => {
            // |share - total * weight / sum| < 1, in integers: |share * sum - total * weight| < sum.
            const gap = BigInt(share) * BigInt(sum) - BigInt(total) * BigInt(weights[row] as number);
            expect(gap < BigInt(sum) && -gap < BigInt(sum)).toBe(true);
            expect(Math.sign(share) * Math.sign(total)).not.toBe(-1);
          });
          expect(proRata(-total, weights)).toEqual(shares.map((share) => -share || 0));
        },
      ),
    );
  });
});
