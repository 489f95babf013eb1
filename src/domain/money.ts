// The one module that owns money: decimal strings <-> integer minor units, via dinero.js (bigint amounts).
import { add, equal, toDecimal, type Dinero } from 'dinero.js';
import { dinero } from 'dinero.js/bigint';
import { EUR, GBP } from 'dinero.js/bigint/currencies';

/** Currencies the ledger accepts. Adding one is one line here (its ISO 4217 definition from dinero.js). */
export const CURRENCIES = { GBP, EUR } as const;

export type CurrencyCode = keyof typeof CURRENCIES;
export const CURRENCY_CODES = Object.keys(CURRENCIES) as [CurrencyCode, ...CurrencyCode[]];

/** 999,999,999,999.99 in any currency's major units: the largest amount one announcement may carry. */
const MAX_MAJOR_UNITS = 999_999_999_999n;

/**
 * Money as events and state hold it: integer minor units (pence, cents) and a currency.
 * `minor` is a JSON-safe integer: the largest accepted amount, 99,999,999,999,999 minor units, is below 2^53.
 */
export interface Money {
  readonly currency: CurrencyCode;
  readonly minor: number;
}

export function isCurrencyCode(code: string): code is CurrencyCode {
  return Object.hasOwn(CURRENCIES, code);
}

export function minorDigitsOf(currency: CurrencyCode): number {
  return Number(CURRENCIES[currency].exponent);
}

export type AmountProblem = 'format' | 'too-many-decimals' | 'not-positive' | 'too-large';

/**
 * Parses a decimal string such as "30000000.00" or "3000000" into minor units.
 * Accepts at most the currency's minor digits; never rounds. Returns the reason when it refuses.
 */
export function parseAmount(value: string, currency: CurrencyCode): Money | AmountProblem {
  const match = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(value);
  if (!match) return 'format';
  const [, whole = '', fraction = ''] = match;
  const digits = minorDigitsOf(currency);
  if (fraction.length > digits) return 'too-many-decimals';
  if (whole.length > 13 || BigInt(whole) > MAX_MAJOR_UNITS) return 'too-large';
  const minor = BigInt(whole + fraction.padEnd(digits, '0'));
  if (minor <= 0n) return 'not-positive';
  return { currency, minor: Number(minor) };
}

/**
 * Parses a signed decimal string such as "-1250.50" (a correction) into minor units: the rules of parseAmount, with
 * an optional leading minus; zero parses (whether it is allowed is the caller's rule).
 */
export function parseSignedAmount(value: string, currency: CurrencyCode): Money | Exclude<AmountProblem, 'not-positive'> {
  const negative = value.startsWith('-');
  const parsed = parseAmount(negative ? value.slice(1) : value, currency);
  if (parsed === 'not-positive') return { currency, minor: 0 };
  if (typeof parsed === 'string') return parsed;
  return negative ? { currency, minor: -parsed.minor } : parsed;
}

export function describeAmountProblem(problem: AmountProblem, currency: CurrencyCode): string {
  const digits = minorDigitsOf(currency);
  switch (problem) {
    case 'format':
      return `must be a decimal string such as "30000000.${'0'.repeat(digits)}"`;
    case 'too-many-decimals':
      return `${currency} has ${digits} minor digits; send at most ${digits} decimals (amounts are never rounded on input)`;
    case 'not-positive':
      return 'must be greater than zero';
    case 'too-large':
      return 'must be at most 999999999999.99';
  }
}

export function toDinero(money: Money): Dinero<bigint> {
  return dinero({ amount: BigInt(money.minor), currency: CURRENCIES[money.currency] });
}

/**
 * Minor units (bigint, for sums that may exceed one announcement) rendered as a decimal string: exactly what dinero.js's
 * toDecimal gives (`test/domain/money.property.test.ts` holds them equal over every size and sign), written out here
 * because a totals answer renders a sum per row and currency, thousands an answer, and through a Dinero object each
 * took about 1.5 microseconds: 3.5 ms of a 9 ms as-of answer by country and year (README "Performance"). Every
 * currency here has a decimal base (`CURRENCIES`), so the digits are the minor units' own, cut `exponent` from the end.
 */
export function formatMinor(minor: bigint, currency: CurrencyCode): string {
  const digits = MINOR_DIGITS[currency];
  const negative = minor < 0n;
  const text = (negative ? -minor : minor).toString().padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  return `${negative ? '-' : ''}${digits === 0 ? whole : `${whole}.${text.slice(text.length - digits)}`}`;
}

