// Routes: exact totals by any combination of dimensions, for dashboards.
import type { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ValidationError } from '../../domain/errors.js';
import { programmesProjection } from '../../projections/models/programmes.js';
import { totalsProjection } from '../../projections/models/totals/projection.js';
import { queryTotals, totalsQuerySteps, type TotalsAnswer, type TotalsQuery } from '../../projections/models/totals/query.js';
import type { TotalsState } from '../../projections/models/totals/state.js';
import type { Moment } from '../../projections/runtime/asOf.js';
import type { Position } from '../../store/port.js';
import { comparePositions, formatPosition, positionText } from '../../store/position.js';
import { canonicalJson } from '../../domain/canonicalJson.js';
import { ByteBoundedCache } from '../../runtime/byteBoundedCache.js';
import { runInSlices } from '../../runtime/timeSlice.js';
import type { LedgerContext } from '../context.js';
import { admitHeavy } from '../heavyWork.js';
import { jsonBody } from '../jsonBody.js';
import { awaitMinPosition, currentPosition, notModified } from '../consistency.js';
import { programmeParamsSchema } from '../../schemas/programmes.js';
import { requestHeaders, responseHeaders } from '../../schemas/headers.js';
import { authProblems, emptyResponse, heavyProblems, jsonResponse, problemResponse, problems } from '../../schemas/responses.js';
import {
  countryParamsSchema,
  countryScopedTotalsQuerySchema,
  programmeScopedTotalsQuerySchema,
  totalsQuerySchema,
  totalsResponseSchema,
} from '../../schemas/totals.js';

const TAGS = ['Totals'];
const positionHeaders = {
  ETag: responseHeaders.positionEtag,
  'X-Ledger-Position': responseHeaders.ledgerPosition,
  'Cache-Control': responseHeaders.cacheControl,
};

/** Every totals route answers alike: the totals, 304 while the position is unchanged, 503 when minPosition is not reached. */
const totalsResponses = {
  200: jsonResponse('Exact totals at the position in X-Ledger-Position', totalsResponseSchema, positionHeaders),
  304: emptyResponse('Not modified: the ledger is still at the position named in If-None-Match', positionHeaders),
  400: problems.invalid,
  ...authProblems,
  429: heavyProblems[429],
  503: problemResponse(
    'The projections did not reach minPosition within 5 seconds, or (for an answer not cached) the heavy-work queue is full',
    {
      'Retry-After': responseHeaders.retryAfter,
    },
  ),
};

const TOTALS_DESCRIPTION =
  'Each row has a field per groupBy dimension, then `count` and `amounts` by original currency; with `currency`, also `converted` and ' +
  '`unconverted`. ' +
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

/** A cached answer: the position it reflects and its encoded bytes. */
interface CachedAnswer {
  readonly position: string;
  readonly body: Buffer;
}

/**
 * Below this many cells an uncached query is answered at once, outside the heavy-work gate: a dashboard refetching
 * after every write on a small ledger must not spend its heavy-read budget. Measured: 4,096 cells take a few milliseconds.
 */
const LIGHT_CELLS = 4_096;

/** True when answering costs about as little as deciding how to slice it: a small table and no conversion to build. */
function isLight(state: TotalsState, query: TotalsQuery): boolean {
  return state.cells.length < LIGHT_CELLS && (query.currency === undefined || state.conversions.has(query.currency));
}

/** How many URLs as sent are remembered (each names a canonical query, whose answer is in the byte-bounded cache). */
const URL_MEMORY = 1024;

const JSON_TYPE = 'application/json; charset=utf-8';
/** The largest cached answer kept once heavy work is over: a dashboard's answers are a few KB. */
const IDLE_KEPT_ANSWER_BYTES = 64 * 1024;

