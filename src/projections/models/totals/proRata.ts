// Splitting an amount over an announcement's allocation rows in proportion to them, exactly (issue 20).

/**
 * `total` split over `weights` pro rata, in whole minor units, summing exactly to `total`.
 *
 * The rule: each row gets floor(|total| * weight / sum of weights); the units left over go one each to the rows with
 * the largest remainders, a tie going to the earlier row (largest-remainder, Hamilton's method); a negative total is
 * split as its absolute value and negated, so a correction undoes exactly what the same positive amount added. With
 * no weight at all (every weight 0) the whole amount goes to the first row. Weights are the rows' minor units (never
 * negative); the arithmetic is in bigint, so no product is ever rounded.
 */
export function proRata(total: number, weights: readonly number[]): number[] {
  if (weights.length === 0) return [];
  const sign = total < 0 ? -1n : 1n;
  const amount = BigInt(total) * sign;
  const sum = weights.reduce((s, weight) => s + BigInt(weight), 0n);
  if (sum === 0n) return weights.map((_, row) => (row === 0 ? total : 0));
  const shares = weights.map((weight) => (amount * BigInt(weight)) / sum);
  const remainders = weights.map((weight, row) => ({ row, remainder: (amount * BigInt(weight)) % sum }));
  let left = amount - shares.reduce((s, share) => s + share, 0n);
  // Stable order: by remainder, largest first, then by row.
  remainders.sort((a, b) => (a.remainder === b.remainder ? a.row - b.row : a.remainder > b.remainder ? -1 : 1));
  for (const { row } of remainders) {
    if (left === 0n) break;
    shares[row] = (shares[row] as bigint) + 1n;
    left -= 1n;
  }
  return shares.map((share) => Number(share * sign));
}
