// Totals queries: filter cells, group them by any combination of dimensions, sum exactly, convert on request.
import { formatMinor, type CurrencyCode, type MoneyJson } from '../../../domain/money.js';
import { runAtOnce, type Steps } from '../../../runtime/timeSlice.js';
import { sortSteps } from '../../../runtime/sortSteps.js';
import { conversionSteps } from './projection.js';
import { ANNOUNCED, COMMITTED, DISBURSED, KEY_OFFSET, KEY_STRIDE, RESTATED, STAGES, type CellColumns, type CellTable } from './cells.js';
import { countStageOwners, type StageOwners } from './stageCounts.js';
import { collectRatesUsed, ratesCited, type RateCited, type RatesUsed } from './rateCitations.js';
import { ExactSum } from './exactSum.js';
import { scratch, view, type ScratchPool } from '../../../runtime/scratch.js';
import type { ConvertedCells } from './convertedCells.js';
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
  /** Made on first use: most groups of most queries have none (a Set per group was much of a query's garbage). */
  unconverted?: Set<string>;
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

/** One grouping dimension as numbers: where a cell's code is read, and each code's index among the values shown. */
interface KeyPart {
  /** The stage column, or one of the five codes (its offset among them). */
  readonly source: 'stage' | number;
  /** By code: the index of the value rows show for it (a year for a period, announced for a restated stage). */
  readonly indexOf: Int32Array;
  readonly radix: number;
}

/**
 * Each grouping dimension as a table from a cell's code to small whole numbers, so a group's key is those numbers
 * combined (while that stays exact). `space` is how many keys there can be.
 */
function keyParts(cells: CellTable, groupBy: readonly Dimension[]): { readonly parts: readonly KeyPart[]; readonly space: number } {
  const periods = cells.dictionaries.periods.values.length;
  const indexOfPeriod = (of: (period: number) => string | number): KeyPart => {
    const seen = new Map<string | number, number>();
    const indexOf = Int32Array.from({ length: periods }, (_, period) => {
      const value = of(period);
      let index = seen.get(value);
      if (index === undefined) {
        index = seen.size;
        seen.set(value, index);
      }
      return index;
    });
    return { source: KEY_OFFSET.periods, indexOf, radix: seen.size };
  };
  const parts = groupBy.map((dimension): KeyPart => {
    if (dimension === 'stage')
      return { source: 'stage', indexOf: Int32Array.from(STAGES, (_, code) => shownStage(code)), radix: STAGES.length };
    if (dimension === 'year') return indexOfPeriod((period) => cells.yearOfPeriod(period));
    if (dimension === 'fiscalYear') return indexOfPeriod((period) => cells.fiscalYearOfPeriod(period));
    const field = FIELDS[dimension];
    const codes = cells.dictionaries[field].values.length;
    return { source: KEY_OFFSET[field], indexOf: Int32Array.from({ length: codes }, (_, code) => code), radix: codes };
  });
  return { parts, space: parts.reduce((product, part) => product * Math.max(part.radix, 1), 1) };
}

/** Every cell's group key for one grouping, as far as it was worked out, and the radices it was worked out with. */
interface KeysOfGrouping {
  readonly radices: string;
  keys: Float64Array;
  length: number;
}

/** Groupings whose keys are kept, per ledger: a dashboard asks a handful over and over, live and past. */
const GROUPINGS_KEPT = 8;

/**
 * Each ledger's kept keys, found by its cells' dictionaries (shared by the live table and every past view of it, and
 * dropped with them). A cell's codes never change, so its key stays right while no dimension gains a value (which
 * changes a radix: then the keys are worked out again).
 */
const keptKeys = new WeakMap<object, Map<string, KeysOfGrouping>>();

/**
 * Every cell's group key for `parts`: kept per grouping and extended to cells added since, so a query over a past state
 * or an unchanged live one does not work them out again. The array may be longer than the table; it is only read.
 */
function cellKeys(cells: CellTable, columns: CellColumns, groupBy: readonly Dimension[], parts: readonly KeyPart[]): Float64Array {
  let kept = keptKeys.get(cells.dictionaries);
  if (kept === undefined) keptKeys.set(cells.dictionaries, (kept = new Map<string, KeysOfGrouping>()));
  const name = groupBy.join(',');
  const radices = parts.map((part) => part.radix).join(',');
  let entry = kept.get(name);
  if (entry === undefined || entry.radices !== radices) entry = { radices, keys: new Float64Array(0), length: 0 };
  // Most recently used last, so the first is the one to drop.
  kept.delete(name);
  kept.set(name, entry);
  if (kept.size > GROUPINGS_KEPT) kept.delete(kept.keys().next().value as string);
  const length = cells.length;
  if (entry.length >= length) return entry.keys;
  if (entry.keys.length < length) {
    // A new array rather than a grown one: a query still reading the old one keeps what it read.
    const keys = new Float64Array(Math.max(length, Math.ceil(entry.keys.length * 1.5)));
    keys.set(entry.keys.subarray(0, entry.length));
    entry.keys = keys;
  }
  const { keys } = entry;
  keys.fill(0, entry.length, length);
  for (const { source, indexOf, radix } of parts) {
    if (source === 'stage')
      for (let cell = entry.length; cell < length; cell += 1)
        keys[cell] = (keys[cell] as number) * radix + (indexOf[columns.stages[cell] as number] as number);
    else
      for (let cell = entry.length; cell < length; cell += 1)
        keys[cell] = (keys[cell] as number) * radix + (indexOf[columns.keys[cell * KEY_STRIDE + source] as number] as number);
  }
  entry.length = length;
  return keys;
}

