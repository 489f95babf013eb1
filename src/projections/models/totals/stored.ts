// How a snapshot (and an as-of checkpoint) keeps the totals: cells and contributions as typed arrays that v8
// serialisation copies as memory, and back. The conversion caches are dropped: the next query that converts rebuilds them.
import type { SnapshotForm } from '../../runtime/projection.js';
import { float64Column, uint16Column, uint32Column } from '../columns.js';
import { IdIndex, type StoredIdIndex } from '../idIndex.js';
import { CellTable, type StoredCellTable } from './cells.js';
import { RateBook, type RateRecord } from './rateBook.js';
import { emptyStageIndex, type StageIndex, type TotalsState } from './state.js';

export interface StoredTotals {
  /** Cells as columns: v8 serialisation would otherwise write every property name of a quarter of a million objects. */
  readonly cells: StoredCellTable;
  readonly ids: StoredIdIndex;
  readonly columns: Record<'days' | 'firstRow' | 'rowCells', Uint32Array> &
    Record<'currencies' | 'split' | 'rowCount', Uint16Array> & { rowMinors: Float64Array };
  /** Each restatement as [announcement slot, earlier id, minor units]; the other stage indexes are rebuilt from it and the ids. */
  readonly restates: [number, string, number][];
  readonly rates: RateRecord[];
}

/** The sparse stage indexes from the restatements kept and the derived slots' ids ("<id>#..."), in slot order. */
function restoredStages(ids: IdIndex, restates: StoredTotals['restates']): StageIndex {
  const stages = emptyStageIndex();
  for (const [owner, id, minor] of restates) {
    stages.restates.set(owner, [...(stages.restates.get(owner) ?? []), { id, minor }]);
    const restaters = stages.restaters.get(id) ?? new Set<number>();
    restaters.add(owner);
    stages.restaters.set(id, restaters);
  }
  for (const [slot, id] of [...ids.others].sort(([a], [b]) => a - b)) {
    const mark = id.indexOf('#');
    const owner = mark < 0 ? undefined : ids.slotOf(id.slice(0, mark));
    if (owner === undefined) continue;
    stages.derived.set(owner, [...(stages.derived.get(owner) ?? []), slot]);
  }
  return stages;
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
      restates: [...state.stages.restates].flatMap(([owner, parts]) =>
        parts.map((part): [number, string, number] => [owner, part.id, part.minor]),
      ),
      rates: state.rates.entries(),
    };
  },
  restore(stored) {
    const rates = new RateBook();
    for (const entry of stored.rates) rates.record(entry);
    const { columns } = stored;
    const ids = new IdIndex(stored.ids);
    return {
      // Each cell keeps its number: the contribution rows point at them.
      cells: new CellTable(stored.cells),
      contributions: {
        ids,
        days: uint32Column(columns.days),
        currencies: uint16Column(columns.currencies),
        split: uint16Column(columns.split),
        firstRow: uint32Column(columns.firstRow),
        rowCount: uint16Column(columns.rowCount),
        rowCells: uint32Column(columns.rowCells),
        rowMinors: float64Column(columns.rowMinors),
      },
      stages: restoredStages(ids, stored.restates),
      rates,
      conversions: new Map(),
    };
  },
};
