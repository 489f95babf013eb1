// Request schemas of the announcement routes.
import { z } from 'zod';
import { countrySchema, decimalStringSchema, isoDateSchema, moneySchema, reasonSchema } from './common.js';

const allocationSchema = z.strictObject({ country: countrySchema, value: decimalStringSchema });

const sourceSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000),
  publisher: z.string().trim().min(1).max(200).optional(),
  publishedOn: isoDateSchema.optional(),
});

const tagsSchema = z
  .array(z.string().regex(/^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u, 'tags are 1-64 letters, digits, spaces, dots, dashes or underscores'))
  .max(32);

const titleSchema = z.string().trim().min(1, 'is required').max(500);

export const announceBodySchema = z.strictObject({
  id: z.uuid({ error: 'must be a UUID' }).optional(),
  funder: countrySchema,
  programme: z.string().min(1).max(64),
  title: titleSchema,
  announcedOn: isoDateSchema,
  amount: moneySchema,
  country: countrySchema.optional(),
  allocations: z.array(allocationSchema).min(1).max(300).optional(),
  statedEquivalent: moneySchema.optional(),
  source: sourceSchema.optional(),
  tags: tagsSchema.default([]),
});
export type AnnounceBody = z.infer<typeof announceBodySchema>;

export const amendBodySchema = z.strictObject({
  changes: z.strictObject({
    funder: countrySchema.optional(),
    programme: z.string().min(1).max(64).optional(),
    title: titleSchema.optional(),
    announcedOn: isoDateSchema.optional(),
    amount: moneySchema.optional(),
    country: countrySchema.nullable().optional(),
    allocations: z.array(allocationSchema).min(1).max(300).nullable().optional(),
    statedEquivalent: moneySchema.nullable().optional(),
    source: sourceSchema.nullable().optional(),
    tags: tagsSchema.optional(),
  }),
  reason: reasonSchema,
});
export type AmendBody = z.infer<typeof amendBodySchema>;

export const withdrawBodySchema = z.strictObject({ reason: reasonSchema });

export const announcementParamsSchema = z.strictObject({ id: z.uuid({ error: 'must be a UUID' }) });

export const listAnnouncementsQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
  programme: z.string().max(64).optional(),
  country: z.union([countrySchema, z.literal('unallocated')]).optional(),
  funder: countrySchema.optional(),
  status: z.enum(['active', 'withdrawn']).optional(),
  announcedFrom: isoDateSchema.optional(),
  announcedTo: isoDateSchema.optional(),
});
