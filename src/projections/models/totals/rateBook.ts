// Which exchange rate applies on a date: the latest recorded with effectiveOn on or before it, direct or inverse.
import { exactRate, invertRate, type CurrencyCode, type ExactRate } from '../../../domain/money.js';

interface DatedRate {
  readonly effectiveOn: string;
  readonly rate: string;
}

/**
 * Rates by pair. For each pair and date only the last rate recorded counts (a later record corrects an earlier one).
 * Converting A to B on a date uses the A->B rate or the inverse of the B->A rate, whichever has the latest
 * effectiveOn on or before the date; on a tie the direct rate wins.
 */
export class RateBook {
  private readonly byPair = new Map<string, Map<string, string>>();
  private readonly sorted = new Map<string, DatedRate[]>();

  record(base: CurrencyCode, quote: CurrencyCode, effectiveOn: string, rate: string): void {
    const pair = `${base}-${quote}`;
    const dates = this.byPair.get(pair) ?? new Map<string, string>();
    dates.set(effectiveOn, rate);
    this.byPair.set(pair, dates);
    this.sorted.delete(pair);
  }

  private ratesOf(pair: string): DatedRate[] {
    let rates = this.sorted.get(pair);
    if (rates === undefined) {
      rates = [...(this.byPair.get(pair) ?? new Map<string, string>()).entries()]
        .map(([effectiveOn, rate]) => ({ effectiveOn, rate }))
        .sort((a, b) => (a.effectiveOn < b.effectiveOn ? -1 : 1));
      this.sorted.set(pair, rates);
    }
    return rates;
  }

  private latestOnOrBefore(pair: string, date: string): DatedRate | undefined {
    const rates = this.ratesOf(pair);
    let low = 0;
    let high = rates.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((rates[middle] as DatedRate).effectiveOn <= date) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? undefined : rates[low - 1];
  }

  /** Every rate in force, for saving; record() them into a new book to restore it. */
  entries(): { base: CurrencyCode; quote: CurrencyCode; effectiveOn: string; rate: string }[] {
    return [...this.byPair].flatMap(([pair, dates]) => {
      const [base, quote] = pair.split('-') as [CurrencyCode, CurrencyCode];
      return [...dates].map(([effectiveOn, rate]) => ({ base, quote, effectiveOn, rate }));
    });
  }

  /** The exact rate from one currency to another on a date; undefined when none applies (never guessed). */
  rateOn(from: CurrencyCode, to: CurrencyCode, date: string): ExactRate | undefined {
    if (from === to) return { numerator: 1n, denominator: 1n };
    const direct = this.latestOnOrBefore(`${from}-${to}`, date);
    const inverse = this.latestOnOrBefore(`${to}-${from}`, date);
    if (direct !== undefined && (inverse === undefined || direct.effectiveOn >= inverse.effectiveOn)) return exactRate(direct.rate);
    if (inverse !== undefined) return invertRate(exactRate(inverse.rate));
    return undefined;
  }
}
