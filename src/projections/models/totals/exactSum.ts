// An exact sum of minor units that allocates nothing while it can: a number while it is a safe integer, going on
// as a bigint past that. Every amount added is itself a safe integer or a bigint (see domain/money.ts).

/**
 * `sum + term` for two safe integers when the result is a safe integer too, and then exact (a double sum is exact
 * while it stays within 2^53); undefined when the sum must go on as a bigint.
 */
export function safeSum(sum: number, term: number): number | undefined {
  const next = sum + term;
  return Number.isSafeInteger(next) ? next : undefined;
}

export class ExactSum {
  private small = 0;
  private big = 0n;

  add(minor: number | bigint, sign: 1 | -1 = 1): void {
    if (typeof minor === 'bigint') {
      this.big += sign === 1 ? minor : -minor;
      return;
    }
    const term = sign * minor;
    const next = safeSum(this.small, term);
    if (next !== undefined) this.small = next;
    else {
      this.big += BigInt(this.small) + BigInt(term);
      this.small = 0;
    }
  }

  /** Adds another sum: its number part as a number while the result stays safe, so no bigint is made for it. */
  addSum(other: ExactSum): void {
    this.add(other.small);
    if (other.big !== 0n) this.big += other.big;
  }

  get value(): bigint {
    return this.big + BigInt(this.small);
  }
}

/**
 * Adds `term` to a cell's sum: in `sums` while the sum is a safe integer, and past 2^53, where a number can no longer be
 * exact, as a bigint in `overflow` (the cell's sum is then its overflow plus what `sums` holds, 0 from then on).
 */
export function addExactly(sums: Float64Array, overflow: Map<number, bigint>, cell: number, term: number): void {
  const sum = sums[cell] as number;
  const next = safeSum(sum, term);
  if (next !== undefined) sums[cell] = next;
  else {
    overflow.set(cell, (overflow.get(cell) ?? 0n) + BigInt(sum) + BigInt(term));
    sums[cell] = 0;
  }
}
