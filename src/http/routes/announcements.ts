// Routes: announce, amend, withdraw, show and list funding announcements.
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { v5 as uuidV5 } from 'uuid';
import { requestedAllocations } from '../../commands/announcement/allocations.js';
import { requestedRestatements } from '../../commands/announcement/restatements.js';
import { announcementDecider } from '../../commands/announcement/decide.js';
import { ANNOUNCEMENT_STREAM_PREFIX, announcementStream, type AnnouncementFields } from '../../commands/announcement/events.js';
import type { AnnouncementState } from '../../commands/announcement/state.js';
import { loadStream } from '../../commands/load.js';
import type { CommandMetadata } from '../../commands/envelope.js';
import { programmeDecider } from '../../commands/programme/decide.js';
import { programmeStream } from '../../commands/programme/events.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { announcementsAt } from '../../projections/models/announcementViews.js';
import { announcementsProjection, pageOfAnnouncements } from '../../projections/models/announcements.js';
import { programmesProjection } from '../../projections/models/programmes.js';
import { restatersOf, restatementsProjection } from '../../projections/models/restatements.js';
import type { Position } from '../../store/port.js';
import { positionText } from '../../store/position.js';
import type { LedgerContext } from '../context.js';
import { etagOf, presentAnnouncement } from '../presenters.js';
import { restatementFacts } from '../restatementFacts.js';
import { answerCommand, type WriteResult } from '../writes.js';
import {
  amendBodySchema,
  announceBodySchema,
  announcementPageSchema,
  announcementParamsSchema,
  announcementSchema,
  listAnnouncementsQuerySchema,
  withdrawBodySchema,
  type AnnounceBody,
} from '../../schemas/announcements.js';
import { commandHeaders, requestHeaders, responseHeaders } from '../../schemas/headers.js';
import { authProblems, jsonResponse, looseResponses, problemResponse, problems, writeProblems } from '../../schemas/responses.js';

/** Announcement ids made from an Idempotency-Key, so a retried create lands on the same stream. */
const ANNOUNCEMENT_ID_NAMESPACE = '9b2f3c1e-7a44-5d0b-8c6e-2f1a9d3b4c5e';

const TAGS = ['Announcements'];

function idOfStream(stream: string): string {
  return stream.slice(ANNOUNCEMENT_STREAM_PREFIX.length);
}
const unknownAnnouncement = problemResponse('No announcement has this id');
const changed = jsonResponse('The announcement as it now stands, with the position of the write', announcementSchema, {
  ETag: responseHeaders.etag,
});

const announceSchema = {
  operationId: 'announceFunding',
  summary: 'Record a funding announcement',
  description:
    'The id is yours to choose (a UUID) or made by the ledger. Where the money goes is `country`, or `allocations` summing exactly to ' +
    'the amount, or neither (unallocated). ' +
    'Send an Idempotency-Key to make retries safe: a retry gets the first answer and records nothing.',
  tags: TAGS,
  body: announceBodySchema,
  requestHeaders: commandHeaders,
  response: looseResponses({
    201: jsonResponse('Recorded', announcementSchema, { Location: responseHeaders.location, ETag: responseHeaders.etag }),
    ...writeProblems,
  }),
};

const amendSchema = {
  operationId: 'amendAnnouncement',
  summary: 'Amend an announcement',
  description:
    'Changes the given fields (null removes an optional one) for a stated reason. Send If-Match: "<revision>" to refuse the change if ' +
    'the announcement changed since you read it; a withdrawn announcement accepts no change.',
  tags: TAGS,
  params: announcementParamsSchema,
  body: amendBodySchema,
  requestHeaders: { ...commandHeaders, 'If-Match': requestHeaders.ifMatch },
  response: looseResponses({ 200: changed, ...writeProblems, 404: unknownAnnouncement, 412: problems.preconditionFailed }),
};

const withdrawSchema = {
  operationId: 'withdrawAnnouncement',
  summary: 'Withdraw an announcement',
  description: 'It stops counting in totals and accepts no further change. If-Match works as for amendments.',
  tags: TAGS,
  params: announcementParamsSchema,
  body: withdrawBodySchema,
  requestHeaders: { ...commandHeaders, 'If-Match': requestHeaders.ifMatch },
  response: looseResponses({ 200: changed, ...writeProblems, 404: unknownAnnouncement, 412: problems.preconditionFailed }),
};

const showSchema = {
  operationId: 'getAnnouncement',
  summary: 'Show an announcement',
  tags: TAGS,
  params: announcementParamsSchema,
  response: {
    200: jsonResponse('The announcement as it stands', announcementSchema, { ETag: responseHeaders.etag }),
    400: problems.invalid,
    ...authProblems,
    404: unknownAnnouncement,
    410: problems.gone,
    503: problems.storeUnavailable,
  },
};

const listSchema = {
  operationId: 'listAnnouncements',
  summary: 'List announcements',
  description: 'Paged with `limit` and `cursor` (pass `nextCursor` back unchanged); the filters combine.',
  tags: TAGS,
  querystring: listAnnouncementsQuerySchema,
  response: {
    200: jsonResponse('One page of announcements', announcementPageSchema),
    400: problems.invalid,
    ...authProblems,
    410: problems.gone,
  },
};

function fieldsOf(body: AnnounceBody): AnnouncementFields {
  const { id: _id, allocations, restates, ...rest } = body;
  return {
    ...rest,
    ...(allocations !== undefined && { allocations: requestedAllocations(allocations, body.amount.currency, 'allocations') }),
    ...(restates !== undefined && { restates: requestedRestatements(restates, body.amount.currency, 'restates') }),
  };
}

