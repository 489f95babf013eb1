// The totals' cells in columns: one row per distinct (programme, funder, currency, period, country, stage), its sum and
// counts in typed arrays, found through an open-addressing hash of its codes. A quarter of a million cells (at a million
// events) are then a few megabytes the garbage collector never walks, and adding an allocation allocates nothing.
import { fiscalYearOf, yearOf } from '../../../domain/dates.js';
import { Dictionary, float64Column, uint8Column, uint32Column, type Column } from '../columns.js';
import { NONE, OpenAddressing } from '../openAddressing.js';
import { addExactly } from './exactSum.js';

type CodeField = 'programmes' | 'funders' | 'currencies' | 'periods' | 'countries';
const CODE_FIELDS: readonly CodeField[] = ['programmes', 'funders', 'currencies', 'periods', 'countries'];
/** Where each code sits among a cell's five, which are stored side by side (one cache line to compare a key). */
const OFFSET: Readonly<Record<CodeField, number>> = { programmes: 0, funders: 1, currencies: 2, periods: 3, countries: 4 };
const STRIDE = CODE_FIELDS.length;

/**
 * What money a cell holds (issue 20). `announced` is the face value; `restated` the part of it that re-announces money
 * of earlier announcements still active (kept positive, subtracted for basis=new, never counted); `committed` and
 * `disbursed` the sums of those events. Codes are fixed: 0 is what every cell was before stages existed.
 */
export const STAGES = ['announced', 'restated', 'committed', 'disbursed'] as const;
export type StageName = (typeof STAGES)[number];
export const ANNOUNCED = 0;
export const RESTATED = 1;
export const COMMITTED = 2;
export const DISBURSED = 3;

/** What a snapshot keeps: the columns as they are, and each dictionary's values (a period is "2025|2024-25"). */
export interface StoredCellTable {
  readonly dictionaries: Record<CodeField, string[]>;
  /** Five codes per cell, in the order of CODE_FIELDS. */
  readonly keys: Uint32Array;
  /** Each cell's stage code (STAGES). */
  readonly stages: Uint8Array;
  readonly allocations: Uint32Array;
  readonly announcements: Uint32Array;
  readonly sums: Float64Array;
  readonly overflow: [number, bigint][];
}

/** The figures of every cell (not its keys): counts and sums, by cell number. */
export interface CellFigures {
  readonly allocations: Uint32Array;
  readonly announcements: Uint32Array;
  readonly sums: Float64Array;
  readonly overflow: readonly (readonly [number, bigint])[];
}

/** A table's columns as arrays (CellTable.columns). */
export interface CellColumns {
  readonly keys: Uint32Array;
  readonly stages: Uint8Array;
  readonly allocations: Uint32Array;
  readonly announcements: Uint32Array;
  readonly sums: Float64Array;
  readonly overflow: ReadonlyMap<number, bigint>;
}

/** Where each code sits among a cell's five in CellColumns.keys. */
export const KEY_OFFSET = OFFSET;
export const KEY_STRIDE = STRIDE;

/** One cell as plain values: for tests and tools; queries read the columns. */
export interface CellView {
  readonly programme: string;
  readonly country: string;
  readonly year: number;
  readonly fiscalYear: string;
  readonly funder: string;
  readonly currency: string;
  readonly stage: StageName;
  readonly minor: bigint;
  readonly allocations: number;
  readonly announcements: number;
}

/** Mixes the codes of a cell into a table index; the stage only when it is not `announced` (the hash of those is as before). */
function hashOf(programme: number, funder: number, currency: number, period: number, country: number, stage: number): number {
  let h = Math.imul(programme ^ 0x9e3779b1, 0x85ebca6b);
  h = Math.imul(h ^ funder ^ (h >>> 15), 0xc2b2ae35);
  h = Math.imul(h ^ currency ^ (h >>> 13), 0x27d4eb2f);
  h = Math.imul(h ^ period ^ (h >>> 16), 0x165667b1);
  h = Math.imul(h ^ country ^ (h >>> 15), 0x85ebca6b);
  if (stage !== ANNOUNCED) h = Math.imul(h ^ stage ^ (h >>> 16), 0x27d4eb2f);
  return (h ^ (h >>> 13)) >>> 0;
}

