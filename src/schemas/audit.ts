// Query and response schemas of the audit routes.
import { z } from 'zod';
import { isDateInRange } from '../domain/dates.js';
import { DATE_RANGE_MESSAGE, positionSchema, refuseHiddenCharacters, revisionSchema } from './common.js';
import { positionParamSchema } from './totals.js';

const instantSchema = z.iso
  .datetime({ offset: true, error: 'must be an ISO 8601 instant such as 2025-04-02T09:00:00Z', abort: true })
  .refine(isDateInRange, DATE_RANGE_MESSAGE);

export const journalQuerySchema = z.strictObject({
  after: positionParamSchema.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  stream: z.string().min(1).max(200).superRefine(refuseHiddenCharacters).optional(),
  type: z.string().min(1).max(100).superRefine(refuseHiddenCharacters).optional(),
  actor: z.string().min(1).max(64).superRefine(refuseHiddenCharacters).optional(),
  from: instantSchema.optional(),
  to: instantSchema.optional(),
});

export const journalPageSchema = z
  .object({
    items: z.array(
      z.object({
        position: positionSchema,
        stream: z.string(),
        revision: revisionSchema,
        id: z.string(),
        type: z.string(),
        data: z.record(z.string(), z.unknown()),
        metadata: z.record(z.string(), z.unknown()).meta({ description: 'actor, correlationId, causationId, recordedAt, prevHash, ...' }),
        hash: z.string().nullable().meta({ description: "SHA-256 of the event's canonical form, chained to the stream's previous event" }),
        leafIndex: z.number().int().min(0).nullable().meta({
          description:
            "The event's leaf in the journal tree (`/audit/proofs/inclusion?leafIndex=`); null until the projections have applied it",
        }),
      }),
    ),
    nextCursor: z.string().nullable().meta({ description: 'Pass as `after` for the next page; null when the journal is exhausted' }),
  })
  .meta({ id: 'JournalPage', description: 'Events in position order' });

export const replayReportSchema = z
  .object({
    match: z.boolean().meta({ description: 'Whether the rebuilt projections equal the live ones' }),
    events: z.number().int().min(0),
    eventsPerSecond: z.number(),
    digest: z.string().meta({ description: 'Digest of the rebuilt projection states' }),
    liveDigest: z.string().meta({ description: 'Digest of the live projection states, taken when the replay started' }),
    position: positionSchema,
    seconds: z.number(),
  })
  .meta({ id: 'ReplayReport', description: 'A full replay from position 0, compared with the live projections' });

/** The export is a stream of lines, sent as is: this only documents it. */
export const journalExportSchema = z.string().meta({
  description:
    'JSON Lines: one journal item per line in position order, then the manifest line { format, count, lastPosition, chainHeads, sha256, ' +
    'checkpoint, verifierKey }: checkpoint is the signed C2SP checkpoint of exactly the exported events, verifierKey the C2SP vkey ' +
    'that verifies it',
});
