// Query schema of the totals routes: groupBy as a comma list of dimensions, filters, currency, read-your-writes.
import { z } from 'zod';
import { DIMENSIONS, type Dimension } from '../../projections/totals/state.js';
import { parsePosition } from '../../store/position.js';
import { countrySchema, currencySchema } from './common.js';

const groupBySchema = z
  .string()
  .max(200)
  .transform((text, ctx): Dimension[] => {
    const names = text.split(',').map((name) => name.trim()).filter((name) => name !== '');
    const unknown = names.filter((name) => !(DIMENSIONS as readonly string[]).includes(name));
    if (unknown.length > 0) {
      ctx.addIssue({ code: 'custom', message: `unknown dimension ${unknown.map((u) => `"${u}"`).join(', ')}; use ${DIMENSIONS.join(', ')}` });
      return z.NEVER;
    }
    if (new Set(names).size !== names.length) {
      ctx.addIssue({ code: 'custom', message: 'a dimension appears twice' });
      return z.NEVER;
    }
    return names as Dimension[];
  })
  .meta({ description: `Comma-separated dimensions: ${DIMENSIONS.join(', ')}`, example: 'programme,country' });

export const positionParamSchema = z
  .string()
  .refine((text) => parsePosition(text) !== undefined, 'must be a position such as "42"')
  .transform((text) => parsePosition(text)!);

const yearSchema = z.coerce.number({ error: 'must be a year such as 2025' }).int('must be a whole year').min(1900).max(2200);

export const totalsFilterShape = {
  programme: z.string().max(64).optional(),
  country: z.union([countrySchema, z.literal('unallocated')], { error: 'must be an ISO 3166-1 alpha-2 code, XK or unallocated' }).optional(),
  funder: countrySchema.optional(),
  yearFrom: yearSchema.optional(),
  yearTo: yearSchema.optional(),
};

export const totalsQuerySchema = z.strictObject({
  groupBy: groupBySchema.default([]),
  currency: currencySchema.optional(),
  ...totalsFilterShape,
  minPosition: positionParamSchema.optional(),
});

export const scopedTotalsQuerySchema = totalsQuerySchema.omit({ programme: true, country: true });

export const countryParamsSchema = z.strictObject({ code: z.union([countrySchema, z.literal('unallocated')]) });
