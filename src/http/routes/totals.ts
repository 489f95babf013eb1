// Routes: exact totals by any combination of dimensions, for dashboards.
import type { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { programmesProjection } from '../../projections/models/programmes.js';
import { totalsProjection } from '../../projections/models/totals/projection.js';
import {
  queryTotals,
  totalsQuerySteps,
  type TotalsAnswer,
  type TotalsFilter,
  type TotalsQuery,
} from '../../projections/models/totals/query.js';
import type { TotalsState } from '../../projections/models/totals/state.js';
import type { Moment, PastTotals } from '../../projections/runtime/asOf.js';
import type { Position } from '../../store/port.js';
import { positionText } from '../../store/position.js';
import { assertKnownProgramme } from '../../exports/request.js';
import { assertNotBeyond } from '../../exports/sources.js';
import { canonicalJson } from '../../domain/canonicalJson.js';
import { ByteBoundedCache } from '../../runtime/byteBoundedCache.js';
import { runInSlices } from '../../runtime/timeSlice.js';
import type { LedgerContext } from '../context.js';
import { admitHeavy, IDLE_MS } from '../heavyWork.js';
import { jsonBody } from '../jsonBody.js';
import { encodeTotalsRow } from '../totalsRowJson.js';
import { awaitMinPosition, currentPosition, notModified } from '../consistency.js';
import { cachedAnswer, HEADER_BLOCK_BYTES, sendCachedAnswer, type CachedAnswer } from '../cachedAnswers.js';
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
  'Each row has a field per groupBy dimension, then `count` and `amounts` by original currency; with `currency`, also `converted`, ' +
  '`unconverted` and the `rates` used. `basis=new` leaves out the money restating earlier announcements; `stage` (a filter and a ' +
  'dimension) adds committed and disbursed money. ' +
  'Send If-None-Match with the last ETag to get 304 while nothing changed, and minPosition (from a write) to read your own writes.';

/** One totals route: its path, what the path adds to the filter, and whether an unknown programme is refused. */
interface TotalsRoute {
  readonly url: string;
  readonly operationId: string;
  readonly summary: string;
  readonly params?: typeof programmeParamsSchema | typeof countryParamsSchema;
  readonly querystring: typeof totalsQuerySchema | typeof programmeScopedTotalsQuerySchema | typeof countryScopedTotalsQuerySchema;
  /** The filter the path names (a programme or a country), over the query's own. */
  readonly pathFilter: (params: { readonly code?: string }) => TotalsFilter;
  /** A programme the ledger does not know is a 400 (the filter's or the path's), not empty totals. */
  readonly refusesUnknownProgramme: boolean;
}

const TOTALS_ROUTES: readonly TotalsRoute[] = [
  {
    url: '/totals',
    operationId: 'getTotals',
    summary: 'Totals by any combination of dimensions',
    querystring: totalsQuerySchema,
    pathFilter: () => ({}),
    refusesUnknownProgramme: true,
  },
  {
    url: '/programmes/:code/totals',
    operationId: 'getProgrammeTotals',
    summary: 'Totals of one programme',
    params: programmeParamsSchema,
    querystring: programmeScopedTotalsQuerySchema,
    pathFilter: ({ code }) => ({ programme: code }),
    refusesUnknownProgramme: true,
  },
  {
    url: '/countries/:code/totals',
    operationId: 'getCountryTotals',
    summary: 'Totals of the money going to one country (or "unallocated")',
    params: countryParamsSchema,
    querystring: countryScopedTotalsQuerySchema,
    pathFilter: ({ code }) => ({ country: code }),
    refusesUnknownProgramme: false,
  },
];

function totalsSchemaOf(route: TotalsRoute) {
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: route.refusesUnknownProgramme ? `${TOTALS_DESCRIPTION} An unknown programme is refused with 400.` : TOTALS_DESCRIPTION,
    tags: TAGS,
    ...(route.params !== undefined && { params: route.params }),
    querystring: route.querystring,
    requestHeaders: { 'If-None-Match': requestHeaders.ifNoneMatch },
    response: totalsResponses,
  };
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
    (entry) => entry.body.length + 2 * entry.position.length + 64 + HEADER_BLOCK_BYTES,
  );
  // The canonical query of each live URL as sent (no minPosition, no asOf): a dashboard asks one URL over and over,
  // and finding it here skips building and canonicalising the query.
  const byUrl = new Map<string, string>();
  // Once heavy work stops, its answers go: a dashboard's (4 KB) stay, a burst's (up to the entry bound) would only
  // serve the same burst again, and kept they were most of what RSS held over its start when the load was over.
  // A large answer served in the last idle period stays, and is looked at again one period later: many clients
  // reading one large answer from the cache run no heavy work, so the gate goes idle under them, and dropping the
  // answer then made every one of them heavy work again, past the per-minute budget (the bench's converted read:
  // 429s from then on). It goes once a whole period passes without it being served.
  let recheck: NodeJS.Timeout | undefined;
  const dropUnusedLargeAnswers = (): void => {
    recheck = undefined;
    let kept = false;
    cache.dropWhere((answer, bytes) => {
      if (bytes <= IDLE_KEPT_ANSWER_BYTES) return false;
      if (!answer.used) return true;
      answer.used = false;
      kept = true;
      return false;
    });
    if (kept && recheck === undefined) recheck = setTimeout(dropUnusedLargeAnswers, IDLE_MS).unref();
  };
  fastify.heavyWork.releaseAtIdle(dropUnusedLargeAnswers);
  fastify.addHook('onClose', async () => clearTimeout(recheck));

  const past = context.pastTotals;

  function cached(key: string, position: string): Buffer | undefined {
    const hit = cache.get(key);
    if (hit === undefined || hit.position !== position) return undefined;
    hit.used = true;
    return hit.body;
  }

  /**
   * The cached answer of a live URL answered before, while the projections are still at its position. Such a URL
   * passed validation (which runs again before the handler) and named a programme the ledger knew, and programmes
   * are never unregistered: nothing the handler would check can have changed.
   */
  function cachedForUrl(url: string): CachedAnswer | undefined {
    const key = byUrl.get(url);
    if (key === undefined) return undefined;
    const hit = cache.get(key);
    return hit !== undefined && hit.position === currentPosition(projections) ? hit : undefined;
  }

  function rememberUrl(url: string, key: string): void {
    if (byUrl.size >= URL_MEMORY && !byUrl.has(url)) byUrl.delete(byUrl.keys().next().value as string);
    byUrl.set(url, key);
  }

  const programmes = { hasProgramme: (code: string) => projections.stateOf(programmesProjection).has(code) };

  /** 304 at once when the client holds the current answer; a promise of the answer otherwise. */
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
    if (minPosition === undefined) rememberUrl(request.url, key);
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
      answer = {
        position: at,
        result: await runInSlices(totalsQuerySteps(projections.stateOf(totalsProjection), query, { pool: context.scratch })),
      };
    } finally {
      unhold();
    }
    return sendAnswer(request, reply, answer.position, await serialise(key, query, answer.position, answer.result));
  }

  /** Encodes an answer in slices; keeps it when it is small enough, else streams it. */
  async function serialise(key: string, query: TotalsQuery, position: string, result: TotalsAnswer): Promise<Buffer | Readable> {
    const head = { position, groupBy: query.groupBy, currency: query.currency ?? null };
    const body = await jsonBody(
      head,
      'rows',
      result.rows,
      { total: result.total },
      cacheBytes.entryMax,
      undefined,
      // Converted rows cite rates: each cited rate encoded once (totalsRowJson.ts).
      query.currency === undefined ? undefined : encodeTotalsRow,
    );
    if (Buffer.isBuffer(body)) cache.set(key, cachedAnswer(position, body, JSON_TYPE));
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
    assertNotBeyond(moment, projections.position);
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
    const answer = async ({ position, state, release: releaseState }: PastTotals): Promise<FastifyReply> => {
      try {
        const at = positionText(position);
        if (notModified(request, reply, at)) return reply;
        const pastQuery = { ...query, asOf: at } as TotalsQuery;
        const key = canonicalJson(pastQuery);
        const hit = cached(key, at);
        if (hit !== undefined) return reply.type(JSON_TYPE).send(hit);
        // A past state sits in a cache bounded in bytes: the conversion is built for this answer and not kept in it.
        const result = await runInSlices(totalsQuerySteps(state, query, { keepConversion: false, pool: context.scratch }));
        return reply.type(JSON_TYPE).send(await serialise(key, pastQuery, at, result));
      } finally {
        // The answer is made (rows of plain values): nothing reads the state after this.
        releaseState?.();
      }
    };
    try {
      return await answer(ready ?? (await past.at(moment)));
    } catch (error) {
      // The query met a damaged part of the history (a past state's slots and conversions are read as it asks for
      // them): the history stops answering, and this moment is answered again from a rebuild.
      if (ready !== undefined || !past.historyDamaged(error)) throw error;
      return answer(await past.at(moment));
    }
  }

  for (const route of TOTALS_ROUTES) {
    // Synchronous: an async handler returning the reply costs a promise and end-of-stream listeners on every request,
    // and a cached answer, the common case, is sent at once.
    app.get(route.url, { schema: totalsSchemaOf(route), config: { scope: 'read' } }, (request, reply) => {
      const hit = cachedForUrl(request.url);
      if (hit !== undefined) return sendCachedAnswer(request, reply, hit);
      const { groupBy, currency, basis, minPosition, asOf, ...filter } = request.query;
      const query = { groupBy, currency, basis, filter: { ...filter, ...route.pathFilter(request.params ?? {}) } };
      if (route.refusesUnknownProgramme) assertKnownProgramme(programmes, query.filter.programme);
      return respond(request, reply, query, minPosition, asOf);
    });
  }
};
