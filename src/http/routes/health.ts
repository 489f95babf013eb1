// Routes: liveness and readiness, public for orchestrators.
import type { FastifyPluginAsync } from 'fastify';
import { formatPosition } from '../../store/position.js';
import type { LedgerContext } from '../context.js';

export const healthRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (app, { context }) => {
  app.get('/health/live', { config: { scope: 'public' } }, async () => ({ status: 'live' }));

  app.get('/health/ready', { config: { scope: 'public' } }, async (_request, reply) => {
    const position = context.projections.position;
    const body = { ready: context.projections.ready, position: position === undefined ? '0' : formatPosition(position) };
    return reply.code(body.ready ? 200 : 503).send(body);
  });
};