export const totalsRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (fastify, { context }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { projections } = context;
  const { cacheBytes } = context.config;
  // Answers per canonical query at the position they were computed; a new event makes every entry stale. Bounded in
  // bytes; an answer over the entry bound is streamed and never cached. Bodies are kept encoded: a dashboard's
  // repeated request then costs no JSON and no UTF-8 encoding of it.
  const cache = new ByteBoundedCache<string, CachedAnswer>(
    cacheBytes.totals,
    (entry) => entry.body.length + 2 * entry.position.length + 64,
  );
  // The canonical query of each URL as sent: a dashboard asks one URL over and over, and finding it here skips
  // canonicalising the query.
  const byUrl = new Map<string, string>();
  // Once heavy work stops, its answers go: a dashboard's (4 KB) stay, a burst's (up to the entry bound) would only
  // serve the same burst again, and kept they were most of what RSS held over its start when the load was over.
  fastify.heavyWork.releaseAtIdle(() => cache.dropLargerThan(IDLE_KEPT_ANSWER_BYTES));

  const past = context.pastTotals;

  function cached(key: string, position: string): Buffer | undefined {
    const hit = cache.get(key);
    return hit !== undefined && hit.position === position ? hit.body : undefined;
  }

  function rememberUrl(url: string, key: string): void {
    if (byUrl.size >= URL_MEMORY && !byUrl.has(url)) byUrl.delete(byUrl.keys().next().value as string);
    byUrl.set(url, key);
  }

  function assertKnownProgramme(code: string | undefined): void {
    if (code !== undefined && !projections.stateOf(programmesProjection).has(code)) {
      throw new ValidationError(`no programme is registered with code "${code}"`, [
        { field: 'programme', message: `unknown programme "${code}"` },
      ]);
    }
  }

  /**
   * Answers at once when the answer is cached, the common case: the handlers are synchronous then, since an async
   * handler returning the reply costs a promise and end-of-stream listeners on every request. A promise otherwise.
   */
  function respond(
    request: FastifyRequest,
    reply: FastifyReply,
    query: TotalsQuery,
    minPosition: Position | undefined,
    asOf: Moment | undefined,
  ) {
    if (minPosition === undefined && asOf === undefined) {
      const position = currentPosition(projections);
      if (notModified(request, reply, position)) return reply;
      const key = byUrl.get(request.url);
      const body = key === undefined ? undefined : cached(key, position);
      if (body !== undefined) return reply.type(JSON_TYPE).send(body);
    }
    return respondLater(request, reply, query, minPosition, asOf);
  }

  async function respondLater(
    request: FastifyRequest,
    reply: FastifyReply,
    query: TotalsQuery,
    minPosition: Position | undefined,
    asOf: Moment | undefined,
  ) {
    if (!(await awaitMinPosition(projections, minPosition, reply))) return reply;
    if (asOf !== undefined) return respondAsOf(request, reply, query, asOf);
    const key = canonicalJson(query);
    rememberUrl(request.url, key);
    const position = currentPosition(projections);
    if (notModified(request, reply, position)) return reply;
    const body = cached(key, position);
    if (body !== undefined) return reply.type(JSON_TYPE).send(body);
    // Uncached, over a small table: a millisecond or two at once, as cheap as the checks for slicing it.
    const state = projections.stateOf(totalsProjection);
    if (isLight(state, query))
      return sendAnswer(request, reply, position, await serialise(key, query, position, queryTotals(state, query)));
    // Uncached over a large table: heavy work, admitted through the gate and computed in slices while the projections
    // hold still.
    const release = await admitHeavy(request, reply);
    if (release === undefined) return reply;
    const unhold = await projections.hold();
    let answer: { position: string; result: TotalsAnswer };
    try {
      const at = currentPosition(projections);
      const again = cached(key, at);
      if (again !== undefined) return sendAnswer(request, reply, at, again);
      answer = { position: at, result: await runInSlices(totalsQuerySteps(projections.stateOf(totalsProjection), query)) };
    } finally {
      unhold();
    }
    return sendAnswer(request, reply, answer.position, await serialise(key, query, answer.position, answer.result));
  }

  /** Encodes an answer in slices; keeps it when it is small enough, else streams it. */
  async function serialise(key: string, query: TotalsQuery, position: string, result: TotalsAnswer): Promise<Buffer | Readable> {
    const head = { position, groupBy: query.groupBy, currency: query.currency ?? null };
    const body = await jsonBody(head, 'rows', result.rows, { total: result.total }, cacheBytes.entryMax);
    if (Buffer.isBuffer(body)) cache.set(key, { position, body });
    return body;
  }

  function sendAnswer(request: FastifyRequest, reply: FastifyReply, position: string, body: Buffer | Readable): FastifyReply {
    if (notModified(request, reply, position)) {
      if (!Buffer.isBuffer(body)) body.destroy();
      return reply;
    }
    return reply.type(JSON_TYPE).send(body);
  }

  /** A past answer never changes, so it is cached by the position it reflects, like the live one. */
  async function respondAsOf(request: FastifyRequest, reply: FastifyReply, query: TotalsQuery, moment: Moment) {
    const head = projections.position;
    if ('position' in moment && (head === undefined || comparePositions(moment.position, head) > 0)) {
      throw new ValidationError(
        `asOf ${formatPosition(moment.position)} is beyond the last event applied (${currentPosition(projections)})`,
        [{ field: 'asOf', message: 'must not be beyond the current position' }],
      );
    }
    // Answered without the gate when the past state is at hand and this query's answer is cached or light; otherwise
    // heavy work.
    const ready = past.cachedAt(moment);
    if (ready !== undefined) {
      const at = positionText(ready.position);
      const pastQuery = { ...query, asOf: at } as TotalsQuery;
      const key = canonicalJson(pastQuery);
      const body = cached(key, at);
      if (body !== undefined) return sendAnswer(request, reply, at, body);
      if (isLight(ready.state, query))
        return sendAnswer(request, reply, at, await serialise(key, pastQuery, at, queryTotals(ready.state, query)));
    }
    const release = await admitHeavy(request, reply);
    if (release === undefined) return reply;
    const { position, state } = ready ?? (await past.at(moment));
    const at = positionText(position);
    if (notModified(request, reply, at)) return reply;
    const pastQuery = { ...query, asOf: at } as TotalsQuery;
    const key = canonicalJson(pastQuery);
    const hit = cached(key, at);
    if (hit !== undefined) return reply.type(JSON_TYPE).send(hit);
    // A past state sits in a cache bounded in bytes: the conversion is built for this answer and not kept in it.
    const answer = await runInSlices(totalsQuerySteps(state, query, { keepConversion: false }));
    return reply.type(JSON_TYPE).send(await serialise(key, pastQuery, at, answer));
  }

  app.get('/totals', { schema: totalsSchema, config: { scope: 'read' } }, (request, reply) => {
    const { groupBy, currency, minPosition, asOf, ...filter } = request.query;
    assertKnownProgramme(filter.programme);
    return respond(request, reply, { groupBy, currency, filter }, minPosition, asOf);
  });

  app.get('/programmes/:code/totals', { schema: programmeTotalsSchema, config: { scope: 'read' } }, (request, reply) => {
    const { groupBy, currency, minPosition, asOf, ...filter } = request.query;
    assertKnownProgramme(request.params.code);
    return respond(request, reply, { groupBy, currency, filter: { ...filter, programme: request.params.code } }, minPosition, asOf);
  });

  app.get('/countries/:code/totals', { schema: countryTotalsSchema, config: { scope: 'read' } }, (request, reply) => {
    const { groupBy, currency, minPosition, asOf, ...filter } = request.query;
    return respond(request, reply, { groupBy, currency, filter: { ...filter, country: request.params.code } }, minPosition, asOf);
  });
};
