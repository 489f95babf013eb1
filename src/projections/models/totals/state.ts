// Totals read model: each active announcement's allocations summed into cells of every dimension at once.
import type { CurrencyCode } from '../../../domain/money.js';
import { float64Column, uint16Column, uint32Column, type Column } from '../columns.js';
import { IdIndex } from '../idIndex.js';
import { CellTable, type CellView } from './cells.js';
import type { ConvertedCells } from './convertedCells.js';
import { RateBook, type AppliedRate, type RateRecord } from './rateBook.js';

export const DIMENSIONS = ['programme', 'country', 'year', 'fiscalYear', 'funder', 'currency', 'stage'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * The finest grain the totals keep is a cell: one per distinct (programme, country, year, fiscal year, funder,
 * currency), held in columns (see cells.ts). Every query is a fold over cells, never over announcements.
 */
export type { CellView as Cell } from './cells.js';

/**
 * programme|year|fiscalYear|funder|currency|country[|stage]: what names a cell in the digest, and orders it there. The
 * stage only when it is not `announced`, so the digest of a ledger without restatements, commitments or disbursements
 * is what it was before stages existed.
 */
export function cellKey(cell: CellView): string {
  const key = `${cell.programme}|${cell.year}|${cell.fiscalYear}|${cell.funder}|${cell.currency}|${cell.country}`;
  return cell.stage === 'announced' ? key : `${key}|${cell.stage}`;
}

/**
 * What each announcement currently adds to the cells, one slot per announcement, in columns: its allocations are
 * rows `firstRow .. firstRow + rowCount` of the row columns (cell number and minor units). A withdrawn announcement
 * keeps its slot with rowCount 0. An amendment writes new rows at the end; the old ones are left unused.
 */
export interface Contributions {
  readonly ids: IdIndex;
  /** announcedOn as YYYYMMDD: the date whose exchange rate converts it. */
  readonly days: Column<Uint32Array>;
  /** Codes of the cells' currency dictionary. */
  readonly currencies: Column<Uint16Array>;
  /** 1 when the money was given as allocations (even a single one) rather than a country or nothing. */
  readonly split: Column<Uint16Array>;
  readonly firstRow: Column<Uint32Array>;
  readonly rowCount: Column<Uint16Array>;
  readonly rowCells: Column<Uint32Array>;
  /** Minor units of one allocation: a safe integer (see domain/money.ts); a cell's sum is exact past that (cells.ts). */
  readonly rowMinors: Column<Float64Array>;
}

/** Converted sums for one target currency, by cell number, kept while the rates stay as they were. */
export interface Conversion {
  readonly cells: ConvertedCells;
  /**
   * The rate from a currency on a day (key: currency code * 10^8 + YYYYMMDD) with the record it comes from, null when
   * none applies: looked up and parsed once per day rather than once per allocation, and what answers cite as the rates
   * used. Valid as long as the conversion is (no rate recorded since).
   */
  readonly rates: Map<number, AppliedRate | null>;
}

/** One restatement of an announcement: the earlier announcement's id and the minor units re-announced. */
export interface RestatedPart {
  readonly id: string;
  readonly minor: number;
}

/**
 * Issue 20's sparse indexes, empty on a ledger without restatements, commitments or disbursements (so such a ledger
 * costs what it did). Commitments, disbursements and an announcement's restated part each have slots of their own in
 * the contributions (see stageSlots.ts), whose ids are derived from the announcement's.
 */
export interface StageIndex {
  /** The restatements of each announcement (by slot) that has any, as recorded: whether they count depends on the earlier one. */
  readonly restates: Map<number, readonly RestatedPart[]>;
  /** Earlier announcement id -> slots of the announcements restating it. */
  readonly restaters: Map<string, Set<number>>;
  /** Announcement slot -> the slots derived from it. */
  readonly derived: Map<number, number[]>;
}

/**
 * What follows the totals as they change (the history that answers as-of queries: projections/history/). Called inside
 * the fold, so it must not throw: a recorder that cannot write stops recording instead.
 */
export interface TotalsRecorder {
  /** A contribution slot's rows were added to the cells (sign 1) or taken from them (-1). */
  contributed(state: TotalsState, slot: number, sign: 1 | -1): void;
  /** An exchange rate was recorded: converted sums of rows on the dates it now covers change. */
  rateRecorded(state: TotalsState, record: RateRecord): void;
}

export interface TotalsState {
  readonly cells: CellTable;
  readonly contributions: Contributions;
  readonly stages: StageIndex;
  readonly rates: RateBook;
  /** Dropped when a rate is recorded, rebuilt by the next query that converts. */
  readonly conversions: Map<CurrencyCode, Conversion>;
  /** Only on the service's live state, and never saved in a snapshot. */
  recorder?: TotalsRecorder | undefined;
}

export function emptyContributions(): Contributions {
  return {
    ids: new IdIndex(),
    days: uint32Column(),
    currencies: uint16Column(),
    split: uint16Column(),
    firstRow: uint32Column(),
    rowCount: uint16Column(),
    rowCells: uint32Column(),
    rowMinors: float64Column(),
  };
}

export function emptyStageIndex(): StageIndex {
  return { restates: new Map(), restaters: new Map(), derived: new Map() };
}

export function initialTotalsState(): TotalsState {
  return {
    cells: new CellTable(),
    contributions: emptyContributions(),
    stages: emptyStageIndex(),
    rates: new RateBook(),
    conversions: new Map(),
  };
}
