// Routes: record commitments and disbursements against an announcement (issue 20).
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { announcementDecider } from '../../commands/announcement/decide.js';
import { announcementStream } from '../../commands/announcement/events.js';
import type { AnnouncementState } from '../../commands/announcement/state.js';
import { NotFoundError } from '../../domain/errors.js';
import { restatersOf, restatementsProjection } from '../../projections/models/restatements.js';
import type { LedgerContext } from '../context.js';
import { presentAnnouncement } from '../presenters.js';
import { answerCommand, type WriteResult } from '../writes.js';
import { announcementParamsSchema, announcementSchema, commitBodySchema, disburseBodySchema } from '../../schemas/announcements.js';
import { commandHeaders, requestHeaders, responseHeaders } from '../../schemas/headers.js';
import { jsonResponse, looseResponses, problemResponse, problems, writeProblems } from '../../schemas/responses.js';

const TAGS = ['Announcements'];

const recorded = jsonResponse('Recorded: the announcement as it now stands, with the position of the write', announcementSchema, {
  Location: responseHeaders.location,
  ETag: responseHeaders.etag,
});
const flowResponses = looseResponses({
  201: recorded,
  ...writeProblems,
  404: problemResponse('No announcement has this id'),
  412: problems.preconditionFailed,
});
const flowHeaders = { ...commandHeaders, 'If-Match': requestHeaders.ifMatch };

const commitSchema = {
  operationId: 'commitFunding',
  summary: 'Record a commitment against an announcement',
  description:
    "Money committed (IATI's commitment, USAspending's obligation) on a date, as a decimal string in the announcement's currency. " +
    'A negative value corrects earlier commitments and needs a reason; the commitments always sum to between zero and the amount. ' +
    'Refused once the announcement is withdrawn. If-Match and Idempotency-Key work as for amendments.',
  tags: TAGS,
  params: announcementParamsSchema,
  body: commitBodySchema,
  requestHeaders: flowHeaders,
  response: flowResponses,
};

const disburseSchema = {
  operationId: 'disburseFunding',
  summary: 'Record a disbursement against an announcement',
  description:
    "Money paid out (IATI's disbursement, USAspending's outlay), as for commitments, to one of the announcement's countries: " +
    'its one country (or `unallocated`) when the request names none; required when it has several allocations.',
  tags: TAGS,
  params: announcementParamsSchema,
  body: disburseBodySchema,
  requestHeaders: flowHeaders,
  response: flowResponses,
};

export const announcementFlowRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (fastify, { context }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  /** As every announcement write: 201 (an entry is recorded), the announcement as it now stands, Location and ETag. */
  const flowWrite = (id: string) => ({
    decider: announcementDecider,
    status: 201 as const,
    ifMatch: true,
    location: () => `/announcements/${id}`,
    present: ({ state, revision, position }: WriteResult<AnnouncementState>) => {
      if (state.status === 'none') throw new NotFoundError(`announcement ${id} does not exist`);
      return presentAnnouncement(state, revision, position, {
        restatedBy: restatersOf(context.projections.stateOf(restatementsProjection), id),
      });
    },
  });

  app.post('/announcements/:id/commitments', { schema: commitSchema, config: { scope: 'write' } }, (request, reply) =>
    answerCommand(context, request, reply, {
      ...flowWrite(request.params.id),
      toCommand: () => ({
        stream: announcementStream(request.params.id),
        command: { type: 'CommitFunding' as const, data: { announcementId: request.params.id, ...request.body } },
      }),
    }),
  );

  app.post('/announcements/:id/disbursements', { schema: disburseSchema, config: { scope: 'write' } }, (request, reply) =>
    answerCommand(context, request, reply, {
      ...flowWrite(request.params.id),
      toCommand: () => ({
        stream: announcementStream(request.params.id),
        command: { type: 'DisburseFunding' as const, data: { announcementId: request.params.id, ...request.body } },
      }),
    }),
  );
};
