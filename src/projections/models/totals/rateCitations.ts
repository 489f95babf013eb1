// Which recorded exchange rates a converted answer used, per row: derived at query time from the contribution rows
// and the conversion's rate cache, so nothing is kept per cell between queries.
import type { CurrencyCode } from '../../../domain/money.js';
import type { Steps } from '../../../runtime/timeSlice.js';
import { rateKeyOf } from './contribution.js';
import type { AppliedRate } from './rateBook.js';
import type { Contributions, Conversion, TotalsState } from './state.js';

/** A recorded exchange rate an answer used, cited with the position of the event that recorded it. */
export interface RateCited {
  base: string;
  quote: string;
  rate: string;
  effectiveOn: string;
  source: string;
  position: string;
  /** Present when the rate was used inverted (converting quote to base). */
  inverse?: true;
}

/** What a row (or the total) gathers of its rates: each recorded rate it used, once (filled by collectRatesUsed). */
export interface RatesUsed {
  ratesUsed?: Citation[];
}

/** A rate as answers cite it, with the text it sorts by: made once per rate and query, shared by every row citing it. */
interface Citation {
  readonly order: string;
  readonly cited: RateCited;
}

function citationOf(applied: AppliedRate): Citation {
  const { record, inverse } = applied;
  return {
    order: `${record.base}|${record.quote}|${record.effectiveOn}|${record.position.padStart(20, '0')}|${inverse ? 1 : 0}`,
    cited: { ...record, ...(inverse && { inverse: true as const }) },
  };
}

/** The records an accumulator used, each once, sorted by pair, date, position and direction. */
export function ratesCited(accumulator: RatesUsed): RateCited[] {
  const used = accumulator.ratesUsed ?? [];
  return [...used].sort((a, b) => (a.order < b.order ? -1 : 1)).map((citation) => citation.cited);
}

/** Contribution slots read between two points where a sliced run may pause. */
const SLOTS_PER_STEP = 4096;

/**
 * Which rates each group's rows were converted at: a pass over the contribution rows, each slot's rate (from the
 * conversion's cache, which converting every row filled) marked for the groups its rows' cells fell in. A rate is
 * numbered once per query by what it cites, and a mark is a byte in that rate's row of marks, so a million rows cost a
 * million array writes, not a million set insertions. Nothing is kept per cell between queries.
 */
export function* collectRatesUsed(
  state: TotalsState,
  conversion: Conversion,
  target: CurrencyCode,
  groupOfCell: Int32Array,
  groups: readonly RatesUsed[],
  total: RatesUsed,
): Steps<void> {
  const c = state.contributions;
  const width = groups.length + 1;
  const known = citationsOf(
    conversion,
    state.cells.dictionaries.currencies.find(target),
    state.cells.dictionaries.currencies.values.length,
  );
  const slots = c.ids.length;
  const marker = new RateMarker(c, groupOfCell, width, known);
  for (let from = 0; from < slots; from += SLOTS_PER_STEP) {
    yield;
    marker.mark(from, Math.min(from + SLOTS_PER_STEP, slots));
  }
  const { citations, marks } = marker;
  // The total cites what any of its groups does (every row counted is in one group); the last place is not a group.
  citations.forEach((citation, number) => {
    const used = marks[number] as Uint8Array;
    let any = false;
    for (let index = 0; index < width - 1; index += 1) {
      if (used[index] === 0) continue;
      ((groups[index] as RatesUsed).ratesUsed ??= []).push(citation);
      any = true;
    }
    if (any) (total.ratesUsed ??= []).push(citation);
  });
}

/** Days from 1900 to 2099, each as (year - 1900) * 372 + (month - 1) * 31 + day - 1: a slot per calendar day and a few spare. */
const DAY_SLOTS = 200 * 372;

/**
 * What a conversion's rates cite, numbered once per conversion and kept with it (a conversion's rate for a currency and
 * day never changes while it lives; a rate recorded makes a new one): each (currency, day)'s citation number, -1 for
 * none, in an array made on first use (days outside 1900-2099 in a map); and each citation, made once. A query then
 * numbers only the citations it meets, instead of looking up and spelling out the rate of every day again.
 */
class ConversionCitations {
  private table: Int32Array | undefined;
  private readonly others = new Map<number, number>();
  readonly citations: Citation[] = [];
  private readonly numberOfOrder = new Map<string, number>();
  private readonly numberOfRate = new Map<AppliedRate, number>();

  constructor(
    private readonly rates: Conversion['rates'],
    private readonly targetCode: number | undefined,
    private readonly currencies: number,
  ) {}

  get(currency: number, day: number): number {
    const index = this.indexOf(currency, day);
    if (index < 0) {
      const key = rateKeyOf(currency, day);
      let number = this.others.get(key);
      if (number === undefined) this.others.set(key, (number = this.resolve(currency, day)));
      return number;
    }
    const table = this.days();
    let number = table[index] as number;
    if (number === -2) table[index] = number = this.resolve(currency, day);
    return number;
  }

