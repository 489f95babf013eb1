// How projection states are saved in a snapshot: plain data and typed arrays that v8 serialisation copies as they are,
// and back. Maps and classes are rebuilt on restore; the totals' conversion caches are dropped (rebuilt when asked).
import type { AnnouncementsState } from '../models/announcements.js';
import { Dictionary, float64Column, uint16Column, uint32Column, uint8Column } from '../models/columns.js';
import { IdIndex, type StoredIdIndex } from '../models/idIndex.js';
import { CellTable, type StoredCellTable } from '../models/totals/cells.js';
import { RateBook } from '../models/totals/rateBook.js';
import type { TotalsState } from '../models/totals/state.js';

/** The announcements index as saved: columns as typed arrays (copied as memory), dictionaries as their values. */
interface StoredAnnouncements {
  readonly ids: StoredIdIndex;
  readonly columns: Record<'revisions' | 'programmes' | 'funders' | 'days' | 'places', Uint32Array> & { statuses: Uint8Array };
  readonly dictionaries: Record<'programmes' | 'funders' | 'places', string[]>;
}

export interface StoredTotals {
  /** Cells as columns: v8 serialisation would otherwise write every property name of a quarter of a million objects. */
  readonly cells: StoredCellTable;
  readonly ids: StoredIdIndex;
  readonly columns: Record<'days' | 'firstRow' | 'rowCells', Uint32Array> &
    Record<'currencies' | 'split' | 'rowCount', Uint16Array> & { rowMinors: Float64Array };
  readonly rates: ReturnType<RateBook['entries']>;
}

function storeAnnouncements(state: AnnouncementsState): StoredAnnouncements {
  const { dictionaries } = state;
  return {
    ids: state.ids.toStored(),
    columns: {
      revisions: state.revisions.toArray(),
      statuses: state.statuses.toArray(),
      programmes: state.programmes.toArray(),
      funders: state.funders.toArray(),
      days: state.days.toArray(),
      places: state.places.toArray(),
    },
    dictionaries: { programmes: dictionaries.programmes.values, funders: dictionaries.funders.values, places: dictionaries.places.values },
  };
}

function restoreAnnouncements(stored: StoredAnnouncements): AnnouncementsState {
  const { columns, dictionaries } = stored;
  return {
    ids: new IdIndex(stored.ids),
    revisions: uint32Column(columns.revisions),
    statuses: uint8Column(columns.statuses),
    programmes: uint32Column(columns.programmes),
    funders: uint32Column(columns.funders),
    days: uint32Column(columns.days),
    places: uint32Column(columns.places),
    dictionaries: {
      programmes: new Dictionary(dictionaries.programmes),
      funders: new Dictionary(dictionaries.funders),
      places: new Dictionary(dictionaries.places),
    },
  };
}

/** The conversion caches are dropped: the next query that converts rebuilds them. */
export function storeTotals(state: TotalsState): StoredTotals {
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
}

export function restoreTotals(stored: StoredTotals): TotalsState {
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
}

/** Projection states in the form saved: plain data that v8 serialisation carries as it is. */
export function toStorable(states: ReadonlyMap<string, unknown>): Map<string, unknown> {
  return new Map(
    [...states].map(([name, state]) => {
      if (name === 'announcements') return [name, storeAnnouncements(state as AnnouncementsState)];
      if (name === 'totals') return [name, storeTotals(state as TotalsState)];
      return [name, state];
    }),
  );
}

export function fromStorable(stored: ReadonlyMap<string, unknown>): Map<string, unknown> {
  return new Map(
    [...stored].map(([name, state]) => {
      if (name === 'announcements') return [name, restoreAnnouncements(state as StoredAnnouncements)];
      if (name === 'totals') return [name, restoreTotals(state as StoredTotals)];
      return [name, state];
    }),
  );
}
