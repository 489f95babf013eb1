// Request and response schemas of the announcement routes.
import { z } from 'zod';
import { ANNOUNCEMENT_EVENT_TYPES } from '../commands/announcement/events.js';
import {
  countryCodeSchema,
  countrySchema,
  decimalStringSchema,
  isoDateSchema,
  moneyJsonSchema,
  moneySchema,
  positionSchema,
  reasonSchema,
  refuseHiddenCharacters,
  revisionSchema,
} from './common.js';

const allocationSchema = z.strictObject({ country: countrySchema, value: decimalStringSchema });

const sourceSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .max(2000)
    .superRefine(refuseHiddenCharacters),
  publisher: z.string().trim().min(1).max(200).superRefine(refuseHiddenCharacters).optional(),
  publishedOn: isoDateSchema.optional(),
});

const tagsSchema = z
  .array(
    z
      .string()
      .superRefine(refuseHiddenCharacters)
      .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,63}$/u, 'tags are 1-64 letters, digits, spaces, dots, dashes or underscores'),
  )
  .max(32);

const titleSchema = z.string().trim().min(1, 'is required').max(500).superRefine(refuseHiddenCharacters);

/** The code of a registered programme; the rules, not the schema, say whether it is one. */
const programmeRefSchema = z.string().min(1).max(64).superRefine(refuseHiddenCharacters);

export const announceBodySchema = z.strictObject({
  id: z.uuid({ error: 'must be a UUID' }).optional(),
  funder: countrySchema,
  programme: programmeRefSchema,
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
    programme: programmeRefSchema.optional(),
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
  limit: z.coerce.number().int().min(1).max(500).default(50).meta({ description: 'Page size' }),
  cursor: z
    .string()
    .max(200)
    .superRefine(refuseHiddenCharacters)
    .optional()
    .meta({ description: 'nextCursor of the previous page, unchanged' }),
  programme: z.string().max(64).superRefine(refuseHiddenCharacters).optional().meta({ description: 'Only this programme (its code)' }),
  country: z
    .union([countrySchema, z.literal('unallocated')])
    .optional()
    .meta({ description: 'Only announcements with money going to this country, or "unallocated"' }),
  funder: countrySchema.optional().meta({ description: 'Only announcements by this funder' }),
  status: z.enum(['active', 'withdrawn']).optional(),
  announcedFrom: isoDateSchema.optional().meta({ description: 'Only announcements made on or after this date' }),
  announcedTo: isoDateSchema.optional().meta({ description: 'Only announcements made on or before this date' }),
});

/** An announcement as the API shows it (presenters.ts): its current fields, status and revision. */
export const announcementSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(['active', 'withdrawn']),
    funder: countryCodeSchema,
    programme: z.string().meta({ description: 'Code of a registered programme', examples: ['oic-supply-chains'] }),
    title: z.string(),
    announcedOn: z.iso.date(),
    amount: moneyJsonSchema,
    country: countryCodeSchema.optional().meta({ description: 'Where the whole amount goes, when it goes to one country' }),
    allocations: z
      .array(z.object({ country: countryCodeSchema, value: decimalStringSchema }))
      .optional()
      .meta({ description: 'Where the amount goes, country by country; the values sum exactly to the amount' }),
    statedEquivalent: moneyJsonSchema.optional().meta({ description: 'The other-currency figure the source quoted; never used in totals' }),
    source: z.object({ url: z.string(), publisher: z.string().optional(), publishedOn: z.iso.date().optional() }).optional(),
    tags: z.array(z.string()).readonly(),
    withdrawalReason: z.string().optional(),
    revision: revisionSchema,
    position: positionSchema
      .optional()
      .meta({ description: 'Global position of the write that produced this answer (write responses only)' }),
  })
  .meta({
    id: 'Announcement',
    description: 'A funding announcement as it currently stands; neither country nor allocations means unallocated',
  });

export const announcementPageSchema = z
  .object({
    items: z.array(announcementSchema),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page' }),
    position: positionSchema,
  })
  .meta({ id: 'AnnouncementPage', description: 'One page of announcements, in the order they were first announced' });

export const announcementHistorySchema = z
  .object({
    id: z.uuid(),
    versions: z.array(
      z.object({
        revision: revisionSchema,
        position: positionSchema,
        inclusionProof: z.string().meta({
          description: 'Path of the proof that this event is in the journal tree (public)',
          examples: ['/audit/proofs/inclusion?position=42'],
        }),
        event: z.enum(ANNOUNCEMENT_EVENT_TYPES),
        eventId: z.string(),
        recordedAt: z.string().meta({ description: 'When the event was recorded (ISO 8601 instant)' }),
        actor: z.string().meta({ description: 'Name of the API key that wrote the event' }),
        correlationId: z.string(),
        reason: z.string().nullable().meta({ description: 'Why it was amended or withdrawn; null for the first version' }),
        changed: z.array(z.string()).meta({ description: 'The fields this event set or changed' }),
        changes: z
          .record(z.string(), z.unknown())
          .optional()
          .meta({ description: 'Amendments only: the changed fields as sent (null removed one)' }),
        state: announcementSchema,
      }),
    ),
  })
  .meta({ id: 'AnnouncementHistory', description: 'Every version of one announcement, oldest first, with the event that made it' });
