// Totals queries: filter cells, group them by any combination of dimensions, sum exactly, convert on request.
import { formatMinor, type CurrencyCode, type MoneyJson } from '../../../domain/money.js';
import { runAtOnce, type Steps } from '../../../runtime/timeSlice.js';
import { sortSteps } from '../../../runtime/sortSteps.js';
import { conversionSteps } from './projection.js';
import { ANNOUNCED, COMMITTED, DISBURSED, RESTATED, STAGES, type CellTable } from './cells.js';
import { countStageOwners, type StageOwners } from './stageCounts.js';
import { collectRatesUsed, ratesCited, type RateCited, type RatesUsed } from './rateCitations.js';
import { ExactSum } from './exactSum.js';
import type { Conversion, Dimension, TotalsState } from './state.js';

export interface TotalsFilter {
  readonly programme?: string | undefined;
  readonly country?: string | undefined;
  readonly funder?: string | undefined;
  readonly yearFrom?: number | undefined;
  readonly yearTo?: number | undefined;
  /** Only these stages; absent: the announced stage alone, or every stage when grouping by stage. */
  readonly stage?: readonly Stage[] | undefined;
}

/** The stages a query can ask for; `restated` is internal (basis=new subtracts it). */
export const QUERY_STAGES = ['announced', 'committed', 'disbursed'] as const;
export type Stage = (typeof QUERY_STAGES)[number];

/**
 * `announced`: the face value, as before stages existed. `new`: the face value less its parts that restate money of
 * earlier announcements still active. It applies to the announced stage only; counts stay the announcement counts.
 */
export const BASES = ['announced', 'new'] as const;
export type Basis = (typeof BASES)[number];

export interface TotalsQuery {
  readonly groupBy: readonly Dimension[];
  /** Convert every amount into this currency as well; absent means original currencies only. */
  readonly currency?: CurrencyCode | undefined;
  readonly filter: TotalsFilter;
  /** Default `announced`. */
  readonly basis?: Basis | undefined;
}

export interface TotalsFigures {
  count: number;
  amounts: MoneyJson[];
  converted?: MoneyJson;
  unconverted?: string[];
  rates?: RateCited[];
}

export type TotalsRow = Partial<Record<Dimension, string | number>> & TotalsFigures;

export interface TotalsAnswer {
  readonly rows: TotalsRow[];
  readonly total: TotalsFigures;
}

export type { RateCited } from './rateCitations.js';

interface Accumulator extends RatesUsed, StageOwners {
  /** The first cell added: it names the group's dimensions. */
  first: number;
  /** Its place among the groups, in the order made. */
  readonly index: number;
  /** By currency code (the cells' currencies dictionary). */
  readonly sums: ExactSum[];
  allocations: number;
  announcements: number;
  readonly converted: ExactSum;
  readonly unconverted: Set<string>;
}

/** The code each filtered dimension must have; null when the value was never seen, so nothing can match. */
interface WantedCodes {
  readonly programme: number | null | undefined;
  readonly country: number | null | undefined;
  readonly funder: number | null | undefined;
}

function wantedCodes(cells: CellTable, filter: TotalsFilter): WantedCodes {
  const code = (dictionary: CellTable['dictionaries'][keyof CellTable['dictionaries']], value: string | undefined) =>
    value === undefined ? undefined : (dictionary.find(value) ?? null);
  return {
    programme: code(cells.dictionaries.programmes, filter.programme),
    country: code(cells.dictionaries.countries, filter.country),
    funder: code(cells.dictionaries.funders, filter.funder),
  };
}

function matches(cells: CellTable, cell: number, wanted: WantedCodes, filter: TotalsFilter): boolean {
  if (wanted.programme !== undefined && cells.codeOf(cell, 'programmes') !== wanted.programme) return false;
  if (wanted.country !== undefined && cells.codeOf(cell, 'countries') !== wanted.country) return false;
  if (wanted.funder !== undefined && cells.codeOf(cell, 'funders') !== wanted.funder) return false;
  if (filter.yearFrom === undefined && filter.yearTo === undefined) return true;
  const year = cells.yearOfPeriod(cells.codeOf(cell, 'periods'));
  return (filter.yearFrom === undefined || year >= filter.yearFrom) && (filter.yearTo === undefined || year <= filter.yearTo);
}

/** A dimension's value for a cell, as rows show it. */
function valueOf(cells: CellTable, cell: number, dimension: Dimension): string | number {
  if (dimension === 'stage') return STAGES[stageOf(cells, cell)] as string;
  if (dimension === 'year') return cells.yearOfPeriod(cells.codeOf(cell, 'periods'));
  if (dimension === 'fiscalYear') return cells.fiscalYearOfPeriod(cells.codeOf(cell, 'periods'));
  const field = FIELDS[dimension];
  return cells.dictionaries[field].valueOf(cells.codeOf(cell, field));
}

