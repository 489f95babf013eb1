// Read model: every exchange rate recorded, by currency pair.
import { toDomainEvent } from '../../commands/decider.js';
import { EXCHANGE_RATE_EVENT_TYPES, EXCHANGE_RATE_STREAM_PREFIX, type ExchangeRateEvent } from '../../commands/exchangeRate/events.js';
import { evolveExchangeRate, initialExchangeRateState, type ExchangeRateState } from '../../commands/exchangeRate/state.js';
import type { CurrencyCode } from '../../domain/money.js';
import type { Projection } from '../runtime/projection.js';
import { entriesByKey, keptAsItIs } from './mapState.js';

export type ExchangeRatesState = Map<`${CurrencyCode}-${CurrencyCode}`, ExchangeRateState>;

export const exchangeRatesProjection: Projection<ExchangeRatesState> = {
  name: 'exchangeRates',
  canHandle: (event) => event.stream.startsWith(EXCHANGE_RATE_STREAM_PREFIX),
  initialState: () => new Map(),
  snapshot: keptAsItIs<ExchangeRatesState>(),
  describe: entriesByKey,
  evolve(state, event) {
    const domainEvent = toDomainEvent<ExchangeRateEvent>({ eventTypes: EXCHANGE_RATE_EVENT_TYPES }, event);
    const pair = `${domainEvent.data.base}-${domainEvent.data.quote}` as const;
    state.set(pair, evolveExchangeRate(state.get(pair) ?? initialExchangeRateState(), domainEvent));
    return state;
  },
};
