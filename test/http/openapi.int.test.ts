// The OpenAPI document: the committed file is what the code generates, it covers every route and status, and it is served.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderOpenApi } from '../../src/cli/openapi.js';
import { request, startTestLedger, type TestLedger } from '../support/ledger.js';

const COMMITTED = new URL('../../openapi.yaml', import.meta.url);

const AUTH = [401, 403, 500];
const WRITE = [...AUTH, 400, 409, 410, 413, 415, 422, 503, 507];
const TOTALS = [200, 304, 400, ...AUTH, 429, 503];
/** Heavy work: a client over its share or budget, or a full queue (README "Heavy work"). */
const HEAVY = [429, 503];

/**
 * Each route, the scope its key needs and every status it can answer (issues 2, 3 and 5). A new route needs a line
 * here, so its statuses are thought about.
 */
const ROUTES: Record<string, { scope: string; statuses: readonly number[] }> = {
  'GET /health/live': { scope: 'public', statuses: [200, 500] },
  'GET /health/ready': { scope: 'public', statuses: [200, 500, 503] },
  'POST /programmes': { scope: 'write', statuses: [201, ...WRITE] },
  'POST /programmes/{code}/rename': { scope: 'write', statuses: [200, ...WRITE, 404, 412] },
  'GET /programmes': { scope: 'read', statuses: [200, ...AUTH] },
  'GET /programmes/{code}': { scope: 'read', statuses: [200, 400, ...AUTH, 404, 503] },
  'POST /announcements': { scope: 'write', statuses: [201, ...WRITE] },
  'POST /announcements/{id}/amendments': { scope: 'write', statuses: [200, ...WRITE, 404, 412] },
  'POST /announcements/{id}/withdrawal': { scope: 'write', statuses: [200, ...WRITE, 404, 412] },
  'POST /announcements/{id}/commitments': { scope: 'write', statuses: [201, ...WRITE, 404, 412] },
  'POST /announcements/{id}/disbursements': { scope: 'write', statuses: [201, ...WRITE, 404, 412] },
  'GET /announcements/{id}': { scope: 'read', statuses: [200, 400, ...AUTH, 404, 410, 503] },
  'GET /announcements': { scope: 'read', statuses: [200, 400, ...AUTH, 410] },
  'GET /announcements/{id}/history': { scope: 'read', statuses: [200, 400, ...AUTH, 404, 410, ...HEAVY] },
  'POST /exchange-rates': { scope: 'write', statuses: [201, ...WRITE] },
  'GET /exchange-rates': { scope: 'read', statuses: [200, 400, ...AUTH] },
  'GET /totals': { scope: 'read', statuses: TOTALS },
  'GET /totals/stream': { scope: 'read', statuses: [200, ...AUTH] },
  'GET /programmes/{code}/totals': { scope: 'read', statuses: TOTALS },
  'GET /countries/{code}/totals': { scope: 'read', statuses: TOTALS },
  'GET /events': { scope: 'audit', statuses: [200, 400, ...AUTH, ...HEAVY] },
  'POST /audit/replay': { scope: 'audit', statuses: [200, 400, ...AUTH, 413, 415, ...HEAVY] },
  'GET /audit/export': { scope: 'audit', statuses: [200, ...AUTH, ...HEAVY] },
  'GET /audit/checkpoint': { scope: 'public', statuses: [200, 304, 400, 500] },
  'GET /audit/verifier-key': { scope: 'public', statuses: [200, 500] },
  'GET /audit/proofs/inclusion': { scope: 'public', statuses: [200, 400, 404, 500] },
  'GET /audit/proofs/consistency': { scope: 'public', statuses: [200, 400, 500] },
  'GET /exports/totals.csv': { scope: 'read', statuses: [200, 400, ...AUTH, ...HEAVY] },
  'GET /exports/announcements.csv': { scope: 'read', statuses: [200, 400, ...AUTH, ...HEAVY] },
  'GET /exports/events.csv': { scope: 'audit', statuses: [200, 400, ...AUTH, ...HEAVY] },
  'GET /exports/schedules': { scope: 'read', statuses: [200, ...AUTH] },
  'GET /metrics': { scope: 'metrics', statuses: [200, ...AUTH] },
  'POST /admin/keys': { scope: 'admin', statuses: [201, 400, ...AUTH, 409, 413, 415, 503, 507] },
  'GET /admin/keys': { scope: 'admin', statuses: [200, ...AUTH] },
  'POST /admin/backups': { scope: 'admin', statuses: [201, 400, ...AUTH, 413, 415, 501, 503, 507] },
  'POST /admin/keys/{name}/revocation': { scope: 'admin', statuses: [200, 400, ...AUTH, 404, 409, 413, 415, 503, 507] },
};

