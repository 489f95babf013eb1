// Projection answers: the position they reflect (body, X-Ledger-Position, ETag), 304 on a match, read-your-writes.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ProjectionRunner } from '../projections/runtime/runner.js';
import type { Position } from '../store/port.js';
import { formatPosition, positionText } from '../store/position.js';
import { sendProblem } from './problems.js';

/** How long `minPosition` may hold a request before answering 503. */
const MIN_POSITION_WAIT_MS = 5_000;

/**
 * The last position formatted, by identity: the runner replaces its position object with each event, so a cached read
 * need not turn the same bigint into text again on every request.
 */
let formatted: { readonly of: Position | undefined; readonly text: string } = { of: undefined, text: positionText(undefined) };

export function currentPosition(projections: ProjectionRunner): string {
  const position = projections.position;
  if (position !== formatted.of) formatted = { of: position, text: positionText(position) };
  return formatted.text;
}

/** Waits until the projections have applied `minPosition`; false (and a 503 sent) when they do not in time. */
export async function awaitMinPosition(
  projections: ProjectionRunner,
  minPosition: Position | undefined,
  reply: FastifyReply,
): Promise<boolean> {
  if (minPosition === undefined) return true;
  if (await projections.waitFor(minPosition, MIN_POSITION_WAIT_MS)) return true;
  reply.header('retry-after', '1');
  sendProblem(reply, {
    type: 'urn:funding-ledger:problem:position-not-reached',
    title: 'Service unavailable',
    status: 503,
    detail:
      `the projections have not reached position ${formatPosition(minPosition)} yet (they are at ` +
      `${currentPosition(projections)}); retry shortly`,
  });
  return false;
}

/** The headers naming the position an answer reflects, in the order they are sent (a type, so Fastify's headers() takes it). */
export type PositionHeaders = {
  readonly 'x-ledger-position': string;
  /** The position, quoted: it changes whenever the ledger does. */
  readonly etag: string;
  /** A client may keep the answer but asks again each time, with If-None-Match. */
  readonly 'cache-control': string;
};

export function positionHeaders(position: string): PositionHeaders {
  return { 'x-ledger-position': position, etag: `"${position}"`, 'cache-control': 'no-cache' };
}

/**
 * Sets the position headers and answers 304 when the client already holds this position's answer.
 * Returns true when a 304 was sent. The ETag is the position, so it changes whenever the ledger does.
 */
export function notModified(request: FastifyRequest, reply: FastifyReply, position: string): boolean {
  const headers = positionHeaders(position);
  reply.headers(headers);
  if (ifNoneMatchHolds(request, headers.etag)) {
    reply.code(304).send();
    return true;
  }
  return false;
}

/** True when the request's If-None-Match names `etag` (weakly) or is "*". */
export function ifNoneMatchHolds(request: FastifyRequest, etag: string): boolean {
  const ifNoneMatch = request.headers['if-none-match'];
  // "*" matches any current answer (RFC 9110, 13.1.2), and every route asking has one.
  return typeof ifNoneMatch === 'string' && ifNoneMatch.split(',').some((tag) => ['*', etag].includes(tag.trim().replace(/^W\//, '')));
}