export class CellTable {
  /** Each dimension's strings, numbered in the order first seen; the code columns hold the numbers. */
  readonly dictionaries: Readonly<Record<CodeField, Dictionary>>;
  private readonly keys: Column<Uint32Array>;
  private readonly stages: Column<Uint8Array>;
  private readonly allocationCounts: Column<Uint32Array>;
  private readonly announcementCounts: Column<Uint32Array>;
  /**
   * Each cell's sum in minor units as a number while it is a safe integer (every allocation is one, so each addition
   * is exact while the result stays safe). A sum that would leave that range moves to `overflow`, exact as bigint.
   */
  private readonly sums: Column<Float64Array>;
  private readonly overflow: Map<number, bigint>;
  private readonly table: OpenAddressing;
  /** Year and fiscal year of each period code, and the period of each date seen: worked out once each. */
  private readonly periodYears: number[] = [];
  private readonly periodFiscalYears: string[] = [];
  private readonly periodOfDate = new Map<string, number>();

  constructor(stored?: StoredCellTable) {
    this.dictionaries = {
      programmes: new Dictionary(stored?.dictionaries.programmes),
      funders: new Dictionary(stored?.dictionaries.funders),
      currencies: new Dictionary(stored?.dictionaries.currencies),
      periods: new Dictionary(stored?.dictionaries.periods),
      countries: new Dictionary(stored?.dictionaries.countries),
    };
    this.keys = uint32Column(stored?.keys);
    this.stages = uint8Column(stored?.stages);
    this.allocationCounts = uint32Column(stored?.allocations);
    this.announcementCounts = uint32Column(stored?.announcements);
    this.sums = float64Column(stored?.sums);
    this.overflow = new Map(stored?.overflow);
    for (const period of this.dictionaries.periods.values) this.notePeriod(period);
    this.table = new OpenAddressing(1024, (cell) => this.hashOfCell(cell), this.length);
  }

  get length(): number {
    return this.sums.length;
  }

  /** The period code of a date ("YYYY-MM-DD"): its calendar year with its fiscal year. */
  periodOf(date: string): number {
    let period = this.periodOfDate.get(date);
    if (period === undefined) {
      const text = `${yearOf(date)}|${fiscalYearOf(date)}`;
      period = this.dictionaries.periods.find(text) ?? this.newPeriod(text);
      this.periodOfDate.set(date, period);
    }
    return period;
  }

  /** The number of the cell with these codes, made (empty) on first sight. */
  numberOf(programme: number, funder: number, currency: number, period: number, country: number, stage = ANNOUNCED): number {
    const hash = hashOf(programme, funder, currency, period, country, stage) | 0;
    const table = this.table;
    for (let cell = table.first(hash); cell !== NONE; cell = table.next(hash)) {
      const key = cell * STRIDE;
      const keys = this.keys;
      if (
        keys.get(key + 4) === country &&
        keys.get(key) === programme &&
        keys.get(key + 1) === funder &&
        keys.get(key + 3) === period &&
        keys.get(key + 2) === currency &&
        this.stages.get(cell) === stage
      ) {
        return cell;
      }
    }
    const cell = this.length;
    this.keys.push(programme);
    this.keys.push(funder);
    this.keys.push(currency);
    this.keys.push(period);
    this.keys.push(country);
    this.stages.push(stage);
    this.allocationCounts.push(0);
    this.announcementCounts.push(0);
    this.sums.push(0);
    table.add(cell, hash, true);
    return cell;
  }

  /** Adds (sign 1) or removes (-1) one allocation of `minor` units; `first` when it is its announcement's first. */
  apply(cell: number, minor: number, sign: 1 | -1, first: boolean): void {
    this.allocationCounts.set(cell, this.allocationCounts.get(cell) + sign);
    if (first) this.announcementCounts.set(cell, this.announcementCounts.get(cell) + sign);
    addExactly(this.sums.array(), this.overflow, cell, sign * minor);
  }

  /**
   * apply() over figures held as plain arrays (a past state's, being rebuilt from the history of the totals): the same
   * arithmetic, the sum going on as a bigint in `overflow` past 2^53. `cells`, `minors` and `flags` are one change each
   * (flags: 1 for a removal, 2 for an announcement's first allocation).
   */
  static applyToFigures(
    figures: { readonly allocations: Uint32Array; readonly announcements: Uint32Array; readonly sums: Float64Array },
    overflow: Map<number, bigint>,
    cell: number,
    minor: number,
    flags: number,
  ): void {
    const sign = flags & 1 ? -1 : 1;
    figures.allocations[cell] = (figures.allocations[cell] as number) + sign;
    if (flags & 2) figures.announcements[cell] = (figures.announcements[cell] as number) + sign;
    addExactly(figures.sums, overflow, cell, sign * minor);
  }

  /** A cell's sum as a number when it is one (almost always), else as a bigint: for adding many without allocating. */
  sumOf(cell: number): number | bigint {
    const sum = this.sums.get(cell);
    if (this.overflow.size === 0) return sum;
    const over = this.overflow.get(cell);
    return over === undefined ? sum : over + BigInt(sum);
  }

