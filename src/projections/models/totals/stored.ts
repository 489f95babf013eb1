// How a snapshot (and an as-of checkpoint) keeps the totals: cells and contributions as typed arrays that v8
// serialisation copies as memory, and back. The conversion caches are dropped: the next query that converts rebuilds them.
import type { SnapshotForm } from '../../runtime/projection.js';
import { float64Column, uint16Column, uint32Column } from '../columns.js';
import { IdIndex, type StoredIdIndex } from '../idIndex.js';
import { CellTable, type StoredCellTable } from './cells.js';
import { RateBook } from './rateBook.js';
import type { TotalsState } from './state.js';

export interface StoredTotals {
  /** Cells as columns: v8 serialisation would otherwise write every property name of a quarter of a million objects. */
  readonly cells: StoredCellTable;
  readonly ids: StoredIdIndex;
  readonly columns: Record<'days' | 'firstRow' | 'rowCells', Uint32Array> &
    Record<'currencies' | 'split' | 'rowCount', Uint16Array> & { rowMinors: Float64Array };
  readonly rates: ReturnType<RateBook['entries']>;
}

export const storedTotals: SnapshotForm<TotalsState, StoredTotals> = {
  store(state) {
    const c = state.contributions;
    return {
      cells: state.cells.toStored(),
      ids: c.ids.toStored(),
      columns: {
        days: c.days.toArray(),
        currencies: c.currencies.toArray(),
        split: c.split.toArray(),
        firstRow: c.firstRow.toArray(),
        rowCount: c.rowCount.toArray(),
        rowCells: c.rowCells.toArray(),
        rowMinors: c.rowMinors.toArray(),
      },
      rates: state.rates.entries(),
    };
  },
  restore(stored) {
    const rates = new RateBook();
    for (const entry of stored.rates) rates.record(entry.base, entry.quote, entry.effectiveOn, entry.rate);
    const { columns } = stored;
    return {
      // Each cell keeps its number: the contribution rows point at them.
      cells: new CellTable(stored.cells),
      contributions: {
        ids: new IdIndex(stored.ids),
        days: uint32Column(columns.days),
        currencies: uint16Column(columns.currencies),
        split: uint16Column(columns.split),
        firstRow: uint32Column(columns.firstRow),
        rowCount: uint16Column(columns.rowCount),
        rowCells: uint32Column(columns.rowCells),
        rowMinors: float64Column(columns.rowMinors),
      },
      rates,
      conversions: new Map(),
    };
  },
};
