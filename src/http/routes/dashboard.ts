// The dashboard: the page at / and its bundled assets under /dashboard/, built from web/ by `npm run build:web`; no key needed.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest, FastifySchema } from 'fastify';
import { sendProblem } from '../problems.js';

export interface DashboardOptions {
  /**
   * The directory `npm run build:web` writes.
   * @defaultValue `public/` at the repository root (two levels above this file, from src/ and dist/ alike)
   */
  readonly root?: string;
}

const hidden = { hide: true } as FastifySchema;
const DEFAULT_ROOT = fileURLToPath(new URL('../../../public/', import.meta.url));

export const dashboardRoutes: FastifyPluginAsync<DashboardOptions> = async (app, options) => {
  const root = options.root ?? DEFAULT_ROOT;
  // The assets hold no data (every figure is fetched by the page with the reader's key); they get the page headers.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, scope: 'public', document: true };
  });
  // One wildcard route: a rebuild is served without a restart, and a missing file falls through to the 404 problem.
  await app.register(fastifyStatic, { root, prefix: '/dashboard/', wildcard: true, index: false, schemaHide: true });

  const page = async (_request: FastifyRequest, reply: FastifyReply) => {
    if (!existsSync(join(root, 'index.html'))) {
      return sendProblem(reply, {
        type: 'urn:funding-ledger:problem:not-found',
        title: 'Not found',
        status: 404,
        detail: 'the dashboard is not built: run `npm run build` (or `npm run build:web`)',
      });
    }
    return reply.header('cache-control', 'no-cache').sendFile('index.html');
  };
  // The page links its assets by absolute path, so it works from either address.
  app.get('/', { schema: hidden }, page);
  app.get('/dashboard/', { schema: hidden }, page);
};
