// RFC 9457 problem details: request validation, and the one error handler that turns every error into a problem.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import type { ZodType } from 'zod';
import { LedgerError, ValidationError, type FieldError } from '../domain/errors.js';
import { publicMessage, withoutPaths } from '../domain/publicMessage.js';
import {
  AppendTooLargeError,
  InvalidPositionError,
  StoreAccessDeniedError,
  StoreDamagedError,
  StoreFullError,
  StoreUnavailableError,
  StreamDeletedError,
} from '../store/port.js';

const PROBLEM_BASE = 'urn:funding-ledger:problem:';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly instance?: string;
  readonly errors?: readonly (FieldError & { in?: string })[];
}

export function sendProblem(reply: FastifyReply, problem: Omit<Problem, 'instance'>): FastifyReply {
  return reply
    .code(problem.status)
    .type('application/problem+json; charset=utf-8')
    .send({ ...problem, instance: reply.request.url });
}

type Part = 'body' | 'querystring' | 'params' | 'headers';
const PART_NAMES: Record<Part, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)),
    '',
  );
}

/** How many distinct query strings each route remembers the validated form of, and the longest one it keeps. */
const QUERY_MEMO_LIMIT = 256;
const QUERY_MEMO_MAX_KEY = 2_048;

/** Validates a request part with its zod schema; failures name every offending field. */
export const zodValidatorCompiler: FastifySchemaCompiler<ZodType> = ({ schema, httpPart }) => {
  const where = PART_NAMES[(httpPart ?? 'body') as Part] ?? 'body';
  const validate = (data: unknown) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    const errors = result.error.issues.flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ in: where, field: fieldPath([...issue.path, key]), message: 'is not a known field' }))
        : [{ in: where, field: fieldPath(issue.path) || '(root)', message: issue.message }],
    );
    return { error: new ValidationError(`the request ${where} is invalid`, errors) };
  };
  return httpPart === 'querystring' ? memoisedByInput(validate) : validate;
};

/**
 * Dashboards send the same few queries over and over, and parsing one with zod was 3% of a cached read: the
 * validated form of a query that passed is kept, keyed by the parsed query (see queryKey). The schemas are pure, so the
 * same input always gives the same output. The kept value is shared between requests, so it is frozen: a handler that
 * tried to change it would fail loudly, not corrupt others.
 */
function memoisedByInput(
  validate: (data: unknown) => { value: unknown } | { error: Error },
): (data: unknown) => { value: unknown } | { error: Error } {
  const passed = new Map<string, { value: unknown }>();
  return (data) => {
    const key = queryKey(data);
    if (key === undefined) return validate(data);
    const known = passed.get(key);
    if (known !== undefined) return known;
    const result = validate(data);
    if ('error' in result || key.length > QUERY_MEMO_MAX_KEY) return result;
    const frozen = { value: deepFreeze(result.value) };
    if (passed.size >= QUERY_MEMO_LIMIT) passed.delete(passed.keys().next().value as string);
    passed.set(key, frozen);
    return frozen;
  };
}

/**
 * The parsed query as one string, each name and value prefixed by its length, so no decoded "&" or "=" can make two
 * queries look alike; undefined for anything but a flat record of strings (then it is simply not remembered).
 */