/**
 * A function giving each cell the key of its group: small whole numbers per dimension (a code, or the index of a year
 * or fiscal year), combined into one number while that stays exact, and joined as text otherwise.
 */
function groupKeyer(
  cells: CellTable,
  groupBy: readonly Dimension[],
): { readonly keyOf: (cell: number) => number | string; readonly space: number | undefined } {
  const periods = cells.dictionaries.periods.values.length;
  const indexOfPeriod = (of: (period: number) => string | number): { indexes: number[]; count: number } => {
    const seen = new Map<string | number, number>();
    const indexes = Array.from({ length: periods }, (_, period) => {
      const value = of(period);
      let index = seen.get(value);
      if (index === undefined) {
        index = seen.size;
        seen.set(value, index);
      }
      return index;
    });
    return { indexes, count: seen.size };
  };
  const parts = groupBy.map((dimension): { of: (cell: number) => number; radix: number } => {
    if (dimension === 'stage') return { of: (cell) => stageOf(cells, cell), radix: STAGES.length };
    if (dimension === 'year' || dimension === 'fiscalYear') {
      const { indexes, count } = indexOfPeriod(dimension === 'year' ? (p) => cells.yearOfPeriod(p) : (p) => cells.fiscalYearOfPeriod(p));
      return { of: (cell) => indexes[cells.codeOf(cell, 'periods')] as number, radix: count };
    }
    const field = FIELDS[dimension];
    return { of: (cell) => cells.codeOf(cell, field), radix: cells.dictionaries[field].values.length };
  });
  const space = parts.reduce((product, part) => product * Math.max(part.radix, 1), 1);
  if (space > Number.MAX_SAFE_INTEGER) return { keyOf: (cell) => parts.map((part) => part.of(cell)).join(','), space: undefined };
  return {
    keyOf: (cell) => {
      let key = 0;
      for (const part of parts) key = key * part.radix + part.of(cell);
      return key;
    },
    space,
  };
}

/** Key spaces up to this many find their group through an array instead of a map. */
const DENSE_KEYS = 1 << 20;

/** Adds a group's figures to the total: the same exact sums as adding its cells to it one by one. */
function addGroup(total: Accumulator, group: Accumulator): void {
  group.sums.forEach((sum, currency) => (total.sums[currency] ??= new ExactSum()).add(sum.value));
  total.allocations += group.allocations;
  total.announcements += group.announcements;
  total.converted.add(group.converted.value);
  for (const id of group.unconverted) total.unconverted.add(id);
}

const FIELDS = { programme: 'programmes', country: 'countries', funder: 'funders', currency: 'currencies' } as const;

/** A cell's stage as answers show it: a restated part belongs to the announced stage (it is subtracted there). */
function stageOf(cells: CellTable, cell: number): number {
  const stage = cells.stageOf(cell);
  return stage === RESTATED ? ANNOUNCED : stage;
}

/** Which stage codes a query takes, by code: 1 adds the cell, -1 subtracts it (restated parts for basis=new), 0 skips it. */
function stageSigns(query: TotalsQuery): readonly (1 | -1 | 0)[] {
  const wanted: readonly string[] = query.filter.stage ?? (query.groupBy.includes('stage') ? QUERY_STAGES : ['announced']);
  return STAGES.map((stage) => {
    if (stage === 'restated') return wanted.includes('announced') && query.basis === 'new' ? -1 : 0;
    return wanted.includes(stage) ? 1 : 0;
  });
}

function emptyAccumulator(first: number, index = 0): Accumulator {
  return {
    first,
    index,
    sums: [],
    allocations: 0,
    announcements: 0,
    converted: new ExactSum(),
    unconverted: new Set(),
  };
}

function add(accumulator: Accumulator, cells: CellTable, cell: number, conversion: Conversion | undefined, sign: 1 | -1): void {
  const currency = cells.codeOf(cell, 'currencies');
  (accumulator.sums[currency] ??= new ExactSum()).add(cells.sumOf(cell), sign);
  // A restated part (sign -1) is money of the announcements already counted in the announced cell beside it; committed
  // and disbursed money is counted by announcement afterwards (stageCounts.ts).
  if (sign === 1 && cells.stageOf(cell) === ANNOUNCED) {
    accumulator.allocations += cells.allocationsOf(cell);
    accumulator.announcements += cells.announcementsOf(cell);
  }
  if (conversion !== undefined) {
    conversion.cells.addTo(cell, accumulator.converted, sign);
    const unconverted = conversion.cells.unconvertedOf(cell);
    if (unconverted !== undefined) for (const id of unconverted) accumulator.unconverted.add(id);
  }
}

/**
 * An announcement split over several countries sits in several cells that differ only by country.
 * Counting allocations counts it once per country; counting "announcements" (first allocations) counts it once.
 */
