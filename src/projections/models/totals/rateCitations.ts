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

/** What a row (or the total) gathers of its rates: the (currency, day) keys of its rows (see contribution.ts rateKeyOf). */
export interface RateKeys {
  readonly rateKeys: Set<number>;
  /** The key added last: rows come slot by slot, so most repeats are caught without touching the set. */
  lastRateKey: number;
}

/** A rate as answers cite it, with the text it sorts by: made once per rate and query, shared by every row citing it. */
interface Citation {
  readonly order: string;
  readonly cited: RateCited;
}

/** The citations of one query, by the applied rate (an object of the conversion's rate cache) they cite. */
export type Citations = Map<AppliedRate, Citation>;

function citationOf(citations: Citations, applied: AppliedRate): Citation {
  let citation = citations.get(applied);
  if (citation === undefined) {
    const { record, inverse } = applied;
    citation = {
      order: `${record.base}|${record.quote}|${record.effectiveOn}|${record.position.padStart(20, '0')}|${inverse ? 1 : 0}`,
      cited: { ...record, ...(inverse && { inverse: true as const }) },
    };
    citations.set(applied, citation);
  }
  return citation;
}

/** The records behind an accumulator's rate keys, each once, sorted by pair, date, position and direction. */
export function ratesCited(accumulator: RateKeys, conversion: Conversion | undefined, citations: Citations): RateCited[] {
  const used = new Map<string, RateCited>();
  for (const key of accumulator.rateKeys) {
    const applied = conversion?.rates.get(key);
    if (applied === undefined || applied === null) continue;
    const { order, cited } = citationOf(citations, applied);
    used.set(order, cited);
  }
  return [...used.keys()].sort().map((order) => used.get(order) as RateCited);
}

/** Contribution slots read between two points where a sliced run may pause. */
const SLOTS_PER_STEP = 2048;

/**
 * Which rates each group's rows were converted at: a pass over the contribution rows, each slot's (currency, day)
 * key going to the groups its rows' cells fell in. Nothing is kept per cell between queries; the records themselves
 * are in the conversion's rate cache, which converting every row filled.
 */
export function* collectRateKeys(
  state: TotalsState,
  conversion: Conversion,
  target: CurrencyCode,
  groupOfCell: Int32Array,
  groups: readonly RateKeys[],
  total: RateKeys,
): Steps<void> {
  const c = state.contributions;
  const targetCode = state.cells.dictionaries.currencies.find(target);
  for (let slot = 0; slot < c.ids.length; slot += 1) {
    if (slot % SLOTS_PER_STEP === 0) yield;
    const count = c.rowCount.get(slot);
    const currency = c.currencies.get(slot);
    if (count === 0 || currency === targetCode) continue;
    const key = rateKeyOf(currency, c.days.get(slot));
    const applied = conversion.rates.get(key);
    if (applied === undefined || applied === null) continue;
    const first = c.firstRow.get(slot);
    for (let row = first; row < first + count; row += 1) {
      const index = groupOfCell[c.rowCells.get(row)] as number;
      if (index < 0) continue;
      const group = groups[index] as RateKeys;
      if (group.lastRateKey !== key) {
        group.lastRateKey = key;
        group.rateKeys.add(key);
      }
      if (total.lastRateKey !== key) {
        total.lastRateKey = key;
        total.rateKeys.add(key);
      }
    }
  }
}
