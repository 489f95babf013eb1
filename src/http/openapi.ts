// The OpenAPI document, generated from the routes' zod schemas; served at /openapi.yaml, /openapi.json and /docs.
import { readFileSync } from 'node:fs';
import swagger, { type SwaggerTransform, type SwaggerTransformObject } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyPluginAsync, FastifySchema } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { isResponseSpec, type ResponseSpec } from '../schemas/responses.js';

const SECURITY_SCHEME = 'apiKey';

/** Read at run time so the same code works from src/ (tsx) and dist/ (node): both are two levels below the root. */
function packageInfo(): { name: string; version: string; description: string; license: string } {
  return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as ReturnType<typeof packageInfo>;
}

const DESCRIPTION = [
  'An event-sourced ledger of public funding announcements: every announcement, correction and withdrawal, with exact totals.',
  '',
  '- Money is a decimal string with at most the currency\'s minor digits (`"30000000.00"`), never a JSON number. ' +
    'GBP and EUR are never added together without a recorded rate.',
  '- Positions are 64-bit global positions in the event store, sent as decimal strings. ' +
    'Every write answers with the `position` of its last event; pass it as `minPosition` to a totals query to read your own writes.',
  '- Errors are RFC 9457 problem details (`application/problem+json`); a refused request names every offending field in `errors`.',
  '- Every write of a programme, announcement or exchange rate accepts an `Idempotency-Key`: ' +
    'a retry with the same key and body gets the first answer and records nothing.',
].join('\n');

const TAGS = [
  { name: 'Health', description: 'Liveness and readiness, for orchestrators; no key needed' },
  { name: 'Programmes', description: 'Funding programmes that announcements belong to' },
  { name: 'Announcements', description: 'Funding announcements: recorded, amended and withdrawn, never overwritten' },
  { name: 'Exchange rates', description: 'Rates between the ledger currencies, by effective date' },
  { name: 'Totals', description: 'Exact totals by programme, country, year, fiscal year, funder and currency' },
  {
    name: 'Audit',
    description:
      'The full journal, replay against the live projections, the offline export, and the journal tree: signed ' +
      'checkpoints and proofs (public)',
  },
  { name: 'Exports', description: 'CSV for spreadsheets: totals, announcements and the journal, on demand and on a schedule' },
  { name: 'Metrics', description: 'Prometheus metrics of this instance (metrics scope)' },
  { name: 'API keys', description: 'Create, list and revoke API keys (admin scope); a key is shown once, only its SHA-256 is kept' },
  {
    name: 'Backups',
    description: 'Consistent copies of the embedded store taken while the service runs (admin scope); restored with `ledger restore`',
  },
];

type TransformInput = Parameters<SwaggerTransform>[0];

/** Drops the dialect and id zod stamps on a schema it renders whole: the document fixes the dialect (3.1). */
function withoutDialect(schema: unknown): unknown {
  if (typeof schema !== 'object' || schema === null) return schema;
  const { $schema: _dialect, $id: _id, ...rest } = schema as Record<string, unknown>;
  return rest;
}

/** One zod schema to OpenAPI JSON Schema, through the provider's own transform so component $refs come out the same. */
function schemaToJson(input: TransformInput, schema: unknown): unknown {
  const { schema: converted } = jsonSchemaTransform({ ...input, schema: { response: { 200: schema } } });
  return withoutDialect((converted.response as Record<string, unknown>)['200']);
}

/**
 * `jsonSchemaTransform` takes one zod schema per status; our routes declare `{ description, headers, content }`
 * (schemas/responses.ts) so problems can be declared as application/problem+json. This converts those, lets the
 * provider convert the rest, turns `requestHeaders` (schemas/headers.ts) into header parameters, and adds the
 * security requirement the route's `config.scope` implies.
 */
const transform: SwaggerTransform = (input) => {
  const schema = (input.schema ?? {}) as FastifySchema & { hide?: boolean };
  const responses = (schema.response ?? {}) as Record<string, unknown>;
  const specs = Object.entries(responses).filter((entry): entry is [string, ResponseSpec] => isResponseSpec(entry[1]));
  const plain = Object.fromEntries(Object.entries(responses).filter(([, value]) => !isResponseSpec(value)));
  const result = jsonSchemaTransform({ ...input, schema: { ...schema, response: plain } });
  const out = result.schema as FastifySchema & { hide?: boolean; security?: unknown; headers?: unknown };
  if (out.hide) return result;

  const converted = Object.fromEntries(
    specs.map(([status, spec]) => {
      const headers =
        spec.headers === undefined
          ? undefined
          : Object.fromEntries(Object.entries(spec.headers).map(([name, header]) => [name, schemaToJson(input, header)]));
      const content =
        spec.content === undefined
          ? undefined
          : Object.fromEntries(Object.entries(spec.content).map(([type, media]) => [type, { schema: schemaToJson(input, media.schema) }]));
      // @fastify/swagger leaves out the body of a response typed 'null'.
      return [status, { description: spec.description, ...(headers && { headers }), ...(content ? { content } : { type: 'null' }) }];
    }),
  );
  const response = { ...(out.response as Record<string, unknown> | undefined), ...converted };
  out.response = Object.fromEntries(Object.keys(responses).map((status) => [status, response[status]]));

  const documented = (schema as { requestHeaders?: Record<string, unknown> }).requestHeaders;
  delete (out as { requestHeaders?: unknown }).requestHeaders;
  if (documented !== undefined) {
    out.headers = {
      type: 'object',
      properties: Object.fromEntries(Object.entries(documented).map(([name, header]) => [name, schemaToJson(input, header)])),
    };
  }

  const scope = input.route.config?.scope ?? 'admin';
  out.security = scope === 'public' ? [] : [{ [SECURITY_SCHEME]: [scope] }];
  // A copy per route: objects shared between routes (tags, problem responses) would become YAML anchors and aliases.
  return structuredClone(result);
};

