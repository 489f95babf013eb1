// Schemas of the totals routes: groupBy as a comma list of dimensions, filters, currency, read-your-writes; the answer.
import { z } from 'zod';
import { DIMENSIONS, type Dimension } from '../projections/models/totals/state.js';
import type { Moment } from '../projections/runtime/asOf.js';
import { DATE_RANGE, isDateInRange } from '../domain/dates.js';
import { parsePosition } from '../store/position.js';
import { DATE_RANGE_MESSAGE, countrySchema, currencySchema, moneyJsonSchema, positionSchema, refuseHiddenCharacters } from './common.js';

export const groupBySchema = z
  .string()
  .max(200)
  .transform((text, ctx): Dimension[] => {
    const names = text
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    const unknown = names.filter((name) => !(DIMENSIONS as readonly string[]).includes(name));
    if (unknown.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown dimension ${unknown.map((u) => `"${u}"`).join(', ')}; use ${DIMENSIONS.join(', ')}`,
      });
      return z.NEVER;
    }
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: 'custom', message: 'a dimension appears twice' });
      return z.NEVER;
    }
    return names as Dimension[];
  })
  .meta({ description: `Comma-separated dimensions: ${DIMENSIONS.join(', ')}`, examples: ['programme,country'] });

export const positionParamSchema = z
  .string()
  .refine((text) => parsePosition(text) !== undefined, 'must be a position such as "42"')
  .transform((text) => parsePosition(text)!);

const yearSchema = z.coerce
  .number({ error: 'must be a year such as 2025' })
  .int('must be a whole year')
  .min(DATE_RANGE.firstYear, `must be from ${DATE_RANGE.firstYear} to ${DATE_RANGE.lastYear}`)
  .max(DATE_RANGE.lastYear, `must be from ${DATE_RANGE.firstYear} to ${DATE_RANGE.lastYear}`);

export const totalsFilterShape = {
  programme: z.string().max(64).superRefine(refuseHiddenCharacters).optional().meta({ description: 'Only this programme (its code)' }),
  country: z
    .union([countrySchema, z.literal('unallocated')], { error: 'must be an ISO 3166-1 alpha-2 code, XK or unallocated' })
    .optional()
    .meta({ description: 'Only the money going to this country, or "unallocated"' }),
  funder: countrySchema.optional().meta({ description: 'Only announcements by this funder' }),
  yearFrom: yearSchema.optional().meta({ description: 'Only announcements from this calendar year on' }),
  yearTo: yearSchema.optional().meta({ description: 'Only announcements up to this calendar year' }),
};

/** A past moment: a position such as "42", or an ISO 8601 instant with an offset such as "2025-04-02T09:00:00Z". */
export const momentSchema = z
  .string()
  .max(64)
  .transform((text, ctx): Moment => {
    const position = parsePosition(text);
    if (position !== undefined) return { position };
    if (z.iso.datetime({ offset: true }).safeParse(text).success) {
      if (isDateInRange(text)) return { time: new Date(text).toISOString() };
      ctx.addIssue({ code: 'custom', message: DATE_RANGE_MESSAGE });
      return z.NEVER;
    }
    ctx.addIssue({ code: 'custom', message: 'must be a position such as "42" or an ISO 8601 instant such as "2025-04-02T09:00:00Z"' });
    return z.NEVER;
  })
  .meta({
    description: 'Answer as /totals would have right after this position, or after the last event recorded at or before this instant',
    example: '2025-04-02T09:00:00Z',
  });

export const totalsQuerySchema = z.strictObject({
  groupBy: groupBySchema.default([]),
  currency: currencySchema
    .optional()
    .meta({ description: "Also convert every amount into this currency, at the rate in force on each announcement's date" }),
  ...totalsFilterShape,
  minPosition: positionParamSchema
    .optional()
    .meta({ description: 'Read your writes: wait (at most 5 s) until the projections have applied this position, else 503' }),
  asOf: momentSchema.optional(),
});

/** The path names the programme (or country); the other filter stays available. */
export const programmeScopedTotalsQuerySchema = totalsQuerySchema.omit({ programme: true });
export const countryScopedTotalsQuerySchema = totalsQuerySchema.omit({ country: true });

export const countryParamsSchema = z.strictObject({ code: z.union([countrySchema, z.literal('unallocated')]) });

/** The figures of a row or of the grand total (projections/models/totals/query.ts). */
const totalsFiguresShape = {
  count: z.number().int().min(0).meta({ description: 'Announcements contributing (per country when the answer is per country)' }),
  amounts: z.array(moneyJsonSchema).meta({ description: 'Exact sums by original currency; GBP and EUR are never added together' }),
  converted: moneyJsonSchema
    .optional()
    .meta({ description: "With `currency`: the sum converted at the rate in force on each announcement's date" }),
  unconverted: z
    .array(z.uuid())
    .optional()
    .meta({ description: 'With `currency`: announcements left out of `converted` because no rate applied to them' }),
};

export const totalsFiguresSchema = z
  .object(totalsFiguresShape)
  .meta({ id: 'TotalsFigures', description: 'Figures without dimensions: the grand total' });

export const totalsRowSchema = z
  .object({
    programme: z.string().optional(),
    country: z
      .string()
      .optional()
      .meta({ description: 'ISO 3166-1 alpha-2 code, XK, or "unallocated"', examples: ['GB'] }),
    year: z
      .number()
      .int()
      .optional()
      .meta({ description: 'Calendar year of announcedOn', examples: [2025] }),
    fiscalYear: z
      .string()
      .regex(/^[0-9]{4}-[0-9]{2}$/)
      .optional()
      .meta({ description: 'UK financial year (1 April to 31 March) of announcedOn', examples: ['2025-26'] }),
    funder: z.string().optional(),
    currency: currencySchema.optional().meta({ description: 'The original currency' }),
    ...totalsFiguresShape,
  })
  .meta({ id: 'TotalsRow', description: 'One group: a field for each groupBy dimension, then its figures' });

export const totalsResponseSchema = z
  .object({
    position: positionSchema,
    groupBy: z.array(z.enum(DIMENSIONS)),
    currency: currencySchema.nullable().meta({ description: 'The currency asked for conversion; null when none was' }),
    rows: z.array(totalsRowSchema).meta({ description: 'Sorted by their dimension values; one grand-total row when groupBy is empty' }),
    total: totalsFiguresSchema,
  })
  .meta({ id: 'Totals', description: 'Exact totals at one position of the ledger' });
