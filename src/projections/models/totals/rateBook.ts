// Which exchange rate applies on a date: the latest recorded with effectiveOn on or before it, direct or inverse.
import { exactRate, invertRate, type CurrencyCode, type ExactRate } from '../../../domain/money.js';

/** One recorded rate as the book keeps it: what answers cite (issue 20) as well as what converts. */
export interface RateRecord {
  readonly base: CurrencyCode;
  readonly quote: CurrencyCode;
  readonly effectiveOn: string;
  readonly rate: string;
  readonly source: string;
  /** The global position of the ExchangeRateRecorded event, as text ("42"). */
  readonly position: string;
}

/** The rate that converts on a date, and the record it comes from (used inverted when `inverse`). */
export interface AppliedRate {
  readonly rate: ExactRate;
  readonly record: RateRecord;
  readonly inverse: boolean;
}

/**
 * Rates by pair. For each pair and date only the last rate recorded counts (a later record corrects an earlier one).
 * Converting A to B on a date uses the A->B rate or the inverse of the B->A rate, whichever has the latest
 * effectiveOn on or before the date; on a tie the direct rate wins.
 */
export class RateBook {
  private readonly byPair = new Map<string, Map<string, RateRecord>>();
  private readonly sorted = new Map<string, RateRecord[]>();

  record(record: RateRecord): void {
    const pair = `${record.base}-${record.quote}`;
    const dates = this.byPair.get(pair) ?? new Map<string, RateRecord>();
    dates.set(record.effectiveOn, record);
    this.byPair.set(pair, dates);
    this.sorted.delete(pair);
  }

  private ratesOf(pair: string): RateRecord[] {
    let rates = this.sorted.get(pair);
    if (rates === undefined) {
      rates = [...(this.byPair.get(pair) ?? new Map<string, RateRecord>()).values()].sort((a, b) =>
        a.effectiveOn < b.effectiveOn ? -1 : 1,
      );
      this.sorted.set(pair, rates);
    }
    return rates;
  }

  private latestOnOrBefore(pair: string, date: string): RateRecord | undefined {
    const rates = this.ratesOf(pair);
    let low = 0;
    let high = rates.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((rates[middle] as RateRecord).effectiveOn <= date) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? undefined : rates[low - 1];
  }

  /** Every rate in force, for saving; record() them into a new book to restore it. */
  entries(): RateRecord[] {
    return [...this.byPair.values()].flatMap((dates) => [...dates.values()]);
  }

  /** The exact rate from one currency to another on a date; undefined when none applies (never guessed). */
  rateOn(from: CurrencyCode, to: CurrencyCode, date: string): ExactRate | undefined {
    if (from === to) return { numerator: 1n, denominator: 1n };
    return this.appliedOn(from, to, date)?.rate;
  }

  /** The rate from one currency to another (never the same) on a date, with the record it comes from. */
  appliedOn(from: CurrencyCode, to: CurrencyCode, date: string): AppliedRate | undefined {
    const direct = this.latestOnOrBefore(`${from}-${to}`, date);
    const inverse = this.latestOnOrBefore(`${to}-${from}`, date);
    if (direct !== undefined && (inverse === undefined || direct.effectiveOn >= inverse.effectiveOn))
      return { rate: exactRate(direct.rate), record: direct, inverse: false };
    if (inverse !== undefined) return { rate: invertRate(exactRate(inverse.rate)), record: inverse, inverse: true };
    return undefined;
  }
}
