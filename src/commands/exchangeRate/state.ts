// Exchange-rate state: every rate recorded for one currency pair, by effective date.
import type { ExchangeRateEvent } from './events.js';

export interface RecordedRate {
  readonly rate: string;
  readonly effectiveOn: string;
  readonly source: string;
}

export interface ExchangeRateState {
  /** Rates in the order recorded; a later record for the same effectiveOn supersedes an earlier one. */
  readonly rates: readonly RecordedRate[];
}

export function initialExchangeRateState(): ExchangeRateState {
  return { rates: [] };
}

export function evolveExchangeRate(state: ExchangeRateState, event: ExchangeRateEvent): ExchangeRateState {
  const { rate, effectiveOn, source } = event.data;
  return { rates: [...state.rates, { rate, effectiveOn, source }] };
}

/** The rate in force for each effective date: the last one recorded for that date. */
export function currentRates(state: ExchangeRateState): RecordedRate[] {
  const byDate = new Map<string, RecordedRate>();
  for (const rate of state.rates) byDate.set(rate.effectiveOn, rate);
  return [...byDate.values()].sort((a, b) => (a.effectiveOn < b.effectiveOn ? -1 : a.effectiveOn > b.effectiveOn ? 1 : 0));
}
