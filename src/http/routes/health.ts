// Routes: liveness and readiness, public for orchestrators.
import type { FastifyPluginAsync } from 'fastify';
import { positionText } from '../../store/position.js';
import type { LedgerContext } from '../context.js';
import { livenessSchema, readinessSchema } from '../../schemas/health.js';
import { jsonResponse, problems } from '../../schemas/responses.js';

const TAGS = ['Health'];

const liveSchema = {
  operationId: 'checkLiveness',
  summary: 'Is the process up?',
  tags: TAGS,
  response: { 200: jsonResponse('The process is up', livenessSchema), 500: problems.internal },
};

const readySchema = {
  operationId: 'checkReadiness',
  summary: 'Have the projections caught up, and is the service keeping up with its load?',
  description:
    'Ready once every projection has caught up with the event store and while the service is not overloaded; otherwise 503 with the ' +
    'same body, ' +
    'which says which. Writes are refused while the projections catch up. Never refused by the overload guard itself.',
  tags: TAGS,
  response: {
    200: jsonResponse('Ready: every projection has caught up', readinessSchema),
    500: problems.internal,
    503: jsonResponse('Not ready yet: the projections are catching up', readinessSchema),
  },
};

export const healthRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (app, { context }) => {
  // Exempt from the overload guard: an orchestrator restarts a process whose liveness fails, and a busy process is alive.
  const exempt = { scope: 'public' as const, pressureHandler: () => undefined };
  app.get('/health/live', { schema: liveSchema, config: exempt }, async () => ({ status: 'live' }));

  // Exempt too, so that it can say why the service is not ready rather than answer a bare 503.
  app.get('/health/ready', { schema: readySchema, config: exempt }, async (_request, reply) => {
    const position = context.projections.position;
    const caughtUp = context.projections.ready;
    const overloaded = app.isUnderPressure();
    const { running, queued } = app.heavyWork.load;
    const body = { ready: caughtUp && !overloaded, position: positionText(position), caughtUp, overloaded, heavyWork: { running, queued } };
    return reply.code(body.ready ? 200 : 503).send(body);
  });
};