/**
 * How a group is found from its key: through an array while the key space is at most `dense`, else a map of the key
 * as a number while it is at most `exact`, else a map of the key as text. Tests lower them to take every path.
 */
export interface KeySpaces {
  readonly dense: number;
  readonly exact: number;
}

const KEY_SPACES: KeySpaces = { dense: 1 << 20, exact: Number.MAX_SAFE_INTEGER };

/** Adds a group's figures to the total: the same exact sums as adding its cells to it one by one. */
function addGroup(total: Accumulator, group: Accumulator): void {
  group.sums.forEach((sum, currency) => (total.sums[currency] ??= new ExactSum()).addSum(sum));
  total.allocations += group.allocations;
  total.announcements += group.announcements;
  total.converted.addSum(group.converted);
  if (group.unconverted !== undefined) for (const id of group.unconverted) (total.unconverted ??= new Set()).add(id);
}

const FIELDS = { programme: 'programmes', country: 'countries', funder: 'funders', currency: 'currencies' } as const;

/** A stage code as answers show it: a restated part belongs to the announced stage (it is subtracted there). */
function shownStage(stage: number): number {
  return stage === RESTATED ? ANNOUNCED : stage;
}

function stageOf(cells: CellTable, cell: number): number {
  return shownStage(cells.stageOf(cell));
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
  };
}

/** A sum kept as a number while it is a safe integer (as ExactSum), its excess in `big` by the same index. */
function addExact(small: number[], big: Map<number, bigint>, index: number, term: number): void {
  const next = (small[index] as number) + term;
  if (Number.isSafeInteger(next)) small[index] = next;
  else {
    big.set(index, (big.get(index) ?? 0n) + BigInt(small[index] as number) + BigInt(term));
    small[index] = 0;
  }
}

function exactOf(small: number, big: bigint | undefined): ExactSum {
  const sum = new ExactSum();
  sum.add(small);
  if (big !== undefined) sum.add(big);
  return sum;
}

/**
 * Sums the cells a query takes into their groups: one pass over the columns, the figures in flat arrays by group
 * (a group's sums by currency code side by side), then an Accumulator per group. Every sum is exact: a number while
 * it stays a safe integer, then a bigint, as ExactSum adds. Groups are in the order their first cell comes.
 *
 * The pass is a method called per slice of cells, not a loop in a generator: V8 does not optimise a loop inside a
 * generator while it runs, and interpreted it took ten times as long (80 ns a cell).
 */
class CellGrouping {
  private readonly columns: CellColumns;
  private readonly currencies: number;
  private readonly filtered: boolean;
  private readonly wanted: WantedCodes;
  private readonly parts: readonly KeyPart[];
  private readonly keys: Float64Array | undefined;
  /** Each group's number plus one by key, in an array when the keys are few, else in a map. */
  private readonly dense: Int32Array | undefined;
  private readonly sparse = new Map<number | string, number>();
  private readonly converted: ReturnType<ConvertedCells['columns']> | undefined;
  readonly groupOfCell: Int32Array;
  private readonly firsts: number[] = [];
  private readonly sums: number[] = [];
  private readonly bigSums = new Map<number, bigint>();
  private readonly allocations: number[] = [];
  private readonly announcements: number[] = [];
  private readonly convertedSums: number[] = [];
  private readonly bigConverted = new Map<number, bigint>();

  constructor(
    private readonly cells: CellTable,
    private readonly query: TotalsQuery,
    conversion: Conversion | undefined,
    private readonly signs: readonly (1 | -1 | 0)[],
    private readonly pool: ScratchPool,
    keySpaces: KeySpaces,
  ) {
    this.columns = cells.columns();
    this.currencies = Math.max(cells.dictionaries.currencies.values.length, 1);
    this.filtered = [query.filter.programme, query.filter.country, query.filter.funder, query.filter.yearFrom, query.filter.yearTo].some(
      (value) => value !== undefined,
    );
    this.wanted = wantedCodes(cells, query.filter);
    const { parts, space } = keyParts(cells, query.groupBy);
    this.parts = parts;
    this.keys = space <= keySpaces.exact ? cellKeys(cells, this.columns, query.groupBy, parts) : undefined;
    this.dense = space <= keySpaces.dense ? new Int32Array(space) : undefined;
    this.converted = conversion?.cells.columns();
    this.groupOfCell = view(pool, Int32Array, cells.length).fill(-1);
  }

