// Shared request and response pieces: money, country codes, dates, problems.
import { z } from 'zod';
import { isCountryCode } from '../../domain/countries.js';
import { isIsoDate } from '../../domain/dates.js';
import { CURRENCY_CODES, describeAmountProblem, parseAmount, type Money } from '../../domain/money.js';

export const currencySchema = z.enum(CURRENCY_CODES, { error: `must be one of ${CURRENCY_CODES.join(', ')}` });

/** A decimal string; a JSON number is refused with a hint, because floats cannot carry money exactly. */
export const decimalStringSchema = z
  .string({
    error: (issue) =>
      issue.input === undefined
        ? 'is required'
        : typeof issue.input === 'number'
          ? 'send the amount as a decimal string such as "30000000.00", not a JSON number'
          : 'must be a decimal string such as "30000000.00"',
  })
  .max(32, 'is too long for an amount')
  .meta({ description: 'Decimal string with at most the currency\'s minor digits', example: '30000000.00' });

export const moneyJsonSchema = z.strictObject({ value: decimalStringSchema, currency: currencySchema });

/** Parses `{ value, currency }` into integer minor units; refusals name `value`. */
export const moneySchema = moneyJsonSchema.transform((money, ctx): Money => {
  const parsed = parseAmount(money.value, money.currency);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', path: ['value'], message: describeAmountProblem(parsed, money.currency) });
    return z.NEVER;
  }
  return parsed;
});

export const countrySchema = z
  .string()
  .refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code (upper case) or XK')
  .meta({ example: 'GB' });

export const isoDateSchema = z.string().refine(isIsoDate, 'must be a calendar date as YYYY-MM-DD').meta({ example: '2025-03-31' });

export const reasonSchema = z.string().trim().min(3, 'give a reason of at least 3 characters').max(2000);

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });
