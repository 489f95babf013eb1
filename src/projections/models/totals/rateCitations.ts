// Which recorded exchange rates a converted answer used, per row: derived at query time from the contribution rows
// and the conversion's rate cache, so nothing is kept per cell between queries.
import type { CurrencyCode } from '../../../domain/money.js';
import type { Steps } from '../../../runtime/timeSlice.js';
import { rateKeyOf } from './contribution.js';
import type { AppliedRate } from './rateBook.js';
import type { Conversion, TotalsState } from './state.js';

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
  const targetCode = state.cells.dictionaries.currencies.find(target);
  const width = groups.length + 1;
  const numberOfRate = new Map<AppliedRate, number>();
  const numberOfOrder = new Map<string, number>();
  const citations: Citation[] = [];
  /** By rate number: a byte per group (and the total, last) that used it. */
  const marks: Uint8Array[] = [];
  for (let slot = 0; slot < c.ids.length; slot += 1) {
    if (slot % SLOTS_PER_STEP === 0) yield;
    const count = c.rowCount.get(slot);
    const currency = c.currencies.get(slot);
    if (count === 0 || currency === targetCode) continue;
    const applied = conversion.rates.get(rateKeyOf(currency, c.days.get(slot)));
    if (applied === undefined || applied === null) continue;
    let number = numberOfRate.get(applied);
    if (number === undefined) {
      const citation = citationOf(applied);
      number = numberOfOrder.get(citation.order);
      if (number === undefined) {
        number = citations.length;
        numberOfOrder.set(citation.order, number);
        citations.push(citation);
        marks.push(new Uint8Array(width));
      }
      numberOfRate.set(applied, number);
    }
    const used = marks[number] as Uint8Array;
    const first = c.firstRow.get(slot);
    for (let row = first; row < first + count; row += 1) {
      const index = groupOfCell[c.rowCells.get(row)] as number;
      if (index < 0) continue;
      used[index] = 1;
      used[width - 1] = 1;
    }
  }
  citations.forEach((citation, number) => {
    const used = marks[number] as Uint8Array;
    for (let index = 0; index < groups.length; index += 1)
      if (used[index] === 1) ((groups[index] as RatesUsed).ratesUsed ??= []).push(citation);
    if (used[width - 1] === 1) (total.ratesUsed ??= []).push(citation);
  });
}