  /** Takes cells `from` to `to` (exclusive) into their groups. */
  add(from: number, to: number): void {
    if (this.keys !== undefined && this.dense !== undefined && !this.filtered) this.addByArray(from, to, this.keys, this.dense);
    else this.addAny(from, to);
  }

  /**
   * add() for the common query (no filter, a key space small enough for an array): the same steps, with every value
   * of one type, so V8 keeps the loop to typed-array reads and number arithmetic. The steps are written out in both
   * loops on purpose: with them in one method both called, as-of answers were about 10% slower (bench --only asof,
   * the two builds run in turn).
   */
  private addByArray(from: number, to: number, keys: Float64Array, dense: Int32Array): void {
    const { stages, sums: cellSums, allocations: cellAllocations, announcements: cellAnnouncements, keys: codes } = this.columns;
    const { signs, converted, currencies, groupOfCell, sums, allocations, announcements } = this;
    const convertedSums = converted === undefined ? undefined : converted.sums;
    const convertedLength = converted === undefined ? 0 : converted.length;
    for (let cell = from; cell < to; cell += 1) {
      const stage = stages[cell] as number;
      const sign = signs[stage] as number;
      if (sign === 0 || cellAllocations[cell] === 0) continue;
      const key = keys[cell] as number;
      let group = dense[key] as number;
      if (group === 0) group = this.newGroup(cell, key);
      const index = group - 1;
      groupOfCell[cell] = index;
      const at = index * currencies + (codes[cell * KEY_STRIDE + KEY_OFFSET.currencies] as number);
      const sum = (sums[at] as number) + sign * (cellSums[cell] as number);
      if (Number.isSafeInteger(sum)) sums[at] = sum;
      else addExact(sums, this.bigSums, at, sign * (cellSums[cell] as number));
      if (sign === 1 && stage === ANNOUNCED) {
        allocations[index] = (allocations[index] as number) + (cellAllocations[cell] as number);
        announcements[index] = (announcements[index] as number) + (cellAnnouncements[cell] as number);
      }
      if (convertedSums !== undefined && cell < convertedLength)
        addExact(this.convertedSums, this.bigConverted, index, sign * (convertedSums[cell] as number));
    }
  }

  private addAny(from: number, to: number): void {
    const { stages, sums: cellSums, allocations: cellAllocations, announcements: cellAnnouncements, keys: codes } = this.columns;
    const { signs, keys, dense, converted, currencies, groupOfCell } = this;
    for (let cell = from; cell < to; cell += 1) {
      const stage = stages[cell] as number;
      const sign = signs[stage] as 1 | -1 | 0;
      if (sign === 0 || cellAllocations[cell] === 0) continue;
      if (this.filtered && !matches(this.cells, cell, this.wanted, this.query.filter)) continue;
      const key = keys === undefined ? this.parts.map((part) => keyPartOf(this.columns, cell, part)).join(',') : (keys[cell] as number);
      let group = (dense === undefined ? this.sparse.get(key) : dense[key as number]) ?? 0;
      if (group === 0) group = this.newGroup(cell, key);
      const index = group - 1;
      groupOfCell[cell] = index;
      addExact(
        this.sums,
        this.bigSums,
        index * currencies + (codes[cell * KEY_STRIDE + KEY_OFFSET.currencies] as number),
        sign * (cellSums[cell] as number),
      );
      // A restated part (sign -1) is money of the announcements already counted in the announced cell beside it;
      // committed and disbursed money is counted by announcement afterwards (stageCounts.ts).
      if (sign === 1 && stage === ANNOUNCED) {
        this.allocations[index] = (this.allocations[index] as number) + (cellAllocations[cell] as number);
        this.announcements[index] = (this.announcements[index] as number) + (cellAnnouncements[cell] as number);
      }
      if (converted !== undefined && cell < converted.length)
        addExact(this.convertedSums, this.bigConverted, index, sign * (converted.sums[cell] as number));
    }
  }

