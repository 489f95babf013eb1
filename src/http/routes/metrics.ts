// Route: the Prometheus metrics of this instance, for a scraper holding a key with the metrics scope.
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { LedgerMetrics } from '../metrics.js';
import { authProblems, looseResponses } from '../../schemas/responses.js';

const metricsTextSchema = z.string().meta({
  description: 'The Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE` lines, then one sample a line',
});

const metricsSchema = {
  operationId: 'getMetrics',
  summary: 'Prometheus metrics of this instance',
  description:
    'Requests by route and status, events appended by this instance and applied by its projections by type, idempotent replays, ' +
    "scheduled export runs, the projections' position and lag " +
    'behind the event store, the store connection, and the process (CPU, memory, event loop, GC). Each instance answers for itself: ' +
    'scrape every replica.',
  tags: ['Metrics'],
  // Text is sent as is, never through the serializer; the schema documents it.
  response: looseResponses({
    200: { description: 'The metrics', content: { 'text/plain': { schema: metricsTextSchema } } },
    ...authProblems,
  }),
};

export const metricsRoutes: FastifyPluginAsync<{ metrics: LedgerMetrics }> = async (app, { metrics }) => {
  // Exempt from the overload guard: an overloaded instance is the one whose metrics matter most.
  const config = { scope: 'metrics' as const, pressureHandler: () => undefined };
  app.get('/metrics', { schema: metricsSchema, config }, async (_request, reply) =>
    reply
      .header('cache-control', 'no-store')
      .type(metrics.contentType)
      .send(await metrics.text()),
  );
};