  minorOf(cell: number): bigint {
    const sum = this.sumOf(cell);
    return typeof sum === 'bigint' ? sum : BigInt(sum);
  }

  allocationsOf(cell: number): number {
    return this.allocationCounts.get(cell);
  }

  announcementsOf(cell: number): number {
    return this.announcementCounts.get(cell);
  }

  /**
   * The columns themselves, for a query's walk over every cell: `keys` holds five codes per cell (programmes, funders,
   * currencies, periods, countries); `overflow` the bigint part of the sums past 2^53. Read them before anything is
   * added: a column that grows is replaced.
   */
  columns(): CellColumns {
    return {
      keys: this.keys.array(),
      stages: this.stages.array(),
      allocations: this.allocationCounts.array(),
      announcements: this.announcementCounts.array(),
      sums: this.sums.array(),
      overflow: this.overflow,
    };
  }

  /** A cell's code for one dimension; `periods` codes map to years through yearOfPeriod and fiscalYearOfPeriod. */
  codeOf(cell: number, field: CodeField): number {
    return this.keys.get(cell * STRIDE + OFFSET[field]);
  }

  /** A cell's stage code (STAGES). */
  stageOf(cell: number): number {
    return this.stages.get(cell);
  }

  yearOfPeriod(period: number): number {
    return this.periodYears[period] as number;
  }

  fiscalYearOfPeriod(period: number): string {
    return this.periodFiscalYears[period] as string;
  }

  view(cell: number): CellView {
    const text = (field: CodeField) => this.dictionaries[field].valueOf(this.codeOf(cell, field));
    const period = this.codeOf(cell, 'periods');
    return {
      programme: text('programmes'),
      country: text('countries'),
      year: this.yearOfPeriod(period),
      fiscalYear: this.fiscalYearOfPeriod(period),
      funder: text('funders'),
      currency: text('currencies'),
      stage: STAGES[this.stageOf(cell)] as StageName,
      minor: this.minorOf(cell),
      allocations: this.allocationsOf(cell),
      announcements: this.announcementsOf(cell),
    };
  }

  /**
   * Each cell's figures as they stand, what the history of the totals keeps at a base (projections/history/): views, not
   * copies (the overflow is copied), to be written at once, before the table changes.
   */
  figureViews(): CellFigures {
    return {
      allocations: this.allocationCounts.used(),
      announcements: this.announcementCounts.used(),
      sums: this.sums.used(),
      overflow: [...this.overflow],
    };
  }

  /**
   * The same cells with other figures (as they stood at a past moment, one per cell of this table: cells made since are
   * empty in them). The keys, dictionaries and hash are shared with this table, so the view costs only its figures, and
   * takes the arrays as they are. A view is read and given to apply(); numberOf() on it would change the shared keys.
   */
  withFigures(figures: CellFigures): CellTable {
    const view = Object.create(CellTable.prototype) as CellTable;
    Object.assign(view, {
      dictionaries: this.dictionaries,
      keys: this.keys,
      stages: this.stages,
      table: this.table,
      periodYears: this.periodYears,
      periodFiscalYears: this.periodFiscalYears,
      periodOfDate: this.periodOfDate,
      allocationCounts: uint32Column(figures.allocations),
      announcementCounts: uint32Column(figures.announcements),
      sums: float64Column(figures.sums),
      overflow: new Map(figures.overflow),
    });
    return view;
  }

  toStored(): StoredCellTable {
    const dictionaries = Object.fromEntries(CODE_FIELDS.map((field) => [field, [...this.dictionaries[field].values]])) as Record<
      CodeField,
      string[]
    >;
    return {
      dictionaries,
      keys: this.keys.toArray(),
      stages: this.stages.toArray(),
      allocations: this.allocationCounts.toArray(),
      announcements: this.announcementCounts.toArray(),
      sums: this.sums.toArray(),
      overflow: [...this.overflow],
    };
  }

  private newPeriod(text: string): number {
    const period = this.dictionaries.periods.codeOf(text);
    this.notePeriod(text);
    return period;
  }

  private notePeriod(text: string): void {
    const bar = text.indexOf('|');
    this.periodYears.push(Number(text.slice(0, bar)));
    this.periodFiscalYears.push(text.slice(bar + 1));
  }

  private hashOfCell(cell: number): number {
    const key = cell * STRIDE;
    const keys = this.keys;
    return hashOf(keys.get(key), keys.get(key + 1), keys.get(key + 2), keys.get(key + 3), keys.get(key + 4), this.stages.get(cell)) | 0;
  }
}
