import { describe, it } from 'vitest';
import { exchangeRateDecider, type ExchangeRateCommand } from '../../src/commands/exchangeRate/decide.js';
import type { ExchangeRateEvent } from '../../src/commands/exchangeRate/events.js';
import { RuleViolationError } from '../../src/domain/errors.js';
import { deciderSpec } from '../support/decider.js';

const spec = deciderSpec(exchangeRateDecider);
const data = { base: 'GBP' as const, quote: 'EUR' as const, rate: '1.1876', effectiveOn: '2025-03-31', source: 'ECB reference rate' };
const record: ExchangeRateCommand = { type: 'RecordExchangeRate', data };
const recorded: ExchangeRateEvent = { type: 'ExchangeRateRecorded', data };

describe('exchange rates', () => {
  it('records a rate as given, a decimal string', () => {
    spec([]).when(record).then([recorded]);
  });

  it('records a correction for the same date, but not the same rate twice', () => {
    spec([recorded])
      .when({ ...record, data: { ...data, rate: '1.1877' } })
      .then([{ type: 'ExchangeRateRecorded', data: { ...data, rate: '1.1877' } }]);
    spec([recorded])
      .when(record)
      .thenThrows(RuleViolationError, /already recorded/);
  });

  it('refuses a pair of one currency and a zero rate', () => {
    spec([])
      .when({ ...record, data: { ...data, quote: 'GBP' } })
      .thenThrows(RuleViolationError);
    spec([])
      .when({ ...record, data: { ...data, rate: '0.0000' } })
      .thenThrows(RuleViolationError);
  });
});
