import { describe, expect, it } from 'vitest';
import { formatAmount, formatMinor, parseAmount, sameMoney, sumMoney } from '../../src/domain/money.js';

describe('parseAmount', () => {
  it('reads decimal strings into integer minor units', () => {
    expect(parseAmount('30000000.00', 'GBP')).toEqual({ currency: 'GBP', minor: 3_000_000_000 });
    expect(parseAmount('3000000', 'GBP')).toEqual({ currency: 'GBP', minor: 300_000_000 });
    expect(parseAmount('0.1', 'EUR')).toEqual({ currency: 'EUR', minor: 10 });
    expect(parseAmount('999999999999.99', 'EUR')).toEqual({ currency: 'EUR', minor: 99_999_999_999_999 });
  });

  it('refuses what it cannot take exactly, never rounding', () => {
    expect(parseAmount('1.005', 'GBP')).toBe('too-many-decimals');
    expect(parseAmount('0.00', 'GBP')).toBe('not-positive');
    expect(parseAmount('1000000000000.00', 'GBP')).toBe('too-large');
    for (const bad of ['', '-1', '+1', '1e6', '01', '1.', '.5', '1,000', ' 1', '0x10', 'NaN']) {
      expect(parseAmount(bad, 'GBP'), bad).toBe('format');
    }
  });
});

describe('sums and formatting', () => {
  it('adds in integer minor units, so 0.1 + 0.2 is exactly 0.30', () => {
    const sum = sumMoney('GBP', [
      { currency: 'GBP', minor: 10 },
      { currency: 'GBP', minor: 20 },
    ]);
    expect(formatAmount(sum)).toBe('0.30');
    expect(sameMoney(sum, { currency: 'GBP', minor: 30 })).toBe(true);
  });

  it('never adds two currencies', () => {
    expect(() => sumMoney('GBP', [{ currency: 'EUR', minor: 1 }])).toThrow(/without a rate/);
  });

  it('formats sums beyond 2^53 minor units exactly', () => {
    expect(formatMinor(12_345_678_901_234_567_891n, 'EUR')).toBe('123456789012345678.91');
  });
});
