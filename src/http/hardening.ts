// Protection for a public service: connection limits, security headers (an API set; helmet's for pages), a write rate
// limit, and 503 instead of falling over under load.
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { clientOf } from './auth.js';
import { guardConnections } from './connections.js';
import { sendProblem } from './problems.js';

/**
 * The headers helmet sets, for pages: worked out once at start, since with fixed options they never vary, and building
 * its middleware per request (as @fastify/helmet does) cost 5-10% of a cached read. Helmet also removes X-Powered-By,
 * which neither Node nor Fastify sends.
 */
function documentSecurityHeaders(options: Readonly<HelmetOptions>): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const recorder = {
    setHeader: (name: string, value: string | number) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: () => undefined,
  };
  // Helmet 8.1 on throws a bad option directly rather than passing it to next.
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, () => undefined);
  return Object.freeze(headers);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route serves a page or a document for browsers (dashboard, docs): it gets helmet's full set of headers. */
    document?: boolean;
  }
}

/**
 * What every API answer carries: the headers OWASP's REST Security Cheat Sheet lists for API responses. The rest of
 * helmet's set (COOP, Origin-Agent-Cluster, X-DNS-Prefetch-Control, X-Download-Options, X-XSS-Protection, ...) acts
 * on HTML documents only; a JSON answer that loads nothing needs none of it, and each header costs Node and Fastify
 * about 3,000 instructions per answer (measured with callgrind: a quarter of a cached read).
 */
function apiSecurityHeaders(crossOriginResourcePolicy: string): Readonly<Record<string, string>> {
  return Object.freeze({
    // Nothing may load from a JSON answer, and nothing may frame it.
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'cross-origin-resource-policy': crossOriginResourcePolicy,
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
  });
}

export async function registerHardening(app: FastifyInstance, config: Config): Promise<void> {
  guardConnections(app.server, { maxConnections: config.maxConnections, bodyIdleTimeoutMs: config.bodyIdleTimeoutMs });
  const crossOriginResourcePolicy = config.corsOrigins.length > 0 ? 'cross-origin' : 'same-origin';
  const api = apiSecurityHeaders(crossOriginResourcePolicy);
  const documents = documentSecurityHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
      },
    },
    crossOriginResourcePolicy: { policy: crossOriginResourcePolicy },
  });
  // First of the onRequest hooks, so every answer that was routed carries them, refusals and errors included. On the
  // reply rather than the raw response: Node then writes all the headers in one pass instead of merging two sets.
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.routeOptions.config.document === true ? documents : api);
    done();
  });

  if (config.writesPerMinute > 0) {
    // Every POST route gets the limit; reads are cheap and cached, so only under-pressure bounds them.
    // This hook must be added before the plugin's own, which reads the route's rateLimit config.
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (methods.includes('POST')) route.config = { ...route.config, rateLimit: { max: config.writesPerMinute, timeWindow: 60_000 } };
    });
    await app.register(rateLimit, {
      global: false,
      // Counted per key id (or address), so no spelling of the header starts a fresh budget. In preParsing, after every
      // onRequest hook: authentication has named the principal, a wrong key is a 401 first, and no body is read yet.
      hook: 'preParsing',
      keyGenerator: clientOf,
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429,
        code: 'FST_ERR_RATE_LIMITED',
        message: `more than ${context.max} writes in ${context.after}; retry after ${Math.ceil(context.ttl / 1000)} s`,
      }),
    });
  }

  // Event-loop delay, heap and RSS: beyond any of them requests get 503 instead of piling up. /health/live is exempt
  // (its route sets its own pressureHandler): it says only whether the process is alive; /health/ready carries load.
  await app.register(underPressure, {
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    maxHeapUsedBytes: config.maxHeapUsedBytes,
    maxRssBytes: config.maxRssBytes,
    retryAfter: 5,
    pressureHandler: (_request, reply, type, value) => {
      reply.header('retry-after', '5');
      // Sent here; under-pressure then calls next(), and Fastify goes no further with an answered request.
      void sendProblem(reply, {
        type: 'urn:funding-ledger:problem:overloaded',
        title: 'Service unavailable',
        status: 503,
        detail: `the service is overloaded (${type}${value === undefined ? '' : ` ${String(value)}`}); retry shortly`,
      });
    },
  });
}
