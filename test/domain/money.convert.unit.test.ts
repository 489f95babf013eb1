// Exact conversion: banker's rounding, direct and inverse rates, cross-checked against dinero.js's own convert.
import { convert, halfEven, toSnapshot, transformScale } from 'dinero.js';
import { dinero } from 'dinero.js/bigint';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CURRENCIES,
  convertMinor,
  convertSafeMinor,
  divideHalfEven,
  exactRate,
  invertRate,
  type CurrencyCode,
} from '../../src/domain/money.js';

/** Rates as ExchangeRateRecorded allows them: up to 12 integer and 12 decimal digits, never zero. */
const rates = fc
  .tuple(fc.bigInt({ min: 0n, max: 999_999_999_999n }), fc.option(fc.stringMatching(/^[0-9]{1,12}$/), { nil: undefined }))
  .map(([whole, fraction]) => (fraction === undefined ? whole.toString() : `${whole.toString()}.${fraction}`))
  .filter((rate) => /[1-9]/.test(rate));

const minorAmounts = fc.oneof(fc.bigInt({ min: 0n, max: 1_000n }), fc.bigInt({ min: 0n, max: 99_999_999_999_999n }));
const pairs = fc.constantFrom<[CurrencyCode, CurrencyCode]>(['GBP', 'EUR'], ['EUR', 'GBP']);

/** The same conversion done by dinero.js: convert at the scaled rate, then back to the minor unit, half to even. */
function dineroConvert(minor: bigint, from: CurrencyCode, to: CurrencyCode, rate: string): bigint {
  const [whole = '', fraction = ''] = rate.split('.');
  const converted = convert(dinero({ amount: minor, currency: CURRENCIES[from] }), CURRENCIES[to], {
    [to]: { amount: BigInt(whole + fraction), scale: BigInt(fraction.length) },
  });
  return toSnapshot(transformScale(converted, CURRENCIES[to].exponent, halfEven)).amount;
}

describe('divideHalfEven', () => {
  it('rounds ties to the even neighbour and everything else to the nearest', () => {
    expect(divideHalfEven(5n, 2n)).toBe(2n); // 2.5
    expect(divideHalfEven(7n, 2n)).toBe(4n); // 3.5
    expect(divideHalfEven(12n, 5n)).toBe(2n); // 2.4
    expect(divideHalfEven(13n, 5n)).toBe(3n); // 2.6
    expect(divideHalfEven(1n, 2n)).toBe(0n); // 0.5
    expect(divideHalfEven(3n, 2n)).toBe(2n); // 1.5
    expect(divideHalfEven(0n, 7n)).toBe(0n);
    expect(divideHalfEven(10n, 5n)).toBe(2n);
  });

  it('is within half a unit of the exact quotient, and even on a tie', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 15n }), (n, d) => {
        const q = divideHalfEven(n, d);
        const twiceError = 2n * (q * d - n);
        expect(twiceError <= d && -twiceError <= d).toBe(true);
        if (twiceError === d || -twiceError === d) expect(q % 2n).toBe(0n);
      }),
    );
  });
});

describe('exactRate', () => {
  it('reads decimal rates as exact fractions', () => {
    expect(exactRate('1.1876')).toEqual({ numerator: 11876n, denominator: 10000n });
    expect(exactRate('2')).toEqual({ numerator: 2n, denominator: 1n });
    expect(exactRate('0.000000000001')).toEqual({ numerator: 1n, denominator: 10n ** 12n });
    expect(invertRate(exactRate('1.25'))).toEqual({ numerator: 100n, denominator: 125n });
  });
});

