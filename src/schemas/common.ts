// Shared request and response pieces: money, country codes, dates, positions, problems.
import { z } from 'zod';
import { isCountryCode } from '../domain/countries.js';
import { EARLIEST_DATE, LATEST_DATE, isDateInRange, isIsoDate } from '../domain/dates.js';
import { CURRENCY_CODES, describeAmountProblem, parseAmount, type Money } from '../domain/money.js';
import { forbiddenCharacterProblem } from '../domain/text.js';

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
  .meta({
    description: "Decimal string with at most the currency's minor digits",
    pattern: '^(0|[1-9][0-9]*)(\\.[0-9]+)?$',
    examples: ['30000000.00'],
  });

export const moneyJsonSchema = z
  .strictObject({ value: decimalStringSchema, currency: currencySchema })
  .meta({ id: 'Money', description: 'An amount in one currency, as a decimal string (never a JSON number)' });

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
  // The refinement is what validates; pattern and description only tell the OpenAPI reader.
  .meta({ description: 'ISO 3166-1 alpha-2 country code, or XK (Kosovo)', pattern: '^[A-Z]{2}$', examples: ['GB'] });

export const DATE_RANGE_MESSAGE = `must lie between ${EARLIEST_DATE} and ${LATEST_DATE}`;

/** Every date the API takes: a real calendar date, within the years the ledger accepts (domain/dates.ts). */
export const isoDateSchema = z
  .string()
  .refine(isIsoDate, { message: 'must be a calendar date as YYYY-MM-DD', abort: true })
  .refine(isDateInRange, DATE_RANGE_MESSAGE)
  .meta({ format: 'date', description: `A date from ${EARLIEST_DATE} to ${LATEST_DATE}`, examples: ['2025-03-31'] });

/**
 * The one check on free text (titles, reasons, names, filters): no control character but tab and newline, no
 * bidirectional control; the message names the code point. Chain it with `.superRefine(refuseHiddenCharacters)`.
 */
export function refuseHiddenCharacters(text: string, ctx: z.RefinementCtx): void {
  const problem = forbiddenCharacterProblem(text);
  // No further check of the same text runs: its own messages would only repeat that the text is wrong.
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, continue: false });
}

export const reasonSchema = z
  .string()
  .trim()
  .min(3, 'give a reason of at least 3 characters')
  .max(2000)
  .superRefine(refuseHiddenCharacters);

/** Where a validation error was found, as the problem's `errors[].in` names it. */
const problemFieldSchema = z.object({
  in: z.enum(['body', 'query', 'path', 'header']).optional(),
  field: z.string().meta({ description: 'Path of the offending field, e.g. "amount.value" or "allocations[1].country"' }),
  message: z.string(),
});

export const problemSchema = z
  .object({
    type: z.string().meta({ description: 'A URN naming the kind of problem', examples: ['urn:funding-ledger:problem:validation'] }),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().optional(),
    instance: z.string().optional().meta({ description: 'The request path (and query) that met the problem' }),
    errors: z
      .array(problemFieldSchema)
      .optional()
      .meta({ description: 'Every offending field, when the request was refused for its content' }),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details, sent as application/problem+json' });

/** Output pieces: what the ledger itself writes, so they describe rather than police (no refinements). */
export const positionSchema = z
  .string()
  .regex(/^(0|[1-9][0-9]*)(-(0|[1-9][0-9]*))?$/)
  .meta({ description: 'Global position in the event store (64-bit), as a decimal string; "0" before the first event', examples: ['42'] });

export const revisionSchema = z
  .number()
  .int()
  .min(0)
  .meta({ description: 'Revision of the stream: 0 after its first event', examples: [0] });

export const countryCodeSchema = z
  .string()
  .regex(/^[A-Z]{2}$/)
  .meta({ description: 'ISO 3166-1 alpha-2 country code, or XK (Kosovo)', examples: ['GB'] });
