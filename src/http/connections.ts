// Connections a slow or hostile client cannot hold: a cap on their number, a body that stalls gets 408, and an answer
// given before the body was read closes the connection.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { LedgerError } from '../domain/errors.js';

/** A body is stalled when a window brings less than this and it is still not complete: a trickle is a stall too. */
const MIN_BODY_BYTES_PER_WINDOW = 1024;

/** How long a stalled request's connection may take to flush its 408 before it is cut. */
const FLUSH_GRACE_MS = 1_000;

/** The request body stopped or trickled (408); answered as a problem by the one error handler. */
export class RequestTimeoutError extends LedgerError {
  override readonly name = 'RequestTimeoutError';
  readonly status = 408;
  readonly title = 'Request timeout';
}

export interface ConnectionLimits {
  /** Node drops a connection accepted beyond this many open ones. */
  readonly maxConnections: number;
  readonly bodyIdleTimeoutMs: number;
}

export function guardConnections(server: Server, limits: ConnectionLimits): void {
  server.maxConnections = limits.maxConnections;
  // Prepended: Fastify answers some requests (401 in an onRequest hook) inside its own 'request' listener. Requests
  // without a body, nearly every read, cost two header lookups here and nothing more.
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    if (!declaresBody(request)) return;
    closeWhenAnsweredUnread(request, response);
    watchBody(request, response, limits.bodyIdleTimeoutMs);
  });
}

function declaresBody(request: IncomingMessage): boolean {
  const length = request.headers['content-length'];
  return (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined;
}

/**
 * An answer sent while the body is still arriving (401, 413, 415, 429 refuse before reading it) says
 * `Connection: close`, and Node then ends the socket once the answer is out. Otherwise Node keeps reading the rest of
 * the body to reuse the connection, and a client dripping bytes holds it open as long as it likes.
 */
function closeWhenAnsweredUnread(request: IncomingMessage, response: ServerResponse): void {
  const writeHead = response.writeHead.bind(response) as (...args: unknown[]) => ServerResponse;
  response.writeHead = (...args: unknown[]): ServerResponse => {
    if (!request.complete) response.shouldKeepAlive = false;
    return writeHead(...args);
  };
}

/**
 * Checks the body's progress once a window (bytes read on the socket: Node's parser reads it without JS events).
 * Stops as soon as the body is complete or the answer has ended, so neither a keep-alive socket waiting for its next
 * request nor a long answer (a CSV export, the totals stream) is ever cut by it.
 */
function watchBody(request: IncomingMessage, response: ServerResponse, windowMs: number): void {
  const socket = request.socket;
  let seen = socket.bytesRead;
  const timer = setTimeout(() => {
    if (request.complete || response.writableEnded || socket.destroyed) return;
    if (socket.bytesRead - seen >= MIN_BODY_BYTES_PER_WINDOW) {
      seen = socket.bytesRead;
      timer.refresh();
      return;
    }
    answerStalled(request, response, windowMs);
  }, windowMs);
  timer.unref();
  response.once('close', () => clearTimeout(timer));
}

function answerStalled(request: IncomingMessage, response: ServerResponse, windowMs: number): void {
  const socket = request.socket;
  setTimeout(() => socket.destroy(), FLUSH_GRACE_MS).unref();
  // An answer already under way cannot become a 408: the connection is cut.
  if (response.headersSent) {
    socket.destroy();
    return;
  }
  const error = new RequestTimeoutError(`the request body stalled: less than ${MIN_BODY_BYTES_PER_WINDOW} bytes in ${windowMs} ms`);
  // Fastify's body reader listens for errors on the request: it stops and the error handler answers the problem, with
  // `Connection: close` since the body is incomplete.
  if (request.listenerCount('error') > 0) {
    request.emit('error', error);
    return;
  }
  // Nobody reads this body (a route that takes none): answer here.
  const body = JSON.stringify({
    type: 'urn:funding-ledger:problem:request-timeout',
    title: error.title,
    status: 408,
    detail: error.message,
    instance: request.url,
  });
  response.shouldKeepAlive = false;
  response
    .writeHead(408, { 'content-type': 'application/problem+json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
    .end(body);
}