describe('convertMinor', () => {
  it('converts at a direct rate: £30,000,000.00 at 1.1876 is €35,628,000.00', () => {
    expect(convertMinor(3_000_000_000n, 'GBP', 'EUR', exactRate('1.1876'))).toBe(3_562_800_000n);
  });

  it('rounds the converted minor unit half to even, once', () => {
    // 0.05 GBP * 0.5 = 0.025 EUR -> 0.02; 0.07 * 0.5 = 0.035 -> 0.04; 0.03 * 0.5 = 0.015 -> 0.02
    expect(convertMinor(5n, 'GBP', 'EUR', exactRate('0.5'))).toBe(2n);
    expect(convertMinor(7n, 'GBP', 'EUR', exactRate('0.5'))).toBe(4n);
    expect(convertMinor(3n, 'GBP', 'EUR', exactRate('0.5'))).toBe(2n);
  });

  it('converts at the exact inverse of a rate: €4,000,000.00 / 1.1876 is £3,368,137.42', () => {
    // 400,000,000 * 10,000 / 11,876 = 336,813,742.0006... -> 336,813,742
    expect(convertMinor(400_000_000n, 'EUR', 'GBP', invertRate(exactRate('1.1876')))).toBe(336_813_742n);
    // At the inverse of 2, €0.01 is £0.005 -> £0.00 and €0.03 is £0.015 -> £0.02.
    expect(convertMinor(1n, 'EUR', 'GBP', invertRate(exactRate('2')))).toBe(0n);
    expect(convertMinor(3n, 'EUR', 'GBP', invertRate(exactRate('2')))).toBe(2n);
  });

  it('agrees with dinero.js convert + transformScale(halfEven) at direct rates', () => {
    fc.assert(
      fc.property(minorAmounts, pairs, rates, (minor, [from, to], rate) => {
        expect(convertMinor(minor, from, to, exactRate(rate))).toBe(dineroConvert(minor, from, to, rate));
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with dinero.js on ties at direct rates', () => {
    // Rates of k/2 or k/20 on odd amounts land exactly on half a minor unit.
    fc.assert(
      fc.property(minorAmounts, pairs, fc.constantFrom('0.5', '1.5', '2.5', '0.05', '0.15', '1.05'), (minor, [from, to], rate) => {
        expect(convertMinor(minor, from, to, exactRate(rate))).toBe(dineroConvert(minor, from, to, rate));
      }),
    );
  });

  it('at an inverse rate is within half a minor unit of amount / rate, and even on a tie', () => {
    fc.assert(
      fc.property(minorAmounts, pairs, rates, (minor, [from, to], rate) => {
        const { numerator, denominator } = exactRate(rate);
        const converted = convertMinor(minor, from, to, invertRate(exactRate(rate)));
        // exact = minor * denominator / numerator; compare converted * numerator with minor * denominator.
        const twiceError = 2n * (converted * numerator - minor * denominator);
        expect(twiceError <= numerator && -twiceError <= numerator).toBe(true);
        if (twiceError === numerator || -twiceError === numerator) expect(converted % 2n).toBe(0n);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('convertSafeMinor', () => {
  it('gives exactly what convertMinor gives, for every amount and rate, direct or inverse', () => {
    fc.assert(
      fc.property(minorAmounts, rates, pairs, fc.boolean(), (minor, rateText, [from, to], inverse) => {
        const rate = inverse ? invertRate(exactRate(rateText)) : exactRate(rateText);
        const safe = convertSafeMinor(Number(minor), from, to, rate);
        expect(BigInt(safe)).toBe(convertMinor(minor, from, to, rate));
      }),
      { numRuns: 3000 },
    );
  });

  it('rounds ties to even in doubles as in bigints, and moves to bigints when a step would pass 2^53', () => {
    // 5 * 0.5 = 2.5 and 7 * 0.5 = 3.5: ties, to 2 and 4.
    expect(convertSafeMinor(5, 'GBP', 'EUR', exactRate('0.5'))).toBe(2);
    expect(convertSafeMinor(7, 'GBP', 'EUR', exactRate('0.5'))).toBe(4);
    // The largest amount at a 12-digit rate: the product is far past 2^53, so the answer is an exact bigint.
    const big = convertSafeMinor(99_999_999_999_999, 'GBP', 'EUR', exactRate('123456789012.123456789012'));
    expect(typeof big).toBe('bigint');
    expect(big).toBe(convertMinor(99_999_999_999_999n, 'GBP', 'EUR', exactRate('123456789012.123456789012')));
  });
});
