// Routes: exact totals by any combination of dimensions, for dashboards.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ValidationError } from '../../domain/errors.js';
import { programmesProjection } from '../../projections/programmes.js';
import { totalsProjection } from '../../projections/totals/projection.js';
import { queryTotals, type TotalsAnswer, type TotalsQuery } from '../../projections/totals/query.js';
import type { Position } from '../../store/port.js';
import { canonicalJson } from '../../domain/canonicalJson.js';
import type { LedgerContext } from '../context.js';
import { awaitMinPosition, currentPosition, notModified } from '../consistency.js';
import { programmeParamsSchema } from '../schemas/programmes.js';
import { countryParamsSchema, scopedTotalsQuerySchema, totalsQuerySchema } from '../schemas/totals.js';

const CACHE_LIMIT = 256;

export const totalsRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (fastify, { context }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { projections } = context;
  // Answers per query at the position they were computed; a new event makes every entry stale.
  const cache = new Map<string, { position: string; body: string }>();

  function answer(query: TotalsQuery, position: string): string {
    const key = canonicalJson(query);
    const hit = cache.get(key);
    if (hit !== undefined && hit.position === position) return hit.body;
    const result: TotalsAnswer = queryTotals(projections.stateOf(totalsProjection), query);
    const body = JSON.stringify({ position, groupBy: query.groupBy, currency: query.currency ?? null, rows: result.rows, total: result.total });
    cache.delete(key);
    cache.set(key, { position, body });
    if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
    return body;
  }

  function assertKnownProgramme(code: string | undefined): void {
    if (code !== undefined && !projections.stateOf(programmesProjection).has(code)) {
      throw new ValidationError(`no programme is registered with code "${code}"`, [{ field: 'programme', message: `unknown programme "${code}"` }]);
    }
  }

  async function respond(request: FastifyRequest, reply: FastifyReply, query: TotalsQuery, minPosition: Position | undefined) {
    if (!(await awaitMinPosition(projections, minPosition, reply))) return reply;
    const position = currentPosition(projections);
    if (notModified(request, reply, position)) return reply;
    return reply.type('application/json; charset=utf-8').send(answer(query, position));
  }

  app.get('/totals', { schema: { querystring: totalsQuerySchema }, config: { scope: 'read' } }, async (request, reply) => {
    const { groupBy, currency, minPosition, ...filter } = request.query;
    assertKnownProgramme(filter.programme);
    return respond(request, reply, { groupBy, currency, filter }, minPosition);
  });

  app.get(
    '/programmes/:code/totals',
    { schema: { params: programmeParamsSchema, querystring: scopedTotalsQuerySchema }, config: { scope: 'read' } },
    async (request, reply) => {
      const { groupBy, currency, minPosition, ...filter } = request.query;
      assertKnownProgramme(request.params.code);
      return respond(request, reply, { groupBy, currency, filter: { ...filter, programme: request.params.code } }, minPosition);
    },
  );

  app.get(
    '/countries/:code/totals',
    { schema: { params: countryParamsSchema, querystring: scopedTotalsQuerySchema }, config: { scope: 'read' } },
    async (request, reply) => {
      const { groupBy, currency, minPosition, ...filter } = request.query;
      return respond(request, reply, { groupBy, currency, filter: { ...filter, country: request.params.code } }, minPosition);
    },
  );
};
