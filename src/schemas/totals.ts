// Schemas of the totals routes: groupBy as a comma list of dimensions, filters, currency, read-your-writes; the answer.
import { z } from 'zod';
import { DIMENSIONS, type Dimension } from '../projections/models/totals/state.js';
import { BASES, QUERY_STAGES, type Stage } from '../projections/models/totals/query.js';
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
  stage: z
    .string()
    .max(100)
    .transform((text, ctx): Stage[] => {
      const names = text.split(',').map((name) => name.trim());
      const unknown = names.filter((name) => !(QUERY_STAGES as readonly string[]).includes(name));
      if (unknown.length > 0 || new Set(names).size !== names.length) {
        ctx.addIssue({ code: 'custom', message: `must be a comma-separated list of distinct stages: ${QUERY_STAGES.join(', ')}` });
        return z.NEVER;
      }
      return names as Stage[];
    })
    .optional()
    .meta({
      description:
        `Only these stages (comma-separated: ${QUERY_STAGES.join(', ')}). Without it: the announced stage alone, or every stage ` +
        'when groupBy has `stage`. Committed and disbursed money falls in the year of its own date',
      examples: ['committed,disbursed'],
    }),
};

export const basisSchema = z
  .enum(BASES, { error: `must be one of ${BASES.join(', ')}` })
  .optional()
  .meta({
    description:
      'announced (the default): face value, as announced. new: less the parts that restate money of earlier announcements ' +
      'still active. Applies to the announced stage only; counts stay the announcement counts',
  });

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
  basis: basisSchema,
  minPosition: positionParamSchema
    .optional()
    .meta({ description: 'Read your writes: wait (at most 5 s) until the projections have applied this position, else 503' }),
  asOf: momentSchema.optional(),
});

/** The path names the programme (or country); the other filter stays available. */
export const programmeScopedTotalsQuerySchema = totalsQuerySchema.omit({ programme: true });
export const countryScopedTotalsQuerySchema = totalsQuerySchema.omit({ country: true });

export const countryParamsSchema = z.strictObject({ code: z.union([countrySchema, z.literal('unallocated')]) });

/** A recorded exchange rate an answer used (RateCited in projections/models/totals/query.ts). */
export const rateCitedSchema = z
  .object({
    base: currencySchema,
    quote: currencySchema,
    rate: z.string().meta({ description: 'One unit of base buys this many of quote', examples: ['1.1876'] }),
    effectiveOn: z.string().meta({ format: 'date' }),
    source: z.string(),
    position: positionSchema.meta({ description: 'Global position of the ExchangeRateRecorded event' }),
    inverse: z.literal(true).optional().meta({ description: 'Present when the rate was used inverted, quote to base (1/rate exactly)' }),
  })
  .meta({ id: 'RateCited', description: 'A recorded exchange rate used for the figures' });

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
  rates: z
    .array(rateCitedSchema)
    .optional()
    .meta({ description: 'With `currency`: every recorded rate used for `converted`, by pair, effectiveOn, position' }),
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
    stage: z.enum(QUERY_STAGES).optional().meta({ description: 'announced, committed or disbursed' }),
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
