// formatMinor renders minor units as dinero.js's toDecimal does, for every currency, sign and size: it is written out
// for speed (src/domain/money.ts), and dinero.js stays the definition it is held to.
import fc from 'fast-check';
import { toDecimal } from 'dinero.js';
import { dinero } from 'dinero.js/bigint';
import { describe, expect, it } from 'vitest';
import { CURRENCIES, CURRENCY_CODES, formatMinor } from '../../src/domain/money.js';

/** Sums as queries make them: small, around the minor digits, past 2^53 and 2^64, of either sign, and zero. */
const minor = fc.oneof(
  fc.bigInt({ min: -1000n, max: 1000n }),
  fc.bigInt({ min: -(2n ** 60n), max: 2n ** 60n }),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }),
  fc.constantFrom(0n, 1n, -1n, 9n, 10n, 99n, 100n, 101n, -100n, 2n ** 53n, -(2n ** 53n) - 1n),
);

describe('formatMinor', () => {
  it.each(CURRENCY_CODES)('gives what dinero.js toDecimal gives in %s', (currency) => {
    fc.assert(
      fc.property(minor, (amount) => {
        expect(formatMinor(amount, currency)).toBe(toDecimal(dinero({ amount, currency: CURRENCIES[currency] })));
      }),
      { numRuns: 5000 },
    );
  });
});