function encodeCursor(index: number): string {
  return Buffer.from(JSON.stringify({ i: index })).toString('base64url');
}

function decodeCursor(cursor: string | undefined): number {
  if (cursor === undefined) return 0;
  try {
    const { i } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { i: unknown };
    if (typeof i === 'number' && Number.isSafeInteger(i) && i >= 0) return i;
  } catch (_error) {
    // fall through to the refusal below
  }
  throw new ValidationError('the cursor is not one this service gave out', [
    { field: 'cursor', message: 'pass nextCursor from a previous page unchanged' },
  ]);
}

export const announcementRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (fastify, { context }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  /**
   * Programmes are never unregistered, so one the read model knows is registered; one it does not know may have been
   * registered a moment ago (the read model follows the store), and its own stream decides.
   */
  async function isRegistered(code: string): Promise<boolean> {
    if (context.projections.stateOf(programmesProjection).has(code)) return true;
    const { state } = await loadStream(context.store, programmeDecider, programmeStream(code));
    return state.status === 'registered';
  }

  /** Every write answers with the announcement as the write left it, and its revision. */
  const announcementWrite = {
    decider: announcementDecider,
    present: ({ stream, state, revision, position }: WriteResult<AnnouncementState>) => {
      if (state.status === 'none') throw new NotFoundError(`announcement ${idOfStream(stream)} does not exist`);
      return presentAnnouncement(state, revision, position, { restatedBy: restatedByOf(idOfStream(stream)) });
    },
  };

  function restatedByOf(id: string) {
    return restatersOf(context.projections.stateOf(restatementsProjection), id);
  }

  function idFor(body: AnnounceBody, metadata: CommandMetadata): string {
    if (body.id !== undefined) return body.id;
    if (metadata.idempotencyKey !== undefined)
      return uuidV5(`${metadata.keyId ?? metadata.actor}\n${metadata.idempotencyKey}`, ANNOUNCEMENT_ID_NAMESPACE);
    return randomUUID();
  }

  app.post('/announcements', { schema: announceSchema, config: { scope: 'write' } }, async (request, reply) => {
    // The amount's currency is in the body: a bad allocation value is refused before the Idempotency-Key is looked at.
    const fields = fieldsOf(request.body);
    return answerCommand(context, request, reply, {
      ...announcementWrite,
      status: 201,
      location: ({ stream }) => `/announcements/${idOfStream(stream)}`,
      toCommand: async (metadata) => {
        const id = idFor(request.body, metadata);
        return {
          stream: announcementStream(id),
          command: {
            type: 'AnnounceFunding' as const,
            data: { announcementId: id, fields },
            context: {
              programmeRegistered: await isRegistered(fields.programme),
              ...(await restatementFacts(context, id, fields.restates?.map((part) => part.announcementId) ?? [], false)),
            },
          },
        };
      },
    });
  });

  app.post('/announcements/:id/amendments', { schema: amendSchema, config: { scope: 'write' } }, (request, reply) =>
    answerCommand(context, request, reply, {
      ...announcementWrite,
      status: 200,
      ifMatch: true,
      toCommand: async () => {
        const { changes, reason } = request.body;
        return {
          stream: announcementStream(request.params.id),
          command: {
            type: 'AmendFunding' as const,
            data: { announcementId: request.params.id, changes, reason },
            context: {
              programmeRegistered: changes.programme === undefined || (await isRegistered(changes.programme)),
              ...(await restatementFacts(
                context,
                request.params.id,
                changes.restates?.map((part) => part.announcement) ?? [],
                changes.amount !== undefined,
              )),
            },
          },
        };
      },
    }),
  );

  app.post('/announcements/:id/withdrawal', { schema: withdrawSchema, config: { scope: 'write' } }, (request, reply) =>
    answerCommand(context, request, reply, {
      ...announcementWrite,
      status: 200,
      ifMatch: true,
      toCommand: () => ({
        stream: announcementStream(request.params.id),
        command: { type: 'WithdrawFunding' as const, data: { announcementId: request.params.id, reason: request.body.reason } },
      }),
    }),
  );

  app.get('/announcements/:id', { schema: showSchema, config: { scope: 'read' } }, async (request, reply) => {
    const flowPositions = { commitments: [] as Position[], disbursements: [] as Position[] };
    const { state, revision, last } = await loadStream(
      context.store,
      announcementDecider,
      announcementStream(request.params.id),
      undefined,
      (event) => {
        if (event.type === 'FundingCommitted') flowPositions.commitments.push(event.position);
        else if (event.type === 'FundingDisbursed') flowPositions.disbursements.push(event.position);
      },
    );
    if (state.status === 'none' || revision === undefined || last === undefined) {
      throw new NotFoundError(`announcement ${request.params.id} does not exist`);
    }
    const extras = { restatedBy: restatedByOf(request.params.id), flowPositions };
    return reply.header('etag', etagOf(revision)).send(presentAnnouncement(state, revision, last.position, extras));
  });

  app.get('/announcements', { schema: listSchema, config: { scope: 'read' } }, async (request, reply) => {
    const { limit, cursor, ...filter } = request.query;
    const state = context.projections.stateOf(announcementsProjection);
    const position = context.projections.position;
    const page = pageOfAnnouncements(state, filter, decodeCursor(cursor), limit);
    const items = [];
    for await (const view of announcementsAt(
      context.store,
      page.items.map((item) => item.id),
      position,
    ))
      items.push(presentAnnouncement(view.state, view.revision, undefined, { restatedBy: restatedByOf(view.state.announcement.id) }));
    return reply.send({
      items,
      nextCursor: page.next === undefined ? null : encodeCursor(page.next),
      position: positionText(position),
    });
  });
};
