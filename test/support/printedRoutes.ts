// The routes a Fastify app holds, read from its printed route tree: what the OpenAPI and auth-matrix tests compare with.
import type { FastifyInstance } from 'fastify';

/**
 * Routes as the router holds them, from `printRoutes({ commonPrefix: false })`: a tree whose lines read
 * `├── /segment (GET, HEAD)`, each segment continuing its parent's path, four columns per level.
 */
export function printedRoutes(app: FastifyInstance): { method: string; url: string }[] {
  const segments: string[] = [];
  const routes: { method: string; url: string }[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const start = line.indexOf('── ') + 3;
    const match = /^(.*) \(([^)]*)\)$/.exec(line.slice(start));
    if (start < 3 || match === null) continue;
    segments.length = start / 4 - 1;
    segments.push(match[1] as string);
    const url = segments.join('');
    for (const method of (match[2] as string).split(', ')) if (method !== '-') routes.push({ method, url });
  }
  return routes;
}
