// Routes: register, rename, list and show funding programmes.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { handleCommand, loadStream } from '../../commands/handle.js';
import { programmeDecider } from '../../commands/programme/decide.js';
import { programmeStream } from '../../commands/programme/events.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import { listProgrammes, programmesProjection } from '../../projections/programmes.js';
import type { Position } from '../../store/port.js';
import { formatPosition } from '../../store/position.js';
import type { LedgerContext } from '../context.js';
import { runIdempotently, type Outcome } from '../idempotency.js';
import { etagOf, parseIfMatch, presentProgramme } from '../presenters.js';
import { programmeParamsSchema, registerProgrammeBodySchema, renameProgrammeBodySchema } from '../schemas/programmes.js';

export const programmeRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (fastify, { context }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  async function programmeOutcome(code: string, status: number, revision: bigint, position: Position): Promise<Outcome> {
    const { state } = await loadStream(context.store, programmeDecider, programmeStream(code), revision);
    if (state.status !== 'registered') throw new NotFoundError(`programme ${code} is not registered`);
    return {
      status,
      headers: { location: `/programmes/${code}`, etag: etagOf(revision) },
      body: presentProgramme(state.programme, revision, position),
    };
  }

  app.post('/programmes', { schema: { body: registerProgrammeBodySchema }, config: { scope: 'write' } }, async (request, reply) => {
    const outcome = await runIdempotently(
      context,
      request,
      async (metadata) => {
        const stream = programmeStream(request.body.code);
        const result = await handleCommand(context.store, programmeDecider, stream, { type: 'RegisterProgramme', data: request.body, metadata: { now: metadata.now } }, { metadata });
        return { write: { stream, revision: result.revision, position: result.position }, outcome: await programmeOutcome(request.body.code, 201, result.revision, result.position) };
      },
      (write) => programmeOutcome(request.body.code, 201, write.revision, write.position),
    );
    return reply.code(outcome.status).headers(outcome.headers).send(outcome.body);
  });

  app.post(
    '/programmes/:code/rename',
    { schema: { params: programmeParamsSchema, body: renameProgrammeBodySchema }, config: { scope: 'write' } },
    async (request, reply) => {
      const ifMatch = parseIfMatch(request.headers['if-match']);
      if (ifMatch === 'invalid') throw new ValidationError('If-Match must be a quoted revision such as "0"', [{ field: 'If-Match', message: 'must be "<revision>"' }]);
      const { code } = request.params;
      const outcome = await runIdempotently(
        context,
        request,
        async (metadata) => {
          const stream = programmeStream(code);
          const result = await handleCommand(context.store, programmeDecider, stream, { type: 'RenameProgramme', data: { code, ...request.body } }, { metadata, ifMatch });
          return { write: { stream, revision: result.revision, position: result.position }, outcome: await programmeOutcome(code, 200, result.revision, result.position) };
        },
        (write) => programmeOutcome(code, 200, write.revision, write.position),
      );
      return reply.code(outcome.status).headers(outcome.headers).send(outcome.body);
    },
  );

  app.get('/programmes', { config: { scope: 'read' } }, async (_request, reply) => {
    const position = context.projections.position;
    const items = listProgrammes(context.projections.stateOf(programmesProjection)).map((p) => presentProgramme(p, p.revision));
    return reply.send({ items, position: position === undefined ? '0' : formatPosition(position) });
  });

  app.get('/programmes/:code', { schema: { params: programmeParamsSchema }, config: { scope: 'read' } }, async (request, reply) => {
    const { state, revision } = await loadStream(context.store, programmeDecider, programmeStream(request.params.code));
    if (state.status !== 'registered' || revision === undefined) throw new NotFoundError(`programme ${request.params.code} is not registered`);
    return reply.header('etag', etagOf(revision)).send(presentProgramme(state.programme, revision));
  });
};
