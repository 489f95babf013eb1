// Every route the running app has, with the scope its OpenAPI operation documents: the source the auth matrix and fuzz walk.
import type { Scope } from '../../src/auth/keys.js';
import { request, type TestLedger } from '../support/ledger.js';
import { printedRoutes } from '../support/printedRoutes.js';

interface Parameter {
  readonly in: 'query' | 'path' | 'header';
  readonly name: string;
}

interface Operation {
  readonly security?: Record<string, string[]>[];
  readonly parameters?: Parameter[];
  readonly requestBody?: unknown;
}

export interface Route {
  readonly method: string;
  /** As the router holds it: `/announcements/:id`, `/docs/static/*`. */
  readonly url: string;
  /** What its OpenAPI operation asks for; `public` for the routes the document leaves out (docs, dashboard, the document itself). */
  readonly scope: Scope | 'public';
  /** Whether the OpenAPI document lists it. */
  readonly documented: boolean;
  readonly queryParameters: readonly string[];
  readonly headerParameters: readonly string[];
  readonly takesBody: boolean;
}

/**
 * Static asset paths the printed tree cannot place (find-my-way prints a wildcard below its nearest printed
 * ancestor): each is kept only when the router really has a route for it.
 */
const ASSET_PROBES = ['/dashboard/index.js', '/docs/static/swagger-ui.css'];

/** A concrete path for a route: each parameter gets `values[name]` or a harmless default, a wildcard a file name. */
export function pathOf(route: Pick<Route, 'url'>, values: Record<string, string> = {}): string {
  return route.url
    .replace(
      /:(\w+)/g,
      (_match, name: string) =>
        values[name] ??
        (name === 'id' ? '9d0b2f3e-0000-4000-8000-000000000000' : route.url.startsWith('/countries/') ? 'GB' : 'oic-supply-chains'),
    )
    .replace('*', values['*'] ?? 'index.js');
}

/** Every method and path of the app, HEAD twins included, with the scope the document gives it. */
export async function routesOf(ledger: TestLedger): Promise<Route[]> {
  const app = ledger.ledger.app;
  const document = (await request(ledger.baseUrl, 'GET', '/openapi.json')).json as { paths: Record<string, Record<string, Operation>> };
  const found = printedRoutes(app).filter(
    ({ method, url }) => !url.includes('*') || app.findRoute({ method, url: pathOf({ url }) }) !== null,
  );
  for (const probe of ASSET_PROBES) {
    if (app.findRoute({ method: 'GET', url: probe }) !== null) {
      const url = `${probe.slice(0, probe.lastIndexOf('/') + 1)}*`;
      if (!found.some((route) => route.url === url)) found.push({ method: 'GET', url }, { method: 'HEAD', url });
    }
  }
  return found.map(({ method, url }) => {
    const documentPath = url.replace(/:(\w+)/g, '{$1}');
    // A HEAD twin answers as its GET does.
    const operation = document.paths[documentPath]?.[(method === 'HEAD' ? 'GET' : method).toLowerCase()];
    const scope = operation?.security?.[0]?.apiKey?.[0] as Scope | undefined;
    const parameters = operation?.parameters ?? [];
    return {
      method,
      url,
      scope: scope ?? 'public',
      documented: operation !== undefined,
      queryParameters: parameters.filter((p) => p.in === 'query').map((p) => p.name),
      headerParameters: parameters.filter((p) => p.in === 'header').map((p) => p.name),
      takesBody: operation?.requestBody !== undefined,
    };
  });
}

/** `GET /announcements/:id`, for messages. */
export function nameOf(route: Pick<Route, 'method' | 'url'>): string {
  return `${route.method} ${route.url}`;
}