/** Each currency's minor digits, read once from its dinero.js definition; formatMinor is for decimal bases only. */
const MINOR_DIGITS = Object.fromEntries(
  CURRENCY_CODES.map((code) => {
    if (CURRENCIES[code].base !== 10n) throw new Error(`formatMinor writes decimal currencies only, not ${code}`);
    return [code, minorDigitsOf(code)];
  }),
) as Record<CurrencyCode, number>;

export function formatAmount(money: Money): string {
  return toDecimal(toDinero(money));
}

/** Exact sum of amounts in one currency; throws if currencies differ (they are never added without a rate). */
export function sumMoney(currency: CurrencyCode, amounts: readonly Money[]): Money {
  let total = dinero({ amount: 0n, currency: CURRENCIES[currency] });
  for (const amount of amounts) {
    if (amount.currency !== currency) throw new Error(`cannot add ${amount.currency} to ${currency} without a rate`);
    total = add(total, toDinero(amount));
  }
  return { currency, minor: Number(total.toJSON().amount) };
}

export function sameMoney(a: Money, b: Money): boolean {
  return a.currency === b.currency && equal(toDinero(a), toDinero(b));
}

/** JSON form at the API edge: `{ "value": "30000000.00", "currency": "GBP" }`. */
export interface MoneyJson {
  readonly value: string;
  readonly currency: CurrencyCode;
}

export function toMoneyJson(money: Money): MoneyJson {
  return { value: formatAmount(money), currency: money.currency };
}

/** An exchange rate as an exact fraction: one unit of `from` buys numerator/denominator units of `to`. */
export interface ExactRate {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** Reads a decimal rate string such as "1.1876" exactly as 11876/10000. */
export function exactRate(rate: string): ExactRate {
  const [whole = '0', fraction = ''] = rate.split('.');
  return { numerator: BigInt(whole + fraction), denominator: 10n ** BigInt(fraction.length) };
}

export function invertRate(rate: ExactRate): ExactRate {
  return { numerator: rate.denominator, denominator: rate.numerator };
}

/** numerator / denominator rounded to the nearest integer, ties to even (banker's rounding); both positive. */
export function divideHalfEven(numerator: bigint, denominator: bigint): bigint {
  const quotient = numerator / denominator;
  const twiceRemainder = (numerator % denominator) * 2n;
  if (twiceRemainder < denominator) return quotient;
  if (twiceRemainder > denominator) return quotient + 1n;
  return quotient % 2n === 0n ? quotient : quotient + 1n;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * convertMinor for an amount held as a number (a safe integer, as every accepted amount is): the same exact result,
 * worked out in doubles when every step is a safe integer (almost always; the quotient of two exact multiples is
 * then exact too), and in bigints otherwise.
 */
export function convertSafeMinor(minor: number, from: CurrencyCode, to: CurrencyCode, rate: ExactRate): number | bigint {
  const shift = minorDigitsOf(to) - minorDigitsOf(from);
  const scale = 10 ** Math.abs(shift);
  if (minor >= 0 && rate.numerator <= MAX_SAFE && rate.denominator <= MAX_SAFE) {
    const numerator = minor * Number(rate.numerator) * (shift > 0 ? scale : 1);
    const denominator = Number(rate.denominator) * (shift < 0 ? scale : 1);
    if (Number.isSafeInteger(minor * Number(rate.numerator)) && Number.isSafeInteger(numerator) && Number.isSafeInteger(denominator)) {
      const remainder = numerator % denominator;
      const quotient = (numerator - remainder) / denominator;
      const twiceRemainder = remainder * 2;
      if (twiceRemainder < denominator) return quotient;
      if (twiceRemainder > denominator) return quotient + 1;
      return quotient % 2 === 0 ? quotient : quotient + 1;
    }
  }
  return convertMinor(BigInt(minor), from, to, rate);
}

/**
 * Converts minor units of `from` into minor units of `to` at an exact rate, rounding half-to-even once,
 * at the end, to the target's minor unit. Both currencies' minor digits are honoured.
 */
export function convertMinor(minor: bigint, from: CurrencyCode, to: CurrencyCode, rate: ExactRate): bigint {
  const shift = BigInt(minorDigitsOf(to) - minorDigitsOf(from));
  const scale = 10n ** (shift < 0n ? -shift : shift);
  const numerator = minor * rate.numerator * (shift > 0n ? scale : 1n);
  const denominator = rate.denominator * (shift < 0n ? scale : 1n);
  return divideHalfEven(numerator, denominator);
}