  /** Where (currency, day) sits in the table of days, -1 when outside it (days outside 1900-2099, unknown currencies). */
  indexOf(currency: number, day: number): number {
    const yearMonth = (day / 100) | 0;
    const year = (yearMonth / 100) | 0;
    const month = yearMonth - year * 100;
    const date = day - yearMonth * 100;
    if (year < 1900 || year >= 2100 || month < 1 || month > 12 || date < 1 || date > 31 || currency >= this.currencies) return -1;
    return currency * DAY_SLOTS + (year - 1900) * 372 + (month - 1) * 31 + date - 1;
  }

  /** Each (currency, day)'s citation number by indexOf: -1 for none, -2 not yet looked up (get fills it). */
  days(): Int32Array {
    return (this.table ??= new Int32Array(this.currencies * DAY_SLOTS).fill(-2));
  }

  private resolve(currency: number, day: number): number {
    const applied = currency === this.targetCode ? null : this.rates.get(rateKeyOf(currency, day));
    if (applied === undefined || applied === null) return -1;
    let number = this.numberOfRate.get(applied);
    if (number === undefined) {
      const citation = citationOf(applied);
      number = this.numberOfOrder.get(citation.order);
      if (number === undefined) {
        number = this.citations.length;
        this.numberOfOrder.set(citation.order, number);
        this.citations.push(citation);
      }
      this.numberOfRate.set(applied, number);
    }
    return number;
  }
}

/** Each conversion's citations (by its map of rates, which lives exactly as long as it does). */
const conversionCitations = new WeakMap<Conversion['rates'], ConversionCitations>();

function citationsOf(conversion: Conversion, targetCode: number | undefined, currencies: number): ConversionCitations {
  let known = conversionCitations.get(conversion.rates);
  if (known === undefined)
    conversionCitations.set(conversion.rates, (known = new ConversionCitations(conversion.rates, targetCode, currencies)));
  return known;
}

/**
 * The pass of collectRatesUsed over a slice of slots, as a method: V8 does not optimise a loop inside a generator while
 * it runs, and interpreted this pass took most of a converted query.
 */
class RateMarker {
  private readonly days: Uint32Array;
  private readonly currencies: Uint16Array;
  private readonly firstRows: Uint32Array;
  private readonly rowCounts: Uint16Array;
  private readonly rowCells: Uint32Array;
  /** This query's rate numbers by the conversion's citation numbers (-1: not used yet); grown as citations are met. */
  private numberOfCitation = new Int32Array(64).fill(-1);
  /** The citations by this query's rate number. */
  readonly citations: Citation[] = [];
  /** By rate number: a byte per group (and the total, last) that used it. */
  readonly marks: Uint8Array[] = [];

  constructor(
    c: Contributions,
    private readonly groupOfCell: Int32Array,
    private readonly width: number,
    private readonly known: ConversionCitations,
  ) {
    this.days = c.days.array();
    this.currencies = c.currencies.array();
    this.firstRows = c.firstRow.array();
    this.rowCounts = c.rowCount.array();
    this.rowCells = c.rowCells.array();
  }

  /** This query's number for a citation of the conversion's, given on first use. */
  private numberOf(cited: number): number {
    const given = cited < this.numberOfCitation.length ? (this.numberOfCitation[cited] as number) : -1;
    if (given >= 0) return given;
    if (cited >= this.numberOfCitation.length) {
      const grown = new Int32Array(Math.max(cited + 1, this.numberOfCitation.length * 2)).fill(-1);
      grown.set(this.numberOfCitation);
      this.numberOfCitation = grown;
    }
    let number = this.numberOfCitation[cited] as number;
    if (number < 0) {
      number = this.citations.length;
      this.numberOfCitation[cited] = number;
      this.citations.push(this.known.citations[cited] as Citation);
      this.marks.push(new Uint8Array(this.width));
    }
    return number;
  }

  mark(from: number, to: number): void {
    const { groupOfCell, rowCells, rowCounts, currencies, days, firstRows, known } = this;
    const table = known.days();
    /** Rows of cells in no group are marked here, in the total's place, which is worked out from the groups after. */
    const discard = this.width - 1;
    // Slots come roughly in date order, so the last (currency, day) looked up is often the next one's.
    let lastCurrency = -1;
    let lastDay = -1;
    let lastCited = -1;
    let used: Uint8Array | undefined;
    for (let slot = from; slot < to; slot += 1) {
      const count = rowCounts[slot] as number;
      if (count === 0) continue;
      const currency = currencies[slot] as number;
      const day = days[slot] as number;
      if (currency !== lastCurrency || day !== lastDay) {
        // The conversion's table of days, read here (a call per slot cost more than the marking).
        const at = known.indexOf(currency, day);
        let cited = at >= 0 ? (table[at] as number) : -2;
        if (cited === -2) cited = known.get(currency, day);
        if (cited !== lastCited) used = cited < 0 ? undefined : this.marks[this.numberOf(cited)];
        lastCited = cited;
        lastCurrency = currency;
        lastDay = day;
      }
      if (used === undefined) continue;
      const first = firstRows[slot] as number;
      for (let row = first; row < first + count; row += 1) {
        const index = groupOfCell[rowCells[row] as number] as number;
        used[index < 0 ? discard : index] = 1;
      }
    }
  }
}
