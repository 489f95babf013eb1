// Events of an exchange rate between two currencies (stream fx-{BASE}-{QUOTE}).
import type { CurrencyCode } from '../../domain/money.js';
import type { DomainEvent } from '../decider.js';

/** One unit of `base` buys `rate` units of `quote` from `effectiveOn`. The rate stays a decimal string: never a float. */
export type ExchangeRateRecorded = DomainEvent<
  'ExchangeRateRecorded',
  { base: CurrencyCode; quote: CurrencyCode; rate: string; effectiveOn: string; source: string }
>;

export type ExchangeRateEvent = ExchangeRateRecorded;

export const EXCHANGE_RATE_EVENT_TYPES = ['ExchangeRateRecorded'] as const;

export const EXCHANGE_RATE_STREAM_PREFIX = 'fx-';

export function exchangeRateStream(base: CurrencyCode, quote: CurrencyCode): string {
  return `${EXCHANGE_RATE_STREAM_PREFIX}${base}-${quote}`;
}

/** A positive decimal with up to 12 integer digits and 12 decimals, e.g. "1.1876". */
export const RATE_PATTERN = /^(0|[1-9][0-9]{0,11})(\.[0-9]{1,12})?$/;
