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

/** A part of the amount that re-announces money of an earlier announcement, in this announcement's currency. */
const restatementSchema = z
  .strictObject({
    announcement: z.uuid({ error: 'must be a UUID' }).meta({ description: 'The id of the earlier announcement' }),
    value: decimalStringSchema.meta({ description: "The part of this announcement's amount that restates it, in this currency" }),
  })
  .meta({ id: 'Restatement' });

const restatesSchema = z.array(restatementSchema).min(1).max(100);

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
  restates: restatesSchema
    .optional()
    .meta({ description: 'Parts of the amount that re-announce money of earlier announcements (each at most what others do not restate)' }),
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
    restates: z
      .array(restatementSchema)
      .max(100)
      .nullable()
      .optional()
      .meta({ description: 'The restated parts in full; null or [] restates nothing any more' }),
  }),
  reason: reasonSchema,
});
export type AmendBody = z.infer<typeof amendBodySchema>;

export const withdrawBodySchema = z.strictObject({ reason: reasonSchema });

/** A signed decimal string: negative values correct earlier commitments or disbursements. */
const signedDecimalStringSchema = z
  .string({
    error: (issue) => (typeof issue.input === 'number' ? 'send the value as a decimal string such as "1000000.00"' : 'is required'),
  })
  .max(33, 'is too long for an amount')
  .meta({
    description: "Decimal string in the announcement's currency, at most its minor digits; negative to correct earlier ones",
    pattern: '^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$',
    examples: ['1000000.00', '-250000.00'],
  });

const flowFields = {
  value: signedDecimalStringSchema,
  on: isoDateSchema.meta({ description: 'The date it was made' }),
  reason: reasonSchema.optional().meta({ description: 'Why; required with a negative value (a correction)' }),
  source: sourceSchema.optional(),
};

export const commitBodySchema = z.strictObject(flowFields);
export type CommitBody = z.infer<typeof commitBodySchema>;

export const disburseBodySchema = z.strictObject({
  ...flowFields,
  country: z
    .union([countrySchema, z.literal('unallocated')])
    .optional()
    .meta({ description: "Where the money went: one of the announcement's countries; required when it has several allocations" }),
});
export type DisburseBody = z.infer<typeof disburseBodySchema>;

/** What a commitments and disbursements import names beside each body: which flow, against which announcement. */
export const importedFlowKindSchema = z.enum(['commitment', 'disbursement'], { error: 'must be commitment or disbursement' });
export const importedFlowAnnouncementSchema = z.uuid({ error: 'must be the UUID of an announcement' });

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

const flowEntrySchema = z.object({
  value: z.string().meta({ description: 'Signed decimal string in the announcement currency' }),
  on: z.iso.date(),
  reason: z.string().optional(),
  source: z.object({ url: z.string(), publisher: z.string().optional(), publishedOn: z.iso.date().optional() }).optional(),
  position: positionSchema.optional().meta({ description: 'Global position of the event that recorded it (GET of one announcement)' }),
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
    restates: z
      .array(z.object({ announcement: z.uuid(), value: decimalStringSchema }))
      .optional()
      .meta({ description: 'Parts of the amount that re-announce earlier announcements; absent when none' }),
    restatedBy: z
      .array(z.object({ announcement: z.uuid(), value: decimalStringSchema }))
      .optional()
      .meta({ description: 'Active announcements that restate part of this one, and how much (from the read model); absent when none' }),
    commitments: z
      .array(flowEntrySchema)
      .optional()
      .meta({ description: 'Commitments in the order recorded (negative values correct); absent when none' }),
    committed: signedDecimalStringSchema.optional().meta({ description: 'The sum of the commitments; absent when none' }),
    disbursements: z
      .array(flowEntrySchema.extend({ country: z.string() }))
      .optional()
      .meta({ description: 'Disbursements in the order recorded (negative values correct); absent when none' }),
    disbursed: signedDecimalStringSchema.optional().meta({ description: 'The sum of the disbursements; absent when none' }),
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
        reason: z
          .string()
          .nullable()
          .meta({ description: 'Why it was amended or withdrawn, or why a commitment or disbursement was corrected; else null' }),
        changed: z.array(z.string()).meta({ description: 'The fields this event set or changed' }),
        changes: z.record(z.string(), z.unknown()).optional().meta({
          description: 'Amendments: the changed fields as sent (null removed one); commitments and disbursements: the entry recorded',
        }),
        state: announcementSchema,
      }),
    ),
  })
  .meta({ id: 'AnnouncementHistory', description: 'Every version of one announcement, oldest first, with the event that made it' });