const COMPONENT = '#/components/schemas/';

function sameSchema(a: unknown, b: unknown): boolean {
  return b !== undefined && JSON.stringify(withoutDialect(a)) === JSON.stringify(withoutDialect(b));
}

/** Points every `$ref` named in `renamed` at its new name, in place. */
function renameRefs(value: unknown, renamed: ReadonlyMap<string, string>): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, item] of Object.entries(value)) {
    if (key === '$ref' && typeof item === 'string' && renamed.has(item)) (value as Record<string, unknown>)[key] = renamed.get(item);
    else renameRefs(item, renamed);
  }
}

function collectRefs(value: unknown, into: Set<string>): void {
  if (typeof value !== 'object' || value === null) return;
  for (const [key, item] of Object.entries(value)) {
    if (key === '$ref' && typeof item === 'string') into.add(item);
    else collectRefs(item, into);
  }
}

/**
 * Adds the zod registry's schemas as components. The provider adds each twice, as read (`Money`) and as written
 * (`MoneyInput`): where both read the same, requests point at the one name. Then only the components the document
 * references are kept, so the file holds no dead ones.
 */
const transformObject: SwaggerTransformObject = (input) => {
  const document = jsonSchemaTransformObject(input) as { paths?: unknown; components?: { schemas?: Record<string, unknown> } };
  const schemas = document.components?.schemas ?? {};
  const sameAsOutput = new Map(
    Object.keys(schemas)
      .filter((name) => name.endsWith('Input') && sameSchema(schemas[name], schemas[name.slice(0, -'Input'.length)]))
      .map((name) => [COMPONENT + name, COMPONENT + name.slice(0, -'Input'.length)] as const),
  );
  renameRefs(document.paths, sameAsOutput);
  renameRefs(schemas, sameAsOutput);
  const used = new Set<string>();
  const pending: unknown[] = [document.paths];
  while (pending.length > 0) {
    const refs = new Set<string>();
    collectRefs(pending.pop(), refs);
    for (const ref of refs) {
      const name = ref.replace(COMPONENT, '');
      if (!used.has(name) && schemas[name] !== undefined) {
        used.add(name);
        pending.push(schemas[name]);
      }
    }
  }
  if (document.components !== undefined) {
    // Sorted by name: the registry's order depends on which module was imported first.
    document.components.schemas = Object.fromEntries(
      Object.entries(schemas)
        .filter(([name]) => used.has(name))
        .map(([name, schema]) => [name, withoutDialect(schema)] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  }
  return document as ReturnType<SwaggerTransformObject>;
};

/** Registers @fastify/swagger; it must come before the route plugins, since it collects routes as they are added. */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  const info = packageInfo();
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: info.name,
        version: info.version,
        description: DESCRIPTION,
        license: { name: info.license, identifier: info.license },
      },
      // Relative: the service that serves this document (OpenAPI 3.1 section 4.8.5); HOST and PORT are configurable.
      servers: [{ url: '/', description: 'The service serving this document' }],
      tags: TAGS,
      components: {
        securitySchemes: {
          [SECURITY_SCHEME]: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API key as "Authorization: Bearer <key>". Keys have scopes (read, write, audit, metrics, admin); each operation names ' +
              'the one it needs. ' +
              'The first start writes an admin key to <DATA_DIR>/admin.key; `npx ledger keys create` makes more. With PUBLIC_READ=true, ' +
              'read operations need no key.',
          },
        },
      },
    },
    transform,
    transformObject,
  });
}

/** The document and the interactive docs: public, with Swagger UI's assets served from the npm package. */
export const openApiRoutes: FastifyPluginAsync = async (app) => {
  // Everything registered in this plugin (including Swagger UI's own routes) needs no key, and is a page or document.
  app.addHook('onRoute', (route) => {
    route.config = { ...route.config, scope: 'public', document: true };
  });
  const hidden = { hide: true } as FastifySchema;
  app.get('/openapi.yaml', { schema: hidden }, async (_request, reply) =>
    reply.type('application/yaml; charset=utf-8').send(app.swagger({ yaml: true })),
  );
  app.get('/openapi.json', { schema: hidden }, async () => app.swagger());
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true } });
};
