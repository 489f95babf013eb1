// The server span of every HTTP request, made in Fastify's hooks (loaded by the app only when tracing is on).
// The official HTTP instrumentation patches node:http through a module hook, which an ESM service started without
// --import never runs; these hooks need nothing at start-up and name the span after the route pattern.
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tracer } from './spans.js';

interface RequestSpan {
  readonly span: Span;
  /** The span's context, active while the route's handler runs, so the command and store spans become its children. */
  readonly context: Context;
}

/**
 * Adds the hooks: a span per request from onRequest (a W3C `traceparent` header makes it a child of the caller's span)
 * to onResponse, and every route's handler run inside it. Call before the other hooks, so a request refused early (401,
 * 429, 503) is traced too, and before the routes, so each handler is wrapped.
 */
export function registerHttpSpans(app: FastifyInstance): void {
  const spans = new WeakMap<FastifyRequest, RequestSpan>();

  app.addHook('onRequest', (request, _reply, done) => {
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const route = request.routeOptions.url;
    const userAgent = request.headers['user-agent'];
    const span = tracer.startSpan(
      route === undefined ? request.method : `${request.method} ${route}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: request.method,
          [ATTR_HTTP_ROUTE]: route,
          [ATTR_URL_PATH]: request.url.split('?')[0],
          [ATTR_URL_SCHEME]: request.protocol,
          [ATTR_SERVER_ADDRESS]: request.hostname,
          [ATTR_SERVER_PORT]: request.port ?? undefined,
          [ATTR_CLIENT_ADDRESS]: request.ip,
          [ATTR_NETWORK_PROTOCOL_VERSION]: request.raw.httpVersion,
          [ATTR_USER_AGENT_ORIGINAL]: userAgent,
        },
      },
      parent,
    );
    spans.set(request, { span, context: trace.setSpan(parent, span) });
    // Every line logged for the request carries its trace, the per-request line included.
    const { traceId, spanId } = span.spanContext();
    request.log = request.log.child({ trace_id: traceId, span_id: spanId });
    done();
  });

  app.addHook('onRoute', (route) => {
    const handler = route.handler as (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) => unknown;
    route.handler = function handleInSpan(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      const traced = spans.get(request);
      return traced === undefined ? handler.call(this, request, reply) : context.with(traced.context, handler, this, request, reply);
    };
  });

  const end = (request: FastifyRequest, status: number | undefined): void => {
    const traced = spans.get(request);
    if (traced === undefined) return;
    spans.delete(request);
    if (status === undefined) {
      // The client went away before the answer was sent.
      traced.span.setAttribute(ATTR_ERROR_TYPE, 'aborted');
    } else {
      traced.span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      // Semantic conventions: a 4xx is the client's doing and leaves a server span's status unset; a 5xx is an error.
      if (status >= 500) {
        traced.span.setAttribute(ATTR_ERROR_TYPE, String(status));
        traced.span.setStatus({ code: SpanStatusCode.ERROR });
      }
    }
    traced.span.end();
  };
  app.addHook('onResponse', (request, reply, done) => {
    end(request, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    end(request, undefined);
    done();
  });
}
