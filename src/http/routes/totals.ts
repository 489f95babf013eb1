// Routes: exact totals by any combination of dimensions, for dashboards.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ValidationError } from '../../domain/errors.js';
import { programmesProjection } from '../../projections/programmes.js';
import { totalsProjection } from '../../projections/totals/projection.js';
import { queryTotals, type TotalsAnswer, type TotalsQuery } from '../../projections/totals/query.js';
import type { Moment } from '../../projections/asOf.js';
import type { TotalsState } from '../../projections/totals/state.js';
import type { Position } from '../../store/port.js';
import { comparePositions, formatPosition, positionText } from '../../store/position.js';
import { canonicalJson } from '../../domain/canonicalJson.js';
import type { LedgerContext } from '../context.js';
import { awaitMinPosition, currentPosition, notModified } from '../consistency.js';
import { programmeParamsSchema } from '../schemas/programmes.js';
import { requestHeaders, responseHeaders } from '../schemas/headers.js';
import { authProblems, emptyResponse, jsonResponse, problemResponse, problems } from '../schemas/responses.js';
import { countryParamsSchema, countryScopedTotalsQuerySchema, programmeScopedTotalsQuerySchema, totalsQuerySchema, totalsResponseSchema } from '../schemas/totals.js';

const CACHE_LIMIT = 256;

const TAGS = ['Totals'];
const positionHeaders = { ETag: responseHeaders.positionEtag, 'X-Ledger-Position': responseHeaders.ledgerPosition, 'Cache-Control': responseHeaders.cacheControl };

/** Every totals route answers alike: the totals, 304 while the position is unchanged, 503 when minPosition is not reached. */
const totalsResponses = {
  200: jsonResponse('Exact totals at the position in X-Ledger-Position', totalsResponseSchema, positionHeaders),
  304: emptyResponse('Not modified: the ledger is still at the position named in If-None-Match', positionHeaders),
  400: problems.invalid,
  ...authProblems,
  503: problemResponse('The projections did not reach minPosition within 5 seconds', { 'Retry-After': responseHeaders.retryAfter }),
};

const TOTALS_DESCRIPTION =
  'Each row has a field per groupBy dimension, then `count` and `amounts` by original currency; with `currency`, also `converted` and `unconverted`. ' +
  'Send If-None-Match with the last ETag to get 304 while nothing changed, and minPosition (from a write) to read your own writes.';

const totalsSchema = {
  operationId: 'getTotals',
  summary: 'Totals by any combination of dimensions',
  description: `${TOTALS_DESCRIPTION} An unknown programme is refused with 400.`,
  tags: TAGS,
  querystring: totalsQuerySchema,
  requestHeaders: { 'If-None-Match': requestHeaders.ifNoneMatch },
  response: totalsResponses,
};

const programmeTotalsSchema = {
  operationId: 'getProgrammeTotals',
  summary: 'Totals of one programme',
  description: `${TOTALS_DESCRIPTION} An unknown programme is refused with 400.`,
  tags: TAGS,
  params: programmeParamsSchema,
  querystring: programmeScopedTotalsQuerySchema,
  requestHeaders: { 'If-None-Match': requestHeaders.ifNoneMatch },
  response: totalsResponses,
};

const countryTotalsSchema = {
  operationId: 'getCountryTotals',
  summary: 'Totals of the money going to one country (or "unallocated")',
  description: TOTALS_DESCRIPTION,
  tags: TAGS,
  params: countryParamsSchema,
  querystring: countryScopedTotalsQuerySchema,
  requestHeaders: { 'If-None-Match': requestHeaders.ifNoneMatch },
  response: totalsResponses,
};

/** Keeps the most recently used CACHE_LIMIT entries. */
function remember(cache: Map<string, { position: string; body: Buffer }>, key: string, position: string, body: Buffer): void {
  cache.delete(key);
  cache.set(key, { position, body });
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
}