function figuresOf(accumulator: Accumulator, cells: CellTable, perCountry: boolean, currency: CurrencyCode | undefined): TotalsFigures {
  const amounts = accumulator.sums
    .flatMap((sum, code) => {
      const minor = sum.value;
      return minor === 0n ? [] : [{ currency: cells.dictionaries.currencies.valueOf(code) as CurrencyCode, minor }];
    })
    .sort((a, b) => (a.currency < b.currency ? -1 : 1))
    .map(({ currency: code, minor }) => ({ currency: code, value: formatMinor(minor, code) }));
  return {
    count: (perCountry ? accumulator.allocations : accumulator.announcements) + (accumulator.owners?.size ?? 0),
    amounts,
    ...(currency !== undefined && {
      converted: { currency, value: formatMinor(accumulator.converted.value, currency) },
      unconverted: [...accumulator.unconverted].sort(),
      rates: ratesCited(accumulator),
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
  return runAtOnce(totalsQuerySteps(state, query));
}

/** Cells summed, or rows built, between two points where a sliced run may pause. */
const CELLS_PER_STEP = 2048;
const ROWS_PER_STEP = 256;

/**
 * queryTotals as steps. Five dimensions and a conversion over a large ledger give tens of thousands of rows and take
 * about a second; the service runs these steps in slices (holding the projections still meanwhile). A conversion built
 * on the way is kept in the state unless `keepConversion` is false (past states in a cache bounded in bytes).
 */
export function* totalsQuerySteps(
  state: TotalsState,
  query: TotalsQuery,
  options: { readonly keepConversion?: boolean } = {},
): Steps<TotalsAnswer> {
  const { cells } = state;
  const conversion =
    query.currency === undefined ? undefined : yield* conversionSteps(state, query.currency, options.keepConversion ?? true);
  const wanted = wantedCodes(cells, query.filter);
  const { keyOf, space } = groupKeyer(cells, query.groupBy);
  const signs = stageSigns(query);
  const groups = new Map<number | string, Accumulator>();
  const accumulators: Accumulator[] = [];
  // Each group's place in `accumulators` plus one, by key, when the keys are few enough for an array.
  const dense = space !== undefined && space <= DENSE_KEYS ? new Int32Array(space) : undefined;
  // Each cell's group (its index in `groups`), -1 when left out: for citing rates, and for counting committed and
  // disbursed money by announcement. Neither is needed by a query of announced money without conversion.
  const countsOwners = (signs[COMMITTED] !== 0 || signs[DISBURSED] !== 0) && state.stages.derived.size > 0;
  const groupOfCell = conversion === undefined && !countsOwners ? undefined : new Int32Array(cells.length).fill(-1);
  for (let cell = 0; cell < cells.length; cell += 1) {
    if (cell % CELLS_PER_STEP === 0) yield;
    const sign = signs[cells.stageOf(cell)] as 1 | -1 | 0;
    if (sign === 0 || cells.allocationsOf(cell) === 0 || !matches(cells, cell, wanted, query.filter)) continue;
    const key = keyOf(cell);
    let group: Accumulator | undefined;
    if (dense !== undefined) {
      const place = dense[key as number] as number;
      group = place === 0 ? undefined : accumulators[place - 1];
    } else group = groups.get(key);
    if (group === undefined) {
      group = emptyAccumulator(cell, accumulators.length);
      accumulators.push(group);
      if (dense !== undefined) dense[key as number] = accumulators.length;
      else groups.set(key, group);
    }
    if (groupOfCell !== undefined) groupOfCell[cell] = group.index;
    add(group, cells, cell, conversion, sign);
  }
  // The total is its groups' sum (every cell counted is in exactly one): half the additions of adding each cell twice.
  const total = emptyAccumulator(0);
  for (const group of accumulators) addGroup(total, group);
  if (conversion !== undefined && groupOfCell !== undefined)
    yield* collectRatesUsed(state, conversion, query.currency as CurrencyCode, groupOfCell, accumulators, total);
  const rowsPerCountry = query.groupBy.includes('country') || query.filter.country !== undefined;
  if (countsOwners && groupOfCell !== undefined)
    yield* countStageOwners(state, groupOfCell, accumulators, total, { rows: rowsPerCountry, total: query.filter.country !== undefined });
  const rows: TotalsRow[] = [];
  for (const group of accumulators) {
    if (rows.length % ROWS_PER_STEP === 0) yield;
    const dimensions = Object.fromEntries(query.groupBy.map((dimension) => [dimension, valueOf(cells, group.first, dimension)]));
    rows.push({ ...dimensions, ...figuresOf(group, cells, rowsPerCountry, query.currency) });
  }
  if (query.groupBy.length === 0 && rows.length === 0) rows.push(figuresOf(emptyAccumulator(0), cells, false, query.currency));
  const sorted = yield* sortSteps(rows, compareRows(query.groupBy));
  return { rows: sorted, total: figuresOf(total, cells, query.filter.country !== undefined, query.currency) };
}
