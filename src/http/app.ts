// Builds the Fastify application from its dependencies; used by the server, the tests and the CLI alike.
import Fastify, {
  LogController,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
  type HookHandlerDoneFunction,
} from 'fastify';
import cors from '@fastify/cors';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { registerAuth } from './auth.js';
import { registerHardening } from './hardening.js';
import { HeavyWorkGate } from './heavyWork.js';
import { collectAndCompact } from '../runtime/garbage.js';
import { registerMetrics } from './metrics.js';
import { lazyChildLogger } from './requestLogger.js';
import type { LedgerContext } from './context.js';
import { openApiRoutes, registerOpenApi } from './openapi.js';
import { answerClientError, answerFrameworkError, registerProblemHandlers, sendProblem, zodValidatorCompiler } from './problems.js';
import { adminKeyRoutes } from './routes/adminKeys.js';
import { announcementFlowRoutes } from './routes/announcementFlows.js';
import { announcementRoutes } from './routes/announcements.js';
import { auditRoutes } from './routes/audit.js';
import { auditProofRoutes } from './routes/auditProofs.js';
import { backupRoutes } from './routes/backups.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { exchangeRateRoutes } from './routes/exchangeRates.js';
import { exportRoutes } from './routes/exports.js';
import { healthRoutes } from './routes/health.js';
import { historyRoutes } from './routes/history.js';
import { metricsRoutes } from './routes/metrics.js';
import { programmeRoutes } from './routes/programmes.js';
import { totalsRoutes } from './routes/totals.js';
import { totalsStreamRoutes } from './routes/totalsStream.js';

/** The levels at which the per-request line (info) is written. */
const LEVELS_LOGGING_REQUESTS: ReadonlySet<string> = new Set(['info', 'debug', 'trace']);

export async function buildApp(
  context: LedgerContext,
  options: Pick<FastifyServerOptions, 'requestTimeout' | 'keepAliveTimeout'> = {},
): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: context.logger,
    bodyLimit: context.config.bodyLimitBytes,
    // X-Request-Id from a proxy is kept when it looks like an id: the request id is recorded as events' causationId.
    requestIdHeader: false,
    logController: new LogController({ requestIdLogLabel: 'requestId', disableRequestLogging: true }),
    childLoggerFactory: lazyChildLogger,
    genReqId: (request) => {
      const id = request.headers['x-request-id'];
      return typeof id === 'string' && /^[\x21-\x7e]{1,200}$/.test(id) ? id : crypto.randomUUID();
    },
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    // Refuse prototype-pollution keys outright rather than stripping them silently (400).
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    ...options,
  });
  // Fastify parses text/plain by default; the API takes JSON only, so anything else is a 415, not a 400.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerProblemHandlers(app);
  // A span per request while tracing is on (README "Tracing"): first, so refusals are traced too. Loaded only then,
  // so a ledger without tracing has not one hook more.
  if (context.config.tracing !== undefined) (await import('../telemetry/httpSpans.js')).registerHttpSpans(app);
  await registerHardening(app, context.config);
  if (context.config.corsOrigins.length > 0) {
    const origins = context.config.corsOrigins;
    await app.register(cors, {
      origin: origins.includes('*') ? '*' : [...origins],
      methods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
      allowedHeaders: ['authorization', 'content-type', 'idempotency-key', 'if-match', 'if-none-match', 'x-correlation-id'],
      exposedHeaders: ['etag', 'location', 'x-ledger-position', 'retry-after'],
      maxAge: 600,
    });
  }
  registerAuth(app, { keys: context.keys, publicRead: context.config.publicRead });
  // Once heavy work stops, its garbage is collected: V8 would keep it mapped while the process is idle.
  // The past states the as-of queries kept go first: only another burst would use them.
  const heavyWork = new HeavyWorkGate(context.config.heavy, { onIdle: collectAndCompact });
  heavyWork.releaseAtIdle(() => {
    context.pastTotals.releaseStates();
    context.scratch.clear();
  });
  app.decorate('heavyWork', heavyWork);

  // One line per request: id, method, route, status and time; never headers or bodies. The level is fixed at start,
  // and below info the hook is not added at all: even an empty onResponse hook makes Fastify watch every response end.
  if (LEVELS_LOGGING_REQUESTS.has(context.logger.level)) {
    app.addHook('onResponse', (request, reply, done) => {
      request.log.info(
        {
          method: request.method,
          url: request.routeOptions.url ?? request.url.split('?')[0],
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
        },
        'request',
      );
      done();
    });
  }

  // Before the routes, so that the metrics' hooks measure every one of them.
  const metrics = registerMetrics(app, context);

  // Writes wait for the projections to be complete, so idempotency and rule checks see every earlier event.
  // Only POST routes get the check: reads must not pay for a hook that never applies to them.
  const refuseUntilReady = (_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    if (context.projections.ready) return done();
    reply.header('retry-after', '2');
    sendProblem(reply, {
      type: 'urn:funding-ledger:problem:not-ready',
      title: 'Service unavailable',
      status: 503,
      detail: 'the ledger is catching up with its event store; retry shortly',
    });
  };
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.includes('POST')) return;
    const own = route.preHandler === undefined ? [] : Array.isArray(route.preHandler) ? route.preHandler : [route.preHandler];
    route.preHandler = [refuseUntilReady, ...own];
  });

  // Before the routes: @fastify/swagger collects them as they are added.
  await registerOpenApi(app);
  await app.register(healthRoutes, { context });
  await app.register(programmeRoutes, { context });
  await app.register(announcementRoutes, { context });
  await app.register(announcementFlowRoutes, { context });
  await app.register(exchangeRateRoutes, { context });
  await app.register(totalsRoutes, { context });
  await app.register(totalsStreamRoutes, { context });
  await app.register(historyRoutes, { context });
  await app.register(auditRoutes, { context });
  await app.register(auditProofRoutes, { context });
  await app.register(exportRoutes, { context });
  await app.register(adminKeyRoutes, { context });
  await app.register(backupRoutes, { context });
  await app.register(metricsRoutes, { metrics });
  await app.register(openApiRoutes);
  await app.register(dashboardRoutes);
  return app;
}
