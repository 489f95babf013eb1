// Exchange-rate decisions: record a rate for a pair of different currencies; a repeat of the rate in force is refused.
import { RuleViolationError } from '../../domain/errors.js';
import type { CurrencyCode } from '../../domain/money.js';
import type { Decider } from '../decider.js';
import { EXCHANGE_RATE_EVENT_TYPES, RATE_PATTERN, type ExchangeRateEvent } from './events.js';
import { currentRates, evolveExchangeRate, initialExchangeRateState, type ExchangeRateState } from './state.js';

export type RecordExchangeRate = {
  readonly type: 'RecordExchangeRate';
  readonly data: { base: CurrencyCode; quote: CurrencyCode; rate: string; effectiveOn: string; source: string };
};

export type ExchangeRateCommand = RecordExchangeRate;

export function decideExchangeRate(state: ExchangeRateState, command: ExchangeRateCommand): ExchangeRateEvent[] {
  const { base, quote, rate, effectiveOn } = command.data;
  if (base === quote)
    throw new RuleViolationError('a rate needs two different currencies', [{ field: 'quote', message: `must differ from base (${base})` }]);
  if (!RATE_PATTERN.test(rate) || /^0(\.0*)?$/.test(rate)) {
    throw new RuleViolationError('the rate must be a positive decimal string', [
      { field: 'rate', message: 'must be a positive decimal string such as "1.1876"' },
    ]);
  }
  const inForce = currentRates(state).find((r) => r.effectiveOn === effectiveOn);
  if (inForce && inForce.rate === rate && inForce.source === command.data.source) {
    throw new RuleViolationError(`this rate is already recorded for ${effectiveOn}`, [{ field: 'rate', message: 'already recorded' }]);
  }
  return [{ type: 'ExchangeRateRecorded', data: { ...command.data } }];
}

export const exchangeRateDecider: Decider<ExchangeRateState, ExchangeRateCommand, ExchangeRateEvent> = {
  initialState: initialExchangeRateState,
  evolve: evolveExchangeRate,
  decide: decideExchangeRate,
  eventTypes: EXCHANGE_RATE_EVENT_TYPES,
};