export const totalsRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (fastify, { context }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { projections } = context;
  // Answers per query at the position they were computed; a new event makes every entry stale.
  // Bodies are kept encoded: a dashboard's repeated request then costs no JSON and no UTF-8 encoding of it.
  const cache = new Map<string, { position: string; body: Buffer }>();
  // The same live answers by the URL as sent: a dashboard asks one URL over and over, and finding it there skips
  // canonicalising the query. Another spelling of the same query falls through to `cache`, and shares its body.
  const byUrl = new Map<string, { position: string; body: Buffer }>();

  const past = context.pastTotals;

  function answer(query: TotalsQuery, position: string, state: TotalsState = projections.stateOf(totalsProjection)): Buffer {
    const key = canonicalJson(query);
    const hit = cache.get(key);
    if (hit !== undefined && hit.position === position) return hit.body;
    const result: TotalsAnswer = queryTotals(state, query);
    const body = Buffer.from(JSON.stringify({ position, groupBy: query.groupBy, currency: query.currency ?? null, rows: result.rows, total: result.total }));
    remember(cache, key, position, body);
    return body;
  }

  function liveAnswer(url: string, query: TotalsQuery, position: string): Buffer {
    const hit = byUrl.get(url);
    if (hit !== undefined && hit.position === position) return hit.body;
    const body = answer(query, position);
    remember(byUrl, url, position, body);
    return body;
  }

  function assertKnownProgramme(code: string | undefined): void {
    if (code !== undefined && !projections.stateOf(programmesProjection).has(code)) {
      throw new ValidationError(`no programme is registered with code "${code}"`, [{ field: 'programme', message: `unknown programme "${code}"` }]);
    }
  }

  /**
   * Answers at once when there is nothing to wait for, the common case: the handlers are synchronous then, since an
   * async handler returning the reply costs a promise and end-of-stream listeners on every request. A promise otherwise.
   */
  function respond(request: FastifyRequest, reply: FastifyReply, query: TotalsQuery, minPosition: Position | undefined, asOf: Moment | undefined) {
    if (minPosition === undefined && asOf === undefined) return void respondLive(request, reply, query);
    return respondLater(request, reply, query, minPosition, asOf);
  }

  async function respondLater(request: FastifyRequest, reply: FastifyReply, query: TotalsQuery, minPosition: Position | undefined, asOf: Moment | undefined) {
    if (!(await awaitMinPosition(projections, minPosition, reply))) return reply;
    if (asOf !== undefined) return respondAsOf(request, reply, query, asOf);
    return respondLive(request, reply, query);
  }

  function respondLive(request: FastifyRequest, reply: FastifyReply, query: TotalsQuery): FastifyReply {
    const position = currentPosition(projections);
    if (notModified(request, reply, position)) return reply;
    return reply.type('application/json; charset=utf-8').send(liveAnswer(request.url, query, position));
  }

  /** A past answer never changes, so it is cached by the position it reflects, like the live one. */
  async function respondAsOf(request: FastifyRequest, reply: FastifyReply, query: TotalsQuery, moment: Moment) {
    const head = projections.position;
    if ('position' in moment && (head === undefined || comparePositions(moment.position, head) > 0)) {
      throw new ValidationError(`asOf ${formatPosition(moment.position)} is beyond the last event applied (${currentPosition(projections)})`, [
        { field: 'asOf', message: 'must not be beyond the current position' },
      ]);
    }
    const { position, state } = await past.at(moment);
    const at = positionText(position);
    if (notModified(request, reply, at)) return reply;
    return reply.type('application/json; charset=utf-8').send(answer({ ...query, asOf: at } as TotalsQuery, at, state));
  }

  app.get('/totals', { schema: totalsSchema, config: { scope: 'read' } }, (request, reply) => {
    const { groupBy, currency, minPosition, asOf, ...filter } = request.query;
    assertKnownProgramme(filter.programme);
    return respond(request, reply, { groupBy, currency, filter }, minPosition, asOf);
  });

  app.get(
    '/programmes/:code/totals',
    { schema: programmeTotalsSchema, config: { scope: 'read' } },
    (request, reply) => {
      const { groupBy, currency, minPosition, asOf, ...filter } = request.query;
      assertKnownProgramme(request.params.code);
      return respond(request, reply, { groupBy, currency, filter: { ...filter, programme: request.params.code } }, minPosition, asOf);
    },
  );

  app.get(
    '/countries/:code/totals',
    { schema: countryTotalsSchema, config: { scope: 'read' } },
    (request, reply) => {
      const { groupBy, currency, minPosition, asOf, ...filter } = request.query;
      return respond(request, reply, { groupBy, currency, filter: { ...filter, country: request.params.code } }, minPosition, asOf);
    },
  );
};
