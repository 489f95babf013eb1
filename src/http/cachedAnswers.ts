// A projection answer kept encoded with its header blocks, built once when it is cached and sent as they are.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ifNoneMatchHolds, positionHeaders, type PositionHeaders } from './consistency.js';

/** The headers a cached answer's 200 carries beyond the security headers every API answer gets. */
export type AnswerHeaders = PositionHeaders & {
  readonly 'content-type': string;
  readonly 'content-length': string;
};

/**
 * An answer at a position: its bytes and the headers of its 200 and of its 304. A dashboard asks the same URL over
 * and over, so the headers are worked out once per answer rather than once per request.
 */
export interface CachedAnswer {
  readonly position: string;
  /** Set each time the answer is served from the cache; what the idle release reads (and clears) to keep answers in use. */
  used: boolean;
  readonly body: Buffer;
  /** The headers of a 304, which carries no body and so no content-type or content-length. */
  readonly notModifiedHeaders: PositionHeaders;
  readonly headers: AnswerHeaders;
}

/** Roughly what the header blocks add to an entry's bytes, for the byte-bounded cache. */
export const HEADER_BLOCK_BYTES = 320;

export function cachedAnswer(position: string, body: Buffer, contentType: string): CachedAnswer {
  const notModifiedHeaders = Object.freeze(positionHeaders(position));
  // In the order notModified and Fastify set them on an answer not cached: the position headers, the type, the length.
  const headers = Object.freeze({ ...notModifiedHeaders, 'content-type': contentType, 'content-length': String(body.length) });
  return { position, body, notModifiedHeaders, headers, used: false };
}

/** 304 when If-None-Match names the answer's position, else the answer; the same headers an answer not cached gets. */
export function sendCachedAnswer(request: FastifyRequest, reply: FastifyReply, answer: CachedAnswer): FastifyReply {
  answer.used = true;
  if (ifNoneMatchHolds(request, answer.notModifiedHeaders.etag)) return reply.headers(answer.notModifiedHeaders).code(304).send();
  return reply.headers(answer.headers).send(answer.body);
}