interface Operation {
  security?: Record<string, string[]>[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
}

/**
 * Routes as the router holds them, from `printRoutes({ commonPrefix: false })`: a tree whose lines read
 * `├── /segment (GET, HEAD)`, each segment continuing its parent's path, four columns per level.
 */
function routesOf(tree: string): { method: string; url: string }[] {
  const segments: string[] = [];
  const routes: { method: string; url: string }[] = [];
  for (const line of tree.split('\n')) {
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

/** The API's routes: not the HEAD twins Fastify adds, nor the document and docs routes themselves, nor the dashboard's page and assets. */
function apiRoutesOf(ledger: TestLedger): string[] {
  return routesOf(ledger.ledger.app.printRoutes({ commonPrefix: false }))
    .filter(({ method, url }) => method !== 'HEAD' && !/^\/(docs|openapi\.|dashboard\/|$)/.test(url))
    .map(({ method, url }) => `${method} ${url.replace(/:(\w+)/g, '{$1}')}`);
}

async function documentOf(ledger: TestLedger): Promise<Document> {
  const reply = await request(ledger.baseUrl, 'GET', '/openapi.json');
  expect(reply.status).toBe(200);
  return reply.json as Document;
}

function operationsOf(document: Document): Map<string, Operation> {
  return new Map(
    Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => [`${method.toUpperCase()} ${path}`, operation] as const),
    ),
  );
}

describe('openapi.yaml', () => {
  it('is what the code generates', async () => {
    const generated = await renderOpenApi();

    expect(generated, 'openapi.yaml differs from what the code generates: run `npm run openapi` and commit it').toBe(
      readFileSync(COMMITTED, 'utf8'),
    );
  });

  it('renders the same text twice', async () => {
    expect(await renderOpenApi()).toBe(await renderOpenApi());
  });
});

describe('the document', () => {
  it('has every route of the app, with every status it can answer', async () => {
    const ledger = await startTestLedger();
    const routes = apiRoutesOf(ledger);
    const operations = operationsOf(await documentOf(ledger));

    expect(routes.length).toBeGreaterThan(0);
    expect([...routes].sort(), 'every route is listed in ROUTES above').toEqual(Object.keys(ROUTES).sort());
    expect([...operations.keys()].sort(), 'the document has exactly the routes of the app').toEqual([...routes].sort());
    for (const route of routes) {
      const statuses = Object.keys(operations.get(route)?.responses ?? {}).map(Number);
      expect([...statuses].sort(), route).toEqual([...(ROUTES[route]?.statuses ?? [])].sort());
    }
  });

  it('declares every problem as application/problem+json with the Problem schema', async () => {
    const ledger = await startTestLedger();
    const operations = operationsOf(await documentOf(ledger));

    for (const [route, operation] of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        // The readiness probe answers 503 with its own JSON body, not a problem.
        if (Number(status) < 400 || route === 'GET /health/ready') continue;
        expect(response.content, `${route} ${status}`).toEqual({
          'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
        });
      }
    }
  });

  it('asks for the scope each route needs, and no key for public routes', async () => {
    const ledger = await startTestLedger();
    const operations = operationsOf(await documentOf(ledger));

    for (const [route, operation] of operations) {
      const scope = ROUTES[route]?.scope;
      expect(operation.security, route).toEqual(scope === 'public' ? [] : [{ apiKey: [scope] }]);
    }
  });
});

describe('the service', () => {
  it('serves the committed document at /openapi.yaml and /openapi.json, without a key', async () => {
    const ledger = await startTestLedger();

    const yaml = await request(ledger.baseUrl, 'GET', '/openapi.yaml');
    const json = await request(ledger.baseUrl, 'GET', '/openapi.json');

    expect(yaml.status).toBe(200);
    expect(yaml.headers.get('content-type')).toMatch(/^application\/yaml/);
    expect(yaml.text).toBe(readFileSync(COMMITTED, 'utf8'));
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json.json.openapi).toBe('3.1.0');
  });

  it('serves interactive docs at /docs with Swagger UI assets of its own, not from a CDN', async () => {
    const ledger = await startTestLedger();

    const page = await request(ledger.baseUrl, 'GET', '/docs');
    const scripts = [...page.text.matchAll(/<script src="([^"]+)"/g)].map((match) => match[1] as string);
    const bundle = await request(ledger.baseUrl, 'GET', '/docs/static/swagger-ui-bundle.js');

    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(scripts).toContain('/docs/static/swagger-ui-bundle.js');
    expect(scripts.filter((src) => /^(https?:)?\/\//.test(src))).toEqual([]);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
  });
});
