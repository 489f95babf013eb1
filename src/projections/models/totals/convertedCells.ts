// One target currency's converted sums, by cell number, in a column: 8 bytes a cell where an object, an ExactSum and a
// Set each took about 280. Kept live beside the cells once a query has asked for the currency, so at 60,000 events
// the two targets held 33 MB of small objects after a burst of converting queries; in a column they hold 1 MB.
import { float64Column } from '../columns.js';
import { addExactly, type ExactSum } from './exactSum.js';

/** A conversion's sums and unconverted announcements as the history of the totals keeps them at a base. */
export interface StoredConvertedCells {
  readonly sums: Float64Array;
  readonly overflow: readonly (readonly [number, bigint])[];
  /** [cell, announcement id, how many of its contributions] */
  readonly unconverted: readonly (readonly [number, string, number])[];
}

export class ConvertedCells {
  /** Each cell's converted sum while it is a safe integer; past that it goes on in `overflow`, exact as a bigint. */
  private readonly sums;
  private readonly overflow: Map<number, bigint>;
  /**
   * The ids of the announcements in a cell that no rate converts, each with how many of its contributions put it there
   * (two commitments of one announcement on two dates can share a cell): few, so only the cells that have any.
   */
  private readonly unconverted = new Map<number, Map<string, number>>();

  constructor(stored?: StoredConvertedCells) {
    // The stored sums are taken as they are (the history reads a fresh array for each past state).
    this.sums = float64Column(stored?.sums);
    this.overflow = new Map(stored?.overflow);
    for (const [cell, id, count] of stored?.unconverted ?? []) {
      let ids = this.unconverted.get(cell);
      if (ids === undefined) this.unconverted.set(cell, (ids = new Map<string, number>()));
      ids.set(id, count);
    }
  }

  toStored(): StoredConvertedCells {
    return {
      sums: this.sums.toArray(),
      overflow: [...this.overflow],
      unconverted: [...this.unconverted].flatMap(([cell, ids]) => [...ids].map(([id, count]) => [cell, id, count] as const)),
    };
  }

  add(cell: number, minor: number | bigint, sign: 1 | -1): void {
    while (this.sums.length <= cell) this.sums.push(0);
    if (typeof minor === 'number') {
      addExactly(this.sums.array(), this.overflow, cell, sign * minor);
      return;
    }
    this.overflow.set(cell, (this.overflow.get(cell) ?? 0n) + BigInt(this.sums.get(cell)) + (sign === 1 ? minor : -minor));
    this.sums.set(cell, 0);
  }

  /** Adds (sign 1) or removes the id of an announcement in `cell` that no rate converts. */
  markUnconverted(cell: number, id: string, sign: 1 | -1): void {
    let ids = this.unconverted.get(cell);
    if (sign === 1) {
      if (ids === undefined) this.unconverted.set(cell, (ids = new Map<string, number>()));
      ids.set(id, (ids.get(id) ?? 0) + 1);
    } else if (ids !== undefined) {
      const left = (ids.get(id) ?? 0) - 1;
      if (left > 0) ids.set(id, left);
      else ids.delete(id);
      if (ids.size === 0) this.unconverted.delete(cell);
    }
  }

  /**
   * The columns themselves, for a query's walk over every cell: sums by cell (those from `length` on are spare), the
   * bigint part of sums past 2^53, and the cells with announcements no rate converts.
   */
  columns(): {
    readonly sums: Float64Array;
    readonly length: number;
    readonly overflow: ReadonlyMap<number, bigint>;
    readonly unconverted: ReadonlyMap<number, ReadonlyMap<string, number>>;
  } {
    return { sums: this.sums.array(), length: this.sums.length, overflow: this.overflow, unconverted: this.unconverted };
  }

  /** Adds the cell's converted sum to `total` (sign -1: subtracts it). */
  addTo(cell: number, total: ExactSum, sign: 1 | -1 = 1): void {
    if (cell < this.sums.length) total.add(this.sums.get(cell), sign);
    if (this.overflow.size > 0) {
      const over = this.overflow.get(cell);
      if (over !== undefined) total.add(over, sign);
    }
  }

  unconvertedOf(cell: number): Iterable<string> | undefined {
    return this.unconverted.size === 0 ? undefined : this.unconverted.get(cell)?.keys();
  }
}