function queryKey(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  let key = '';
  for (const [name, value] of Object.entries(data)) {
    if (typeof value !== 'string') return undefined;
    key += `${name.length}:${name}${value.length}:${value}`;
  }
  return key;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

function problemFor(error: FastifyError | Error): Omit<Problem, 'instance'> | undefined {
  if (error instanceof LedgerError) {
    const slug = error.name.replace(/Error$/, '').replace(/[A-Z]/g, (c, i: number) => (i ? '-' : '') + c.toLowerCase());
    return {
      type: PROBLEM_BASE + slug,
      title: error.title,
      status: error.status,
      detail: error.message,
      ...(error.errors.length ? { errors: error.errors } : {}),
    };
  }
  if (error instanceof StoreUnavailableError) {
    return {
      type: `${PROBLEM_BASE}store-unavailable`,
      title: 'Service unavailable',
      status: 503,
      detail:
        'the event store is unavailable; nothing is half-written, but a write cut off in flight may have been recorded: retry with the ' +
        'same Idempotency-Key',
    };
  }
  return storeProblemFor(error) ?? frameworkProblemFor(error);
}

/**
 * The store's answers that are not the client's fault but are its to know: each a 4xx the client can act on, or a 503
 * it can retry; never a 500. `after` is the one request parameter that reaches a read of the global log as a position.
 */
function storeProblemFor(error: Error): Omit<Problem, 'instance'> | undefined {
  if (error instanceof InvalidPositionError) {
    const message = "is not the position of an event: pass a position this service gave (an event's `position`, a `nextCursor`), or 0";
    return {
      type: `${PROBLEM_BASE}validation`,
      title: 'Invalid request',
      status: 400,
      detail: 'the request query is invalid',
      errors: [{ in: 'query', field: 'after', message }],
    };
  }
  if (error instanceof AppendTooLargeError) {
    const limit = error.maxBytes === undefined ? '' : ` (${error.maxBytes} bytes of event data and metadata)`;
    return {
      type: `${PROBLEM_BASE}append-too-large`,
      title: 'Content too large',
      status: 413,
      detail: `the events this request would record are larger than the event store accepts in one write${limit}`,
    };
  }
  if (error instanceof StreamDeletedError) {
    return {
      type: `${PROBLEM_BASE}stream-deleted`,
      title: 'Gone',
      status: 410,
      detail:
        `${error.stream} was deleted in the event store, outside the ledger (which never deletes): its history cannot be read or ` +
        `added to`,
    };
  }
  if (error instanceof StoreFullError) {
    return {
      type: `${PROBLEM_BASE}store-full`,
      title: 'Insufficient storage',
      status: 507,
      detail:
        'the disk holding the event store is full (ENOSPC); nothing was written: retry once space is freed, with the same Idempotency-Key',
    };
  }
  if (error instanceof StoreDamagedError) {
    // A page first read after a start from a snapshot: what the projections hold in memory is still served.
    const detail =
      `the event store's file is damaged (${withoutPaths(error.damage)}): this request cannot be answered until an ` +
      `operator stops the service and restores the store from a backup (ledger restore --from <backup>)`;
    return { type: `${PROBLEM_BASE}store-damaged`, title: 'Service unavailable', status: 503, detail };
  }
  if (error instanceof StoreAccessDeniedError) {
    return {
      type: `${PROBLEM_BASE}store-access-denied`,
      title: 'Service unavailable',
      status: 503,
      detail: "the event store refused this service's user; an operator has to restore its rights",
    };
  }
  return undefined;
}

function frameworkProblemFor(error: FastifyError | Error): Omit<Problem, 'instance'> | undefined {
  const code = (error as FastifyError).code;
  switch (code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        type: `${PROBLEM_BASE}unsupported-media-type`,
        title: 'Unsupported media type',
        status: 415,
        detail: 'send the body as application/json',
      };
    case 'FST_ERR_RATE_LIMITED':
      return { type: `${PROBLEM_BASE}rate-limited`, title: 'Too many requests', status: 429, detail: publicMessage(error) };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { type: `${PROBLEM_BASE}body-too-large`, title: 'Content too large', status: 413, detail: publicMessage(error) };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { type: `${PROBLEM_BASE}malformed-json`, title: 'Malformed JSON', status: 400, detail: publicMessage(error) };
  }
  const status = (error as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    const title = status === 400 && error instanceof SyntaxError ? 'Malformed JSON' : 'Bad request';
    // Any 4xx a plugin raises (a static file it could not send, say) may name a file: the client gets no path.
    return {
      type: `${PROBLEM_BASE}${status === 400 && error instanceof SyntaxError ? 'malformed-json' : 'bad-request'}`,
      title,
      status,
      detail: publicMessage(error),
    };
  }
  return undefined;
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const problem = problemFor(error);
    if (problem) {
      // A damaged file does not mend by itself: no Retry-After, and the operator's log gets it as an error.
      if (error instanceof StoreDamagedError) {
        request.log.error({ status: problem.status, problem: problem.type, reason: error.message }, 'the event store is damaged');
        return sendProblem(reply, problem);
      }
      if (problem.status === 503) reply.header('retry-after', '5');
      // Space is freed by an operator, not in seconds.
      if (problem.status === 507) reply.header('retry-after', '60');
      // The log keeps what the answer left out.
      const withheld = problem.detail !== error.message ? { reason: error.message } : {};
      request.log.info({ status: problem.status, problem: problem.type, ...withheld }, problem.detail);
      return sendProblem(reply, problem);
    }
    request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, {
      type: `${PROBLEM_BASE}internal`,
      title: 'Internal server error',
      status: 500,
      detail: 'an unexpected error occurred; it has been logged',
    });
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      type: `${PROBLEM_BASE}not-found`,
      title: 'Not found',
      status: 404,
      detail: `no route ${request.method} ${request.url.split('?')[0] ?? ''}`,
    }),
  );
}

/**
 * Errors Fastify meets before routing (a path that is not valid percent-encoding, a parameter over the length limit):
 * problems too, instead of Fastify's own JSON. The path is not echoed back: it may be megabytes of anything.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const problem =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? {
          type: `${PROBLEM_BASE}uri-too-long`,
          title: 'URI too long',
          status: 414,
          detail: 'a path segment is longer than this service accepts',
        }
      : error.code === 'FST_ERR_BAD_URL'
        ? {
            type: `${PROBLEM_BASE}bad-request`,
            title: 'Bad request',
            status: 400,
            detail: 'the request path is not a valid percent-encoded URL',
          }
        : { type: `${PROBLEM_BASE}bad-request`, title: 'Bad request', status: 400, detail: 'the request cannot be routed' };
  request.log.info({ status: problem.status, problem: problem.type }, problem.detail);
  void sendProblem(reply, problem);
}

/**
 * Malformed HTTP the parser refuses before any request exists (headers too large, a broken request line or chunk):
 * a problem written to the socket, as Node's own fallback does, then the connection closes. What the client still
 * sends is read and dropped for a moment, so it can read the answer instead of meeting a reset.
 */
export function answerClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // The code only: the error's rawPacket holds the request as received, Authorization header included.
  this.log.debug({ code: error.code }, 'malformed HTTP request');
  const [status, slug, detail]: [number, string, string] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers-too-large', 'the request headers are larger than this service accepts']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request-timeout', 'the request did not arrive in time']
        : [400, 'malformed-request', 'the request is not valid HTTP/1.1'];
  const title = STATUS_CODES[status] ?? 'Bad Request';
  // Written only when no answer to an earlier request on this connection has started, so the stream stays intact.
  const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (socket.writable && !answering) {
    const body = JSON.stringify({ type: PROBLEM_BASE + slug, title, status, detail });
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/problem+json; charset=utf-8\r\nContent-Length: ` +
        `${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.resume();
  setTimeout(() => socket.destroy(), 1000).unref();
}
