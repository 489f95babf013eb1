// Response declarations: per status, its description, headers and body schema under the content type actually sent.
import { z, type ZodType } from 'zod';
import { problemSchema } from './common.js';
import { responseHeaders } from './headers.js';

/**
 * One status of a route's `schema.response`, in the OpenAPI shape Fastify also understands: Fastify compiles
 * `content[type].schema` with the zod serializer for replies of that content type; `openapi.ts` documents the rest.
 */
export interface ResponseSpec<Content extends Record<string, { schema: ZodType }> = Record<string, { schema: ZodType }>> {
  readonly description: string;
  /** Documentation only: Fastify does not check response headers. */
  readonly headers?: Readonly<Record<string, ZodType>>;
  readonly content?: Content;
}

export function jsonResponse<S extends ZodType>(description: string, schema: S, headers?: Record<string, ZodType>) {
  return { description, ...(headers !== undefined && { headers }), content: { 'application/json': { schema } } } satisfies ResponseSpec;
}

/** A status answered without a body (304). */
export function emptyResponse(description: string, headers?: Record<string, ZodType>): ResponseSpec<never> {
  return { description, ...(headers !== undefined && { headers }) };
}

/** Problems go out as application/problem+json (see problems.ts), so that is the content type they are declared under. */
export function problemResponse(description: string, headers?: Record<string, ZodType>) {
  return {
    description,
    ...(headers !== undefined && { headers }),
    content: { 'application/problem+json': { schema: problemSchema } },
  } satisfies ResponseSpec;
}

export function isResponseSpec(value: unknown): value is ResponseSpec {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof z.ZodType) &&
    typeof (value as { description?: unknown }).description === 'string'
  );
}

export const problems = {
  invalid: problemResponse('Malformed JSON, or a request part that fails validation; `errors` names every offending field'),
  unauthorized: problemResponse('No API key, or one that is not valid', { 'WWW-Authenticate': responseHeaders.wwwAuthenticate }),
  forbidden: problemResponse('The API key lacks the scope this route needs'),
  conflict: problemResponse('It exists already, or a concurrent write reached the stream first: reload and retry'),
  preconditionFailed: problemResponse('If-Match names a revision that is no longer current: reload and decide again'),
  tooLarge: problemResponse(
    'The body is larger than the configured limit (BODY_LIMIT_BYTES), or the events it would record are larger than the event store ' +
      'accepts in one write',
  ),
  gone: problemResponse(
    'The stream was deleted in the event store, outside the ledger (which never deletes): its history cannot be read or added to',
  ),
  unsupportedMediaType: problemResponse('The body is not application/json'),
  ruleViolated: problemResponse('A ledger rule refused the command, or the Idempotency-Key was used before for a different request'),
  internal: problemResponse('An unexpected error; it has been logged'),
  storeFull: problemResponse(
    'The disk holding the event store is full; nothing was written: retry after Retry-After, once space is freed, with the same ' +
      'Idempotency-Key',
    {
      'Retry-After': responseHeaders.retryAfter,
    },
  ),
  storeUnavailable: problemResponse(
    'The event store is unavailable, or (for a write) the service is still catching up with it; nothing was written: retry. ' +
      "Type store-damaged: a page of the embedded store's file is damaged; nothing is answered from it until an operator restores " +
      'it from a backup (retrying does not help)',
    {
      'Retry-After': responseHeaders.retryAfter,
    },
  ),
} as const;

/**
 * What a route doing heavy work can answer besides its own statuses (README "Heavy work"): this client is over its
 * share or its budget (429), or every slot and queue place is taken (503).
 */
export const heavyProblems = {
  429: problemResponse(
    'This client already has its share of heavy requests running or waiting, or has used its budget of heavy requests for the minute',
    {
      'Retry-After': responseHeaders.retryAfter,
    },
  ),
  503: problemResponse(
    'The event store is unavailable, the heavy-work queue is full or no slot came free in time, or the service is overloaded; retry ' +
      "after Retry-After. Type store-damaged: a page of the embedded store's file is damaged; nothing is answered from it until an " +
      'operator restores it from a backup (retrying does not help)',
    {
      'Retry-After': responseHeaders.retryAfter,
    },
  ),
} as const;

/** What every route that needs a key can answer besides its own statuses. */
export const authProblems = { 401: problems.unauthorized, 403: problems.forbidden, 500: problems.internal } as const;

/** What every write (POST with a JSON body) can answer besides its own statuses. */
export const writeProblems = {
  ...authProblems,
  400: problems.invalid,
  409: problems.conflict,
  410: problems.gone,
  413: problems.tooLarge,
  415: problems.unsupportedMediaType,
  422: problems.ruleViolated,
  503: problems.storeUnavailable,
  507: problems.storeFull,
} as const;

/**
 * For handlers that do not send one typed body: write routes answer through an `Outcome` (idempotency.ts) whose
 * status is a number, and streams are not bodies at all. Typed by number; the zod serializer still checks every
 * JSON body at run time.
 */
export function looseResponses(responses: Record<number, ResponseSpec>): Record<number, ResponseSpec> {
  return responses;
}
