// The options of each kind of export as schedules (JSON) and the command line give them; /exports/totals.csv takes the /totals query.
import { z } from 'zod';
import { currencySchema } from '../schemas/common.js';
import { basisSchema, groupBySchema, momentSchema, totalsFilterShape } from '../schemas/totals.js';
import type { ExportKind } from '../schemas/csv.js';
import type { ExportRequest } from './request.js';

/** An export request and how its file is written. */
export interface ExportSpec {
  readonly request: ExportRequest;
  readonly bom: boolean;
}

const bomSchema = z.boolean({ error: 'must be true or false' }).default(false);

/** groupBy as a list (["country", "year"]) or as /totals takes it ("country,year"). */
const dimensionListSchema = z
  .union([z.string(), z.array(z.string())], { error: 'must be a list of dimensions such as ["country", "year"]' })
  .transform((value) => (Array.isArray(value) ? value.join(',') : value))
  .pipe(groupBySchema);

const totalsOptionsSchema = z
  .strictObject({
    groupBy: dimensionListSchema.default([]),
    currency: currencySchema.optional(),
    ...totalsFilterShape,
    basis: basisSchema,
    rates: z.boolean({ error: 'must be true or false' }).optional(),
    asOf: momentSchema.optional(),
    bom: bomSchema,
  })
  .transform(({ groupBy, currency, basis, rates, asOf, bom, ...filter }): ExportSpec => ({
    bom,
    request: { kind: 'totals', groupBy, currency, basis, rates, filter, asOf },
  }));

const announcementsOptionsSchema = z
  .strictObject({ bom: bomSchema })
  .transform(({ bom }): ExportSpec => ({ bom, request: { kind: 'announcements' } }));
const eventsOptionsSchema = z.strictObject({ bom: bomSchema }).transform(({ bom }): ExportSpec => ({ bom, request: { kind: 'events' } }));

const OPTIONS_SCHEMAS: Record<ExportKind, z.ZodType<ExportSpec, unknown>> = {
  totals: totalsOptionsSchema,
  announcements: announcementsOptionsSchema,
  events: eventsOptionsSchema,
};

/** Validates the options of one kind of export; issue paths name the option (`groupBy`, `currency`, ...). */
export function parseExportSpec(kind: ExportKind, options: unknown): z.ZodSafeParseResult<ExportSpec> {
  return OPTIONS_SCHEMAS[kind].safeParse(options ?? {});
}