  /** The groups' accumulators, once every cell is added: with the few sums past 2^53 and the announcements not converted. */
  accumulators(): Accumulator[] {
    const { columns, groupOfCell, currencies, converted } = this;
    const signOf = (cell: number): bigint => BigInt(this.signs[columns.stages[cell] as number] as number);
    for (const [cell, over] of columns.overflow) {
      const index = groupOfCell[cell] as number;
      if (index < 0) continue;
      const at = index * currencies + (columns.keys[cell * KEY_STRIDE + KEY_OFFSET.currencies] as number);
      this.bigSums.set(at, (this.bigSums.get(at) ?? 0n) + signOf(cell) * over);
    }
    const accumulators = this.firsts.map((first, index) => {
      const accumulator = emptyAccumulator(first, index);
      for (let currency = 0; currency < currencies; currency += 1) {
        const at = index * currencies + currency;
        const small = this.sums[at] as number;
        const big = this.bigSums.get(at);
        if (small !== 0 || big !== undefined) accumulator.sums[currency] = exactOf(small, big);
      }
      accumulator.allocations = this.allocations[index] as number;
      accumulator.announcements = this.announcements[index] as number;
      return accumulator;
    });
    if (converted === undefined) return accumulators;
    for (const [cell, over] of converted.overflow) {
      const index = groupOfCell[cell] as number;
      if (index >= 0) this.bigConverted.set(index, (this.bigConverted.get(index) ?? 0n) + signOf(cell) * over);
    }
    accumulators.forEach((accumulator, index) => {
      accumulator.converted.add(this.convertedSums[index] as number);
      const big = this.bigConverted.get(index);
      if (big !== undefined) accumulator.converted.add(big);
    });
    for (const [cell, ids] of converted.unconverted) {
      const index = groupOfCell[cell] as number;
      if (index < 0) continue;
      const accumulator = accumulators[index] as Accumulator;
      for (const id of ids.keys()) (accumulator.unconverted ??= new Set()).add(id);
    }
    return accumulators;
  }

  /** Hands its arrays back to the pool: after the query has read groupOfCell for the last time. */
  release(): void {
    this.pool.give(this.groupOfCell.buffer as ArrayBuffer);
  }

  private newGroup(cell: number, key: number | string): number {
    this.firsts.push(cell);
    const group = this.firsts.length;
    if (this.dense === undefined) this.sparse.set(key, group);
    else this.dense[key as number] = group;
    for (let currency = 0; currency < this.currencies; currency += 1) this.sums.push(0);
    this.allocations.push(0);
    this.announcements.push(0);
    this.convertedSums.push(0);
    return group;
  }
}

function* groupCells(
  cells: CellTable,
  query: TotalsQuery,
  conversion: Conversion | undefined,
  signs: readonly (1 | -1 | 0)[],
  options: { readonly pool?: ScratchPool; readonly keySpaces?: KeySpaces },
): Steps<{ readonly accumulators: Accumulator[]; readonly grouping: CellGrouping }> {
  const grouping = new CellGrouping(cells, query, conversion, signs, options.pool ?? scratch, options.keySpaces ?? KEY_SPACES);
  for (let from = 0; from < cells.length; from += CELLS_PER_STEP) {
    yield;
    grouping.add(from, Math.min(from + CELLS_PER_STEP, cells.length));
  }
  return { accumulators: grouping.accumulators(), grouping };
}

function keyPartOf(columns: CellColumns, cell: number, part: KeyPart): number {
  const code = part.source === 'stage' ? columns.stages[cell] : columns.keys[cell * KEY_STRIDE + part.source];
  return part.indexOf[code as number] as number;
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
      unconverted: [...(accumulator.unconverted ?? [])].sort(),
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

export function queryTotals(
  state: TotalsState,
  query: TotalsQuery,
  options: { readonly pool?: ScratchPool; readonly keySpaces?: KeySpaces } = {},
): TotalsAnswer {
  return runAtOnce(totalsQuerySteps(state, query, options));
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
  options: { readonly keepConversion?: boolean; readonly pool?: ScratchPool; readonly keySpaces?: KeySpaces } = {},
): Steps<TotalsAnswer> {
  const { cells } = state;
  const conversion =
    query.currency === undefined ? undefined : yield* conversionSteps(state, query.currency, options.keepConversion ?? true);
  const signs = stageSigns(query);
  const countsOwners = (signs[COMMITTED] !== 0 || signs[DISBURSED] !== 0) && state.stages.derived.size > 0;
  const { accumulators, grouping } = yield* groupCells(cells, query, conversion, signs, options);
  const { groupOfCell } = grouping;
  // The total is its groups' sum (every cell counted is in exactly one): half the additions of adding each cell twice.
  const total = emptyAccumulator(0);
  for (const group of accumulators) addGroup(total, group);
  if (conversion !== undefined)
    yield* collectRatesUsed(state, conversion, query.currency as CurrencyCode, groupOfCell, accumulators, total);
  const rowsPerCountry = query.groupBy.includes('country') || query.filter.country !== undefined;
  if (countsOwners)
    yield* countStageOwners(state, groupOfCell, accumulators, total, { rows: rowsPerCountry, total: query.filter.country !== undefined });
  // Nothing reads groupOfCell after this. (A run abandoned before here leaves its arrays to the collector.)
  grouping.release();
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
