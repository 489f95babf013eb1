// Routes: register, rename, list and show funding programmes.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { loadStream } from '../../commands/load.js';
import { programmeDecider } from '../../commands/programme/decide.js';
import { programmeStream } from '../../commands/programme/events.js';
import type { ProgrammeState } from '../../commands/programme/state.js';
import { NotFoundError } from '../../domain/errors.js';
import { listProgrammes, programmesProjection } from '../../projections/models/programmes.js';
import { positionText } from '../../store/position.js';
import type { LedgerContext } from '../context.js';
import { etagOf, presentProgramme } from '../presenters.js';
import { answerCommand, type WriteResult } from '../writes.js';
import { commandHeaders, requestHeaders, responseHeaders } from '../../schemas/headers.js';
import {
  programmeListSchema,
  programmeParamsSchema,
  programmeSchema,
  registerProgrammeBodySchema,
  renameProgrammeBodySchema,
} from '../../schemas/programmes.js';
import { authProblems, jsonResponse, looseResponses, problemResponse, problems, writeProblems } from '../../schemas/responses.js';

const TAGS = ['Programmes'];
const notRegistered = problemResponse('No programme is registered with this code');

const registerSchema = {
  operationId: 'registerProgramme',
  summary: 'Register a programme',
  description: 'A code is registered once. Send an Idempotency-Key to make retries safe.',
  tags: TAGS,
  body: registerProgrammeBodySchema,
  requestHeaders: commandHeaders,
  response: looseResponses({
    201: jsonResponse('Registered', programmeSchema, { Location: responseHeaders.location, ETag: responseHeaders.etag }),
    ...writeProblems,
  }),
};

const renameSchema = {
  operationId: 'renameProgramme',
  summary: 'Rename a programme or change its description',
  description: 'Send If-Match: "<revision>" to refuse the change if the programme changed since you read it.',
  tags: TAGS,
  params: programmeParamsSchema,
  body: renameProgrammeBodySchema,
  requestHeaders: { ...commandHeaders, 'If-Match': requestHeaders.ifMatch },
  response: looseResponses({
    200: jsonResponse('Renamed', programmeSchema, { Location: responseHeaders.location, ETag: responseHeaders.etag }),
    ...writeProblems,
    404: notRegistered,
    412: problems.preconditionFailed,
  }),
};

const listSchema = {
  operationId: 'listProgrammes',
  summary: 'List programmes',
  tags: TAGS,
  response: { 200: jsonResponse('Every registered programme', programmeListSchema), ...authProblems },
};

const showSchema = {
  operationId: 'getProgramme',
  summary: 'Show a programme',
  tags: TAGS,
  params: programmeParamsSchema,
  response: {
    200: jsonResponse('The programme as it stands', programmeSchema, { ETag: responseHeaders.etag }),
    400: problems.invalid,
    ...authProblems,
    404: notRegistered,
    503: problems.storeUnavailable,
  },
};

export const programmeRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (fastify, { context }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  /** Both writes answer alike: the programme as the write left it, its revision, and where it can be read. */
  const programmeWrite = (code: string) => ({
    decider: programmeDecider,
    present: ({ state, revision, position }: WriteResult<ProgrammeState>) => {
      if (state.status !== 'registered') throw new NotFoundError(`programme ${code} is not registered`);
      return presentProgramme(state.programme, revision, position);
    },
    location: () => `/programmes/${code}`,
  });

  app.post('/programmes', { schema: registerSchema, config: { scope: 'write' } }, (request, reply) =>
    answerCommand(context, request, reply, {
      ...programmeWrite(request.body.code),
      status: 201,
      toCommand: (metadata) => ({
        stream: programmeStream(request.body.code),
        command: { type: 'RegisterProgramme' as const, data: request.body, metadata: { now: metadata.now } },
      }),
    }),
  );

  app.post('/programmes/:code/rename', { schema: renameSchema, config: { scope: 'write' } }, (request, reply) =>
    answerCommand(context, request, reply, {
      ...programmeWrite(request.params.code),
      status: 200,
      ifMatch: true,
      toCommand: () => ({
        stream: programmeStream(request.params.code),
        command: { type: 'RenameProgramme' as const, data: { code: request.params.code, ...request.body } },
      }),
    }),
  );

  app.get('/programmes', { schema: listSchema, config: { scope: 'read' } }, async (_request, reply) => {
    const position = context.projections.position;
    const items = listProgrammes(context.projections.stateOf(programmesProjection)).map((p) => presentProgramme(p, p.revision));
    return reply.send({ items, position: positionText(position) });
  });

  app.get('/programmes/:code', { schema: showSchema, config: { scope: 'read' } }, async (request, reply) => {
    const { state, revision } = await loadStream(context.store, programmeDecider, programmeStream(request.params.code));
    if (state.status !== 'registered' || revision === undefined)
      throw new NotFoundError(`programme ${request.params.code} is not registered`);
    return reply.header('etag', etagOf(revision)).send(presentProgramme(state.programme, revision));
  });
};
