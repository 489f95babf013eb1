// Totals queries: filter cells, group them by any combination of dimensions, sum exactly, convert on request.
import { formatMinor, type CurrencyCode, type MoneyJson } from '../../domain/money.js';
import { conversionFor } from './projection.js';
import type { Cell, Conversion, Dimension, TotalsState } from './state.js';

export interface TotalsFilter {
  readonly programme?: string | undefined;
  readonly country?: string | undefined;
  readonly funder?: string | undefined;
  readonly yearFrom?: number | undefined;
  readonly yearTo?: number | undefined;
}

export interface TotalsQuery {
  readonly groupBy: readonly Dimension[];
  /** Convert every amount into this currency as well; absent means original currencies only. */
  readonly currency?: CurrencyCode | undefined;
  readonly filter: TotalsFilter;
}

export interface TotalsFigures {
  count: number;
  amounts: MoneyJson[];
  converted?: MoneyJson;
  unconverted?: string[];
}

export type TotalsRow = Partial<Record<Dimension, string | number>> & TotalsFigures;

export interface TotalsAnswer {
  readonly rows: TotalsRow[];
  readonly total: TotalsFigures;
}

interface Accumulator {
  readonly cells: Cell[];
  readonly amounts: Map<CurrencyCode, bigint>;
  allocations: number;
  announcements: number;
  converted: bigint;
  readonly unconverted: Set<string>;
}

function matches(cell: Cell, filter: TotalsFilter): boolean {
  return (
    (filter.programme === undefined || cell.programme === filter.programme) &&
    (filter.country === undefined || cell.country === filter.country) &&
    (filter.funder === undefined || cell.funder === filter.funder) &&
    (filter.yearFrom === undefined || cell.year >= filter.yearFrom) &&
    (filter.yearTo === undefined || cell.year <= filter.yearTo)
  );
}

function emptyAccumulator(): Accumulator {
  return { cells: [], amounts: new Map(), allocations: 0, announcements: 0, converted: 0n, unconverted: new Set() };
}

function add(accumulator: Accumulator, cell: Cell, number: number, conversion: Conversion | undefined): void {
  accumulator.cells.push(cell);
  accumulator.amounts.set(cell.currency, (accumulator.amounts.get(cell.currency) ?? 0n) + cell.minor);
  accumulator.allocations += cell.allocations;
  accumulator.announcements += cell.announcements;
  const converted = conversion?.byCell.get(number);
  if (converted !== undefined) {
    accumulator.converted += converted.minor;
    for (const id of converted.unconverted) accumulator.unconverted.add(id);
  }
}

/**
 * An announcement split over several countries sits in several cells that differ only by country.
 * Counting allocations counts it once per country; counting "announcements" (first allocations) counts it once.
 */
function figuresOf(accumulator: Accumulator, perCountry: boolean, currency: CurrencyCode | undefined): TotalsFigures {
  const amounts = [...accumulator.amounts.entries()]
    .filter(([, minor]) => minor !== 0n)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([code, minor]) => ({ currency: code, value: formatMinor(minor, code) }));
  return {
    count: perCountry ? accumulator.allocations : accumulator.announcements,
    amounts,
    ...(currency !== undefined && {
      converted: { currency, value: formatMinor(accumulator.converted, currency) },
      unconverted: [...accumulator.unconverted].sort(),
    }),
  };
}

function compareRows(groupBy: readonly Dimension[]) {
  return (a: TotalsRow, b: TotalsRow): number => {
    for (const dimension of groupBy) {
      const x = a[dimension] as string | number;
      const y = b[dimension] as string | number;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
}

export function queryTotals(state: TotalsState, query: TotalsQuery): TotalsAnswer {
  const conversion = query.currency === undefined ? undefined : conversionFor(state, query.currency);
  const groups = new Map<string, Accumulator>();
  const total = emptyAccumulator();
  state.cells.forEach((cell, number) => {
    if (cell.allocations === 0 || !matches(cell, query.filter)) return;
    const key = query.groupBy.map((dimension) => String(cell[dimension])).join('\u0000');
    let group = groups.get(key);
    if (group === undefined) {
      group = emptyAccumulator();
      groups.set(key, group);
    }
    add(group, cell, number, conversion);
    add(total, cell, number, conversion);
  });
  const rowsPerCountry = query.groupBy.includes('country') || query.filter.country !== undefined;
  const rows: TotalsRow[] = [...groups.values()].map((group) => {
    const first = group.cells[0] as Cell;
    const dimensions = Object.fromEntries(query.groupBy.map((dimension) => [dimension, first[dimension]]));
    return { ...dimensions, ...figuresOf(group, rowsPerCountry, query.currency) };
  });
  if (query.groupBy.length === 0 && rows.length === 0) rows.push(figuresOf(emptyAccumulator(), false, query.currency));
  rows.sort(compareRows(query.groupBy));
  return { rows, total: figuresOf(total, query.filter.country !== undefined, query.currency) };
}
