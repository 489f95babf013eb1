// Routes: liveness and readiness, public for orchestrators.
import type { FastifyPluginAsync } from 'fastify';
import { positionText } from '../../store/position.js';
import type { LedgerContext } from '../context.js';
import { livenessSchema, readinessSchema } from '../schemas/health.js';
import { jsonResponse, problems } from '../schemas/responses.js';

const TAGS = ['Health'];

const liveSchema = {
  operationId: 'checkLiveness',
  summary: 'Is the process up?',
  tags: TAGS,
  response: { 200: jsonResponse('The process is up', livenessSchema), 500: problems.internal },
};

const readySchema = {
  operationId: 'checkReadiness',
  summary: 'Have the projections caught up?',
  description: 'Ready once every projection has caught up with the event store; until then 503 with the same body. Writes are refused while not ready.',
  tags: TAGS,
  response: {
    200: jsonResponse('Ready: every projection has caught up', readinessSchema),
    500: problems.internal,
    503: jsonResponse('Not ready yet: the projections are catching up', readinessSchema),
  },
};

export const healthRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (app, { context }) => {
  app.get('/health/live', { schema: liveSchema, config: { scope: 'public' } }, async () => ({ status: 'live' }));

  app.get('/health/ready', { schema: readySchema, config: { scope: 'public' } }, async (_request, reply) => {
    const position = context.projections.position;
    const body = { ready: context.projections.ready, position: positionText(position) };
    return reply.code(body.ready ? 200 : 503).send(body);
  });
};
