// Totals read model: each active announcement's allocations summed into cells of every dimension at once.
import type { CurrencyCode } from '../../domain/money.js';
import { RateBook } from './rateBook.js';

export const DIMENSIONS = ['programme', 'country', 'year', 'fiscalYear', 'funder', 'currency'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/**
 * The finest grain the totals keep: one cell per distinct (programme, country, year, fiscal year, funder, currency).
 * Every query is a fold over cells, never over announcements, so it stays cheap as the ledger grows.
 */
export interface Cell {
  readonly programme: string;
  readonly country: string;
  readonly year: number;
  readonly fiscalYear: string;
  readonly funder: string;
  readonly currency: CurrencyCode;
  minor: bigint;
  /** Allocations in this cell; an announcement has at most one per country, so this counts announcements per country. */
  allocations: number;
  /** Announcements whose first allocation is in this cell: summed over cells that differ only by country, counts each once. */
  announcements: number;
}

/** One allocation of one announcement, as it currently contributes. */
export interface ContributionRow {
  readonly cell: Cell;
  /** Minor units of one allocation: a safe integer (see domain/money.ts); sums are bigint in the cell. */
  readonly minor: number;
  readonly primary: boolean;
}

export interface Contribution {
  readonly id: string;
  readonly announcedOn: string;
  readonly currency: CurrencyCode;
  /** Whether the money was given as allocations (even a single one) rather than a country or nothing. */
  readonly split: boolean;
  readonly rows: readonly ContributionRow[];
}

/** Converted sums for one target currency, kept while the rates stay as they were; dropped when a rate is recorded. */
export interface Conversion {
  readonly byCell: Map<Cell, { minor: bigint; unconverted: Set<string> }>;
}

export interface TotalsState {
  readonly cells: Map<string, Cell>;
  readonly contributions: Map<string, Contribution>;
  readonly rates: RateBook;
  readonly conversions: Map<CurrencyCode, Conversion>;
}

export function initialTotalsState(): TotalsState {
  return { cells: new Map(), contributions: new Map(), rates: new RateBook(), conversions: new Map() };
}
