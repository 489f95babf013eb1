// Routes for admins: create, list and revoke API keys in the keys stream, so keys can be managed while the service runs.
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ApiKeyRecord } from '../../auth/keys.js';
import type { LedgerContext } from '../context.js';
import { commandMetadataOf } from '../idempotency.js';
import { apiKeyListSchema, apiKeySchema, createdKeySchema, createKeyBodySchema, keyParamsSchema } from '../../schemas/adminKeys.js';
import { authProblems, jsonResponse, problemResponse, problems } from '../../schemas/responses.js';
import { z } from 'zod';

const TAGS = ['API keys'];

const createSchema = {
  operationId: 'createApiKey',
  summary: 'Create an API key',
  description:
    'Answers the key once, with `Cache-Control: no-store`: only its SHA-256 is kept. ' +
    'Every instance on the store accepts it within a second.',
  tags: TAGS,
  body: createKeyBodySchema,
  response: {
    201: jsonResponse('Created: the only answer that shows the key', createdKeySchema, {
      'Cache-Control': z.string().meta({ description: 'no-store: the key must not be kept by a cache', examples: ['no-store'] }),
    }),
    400: problems.invalid,
    ...authProblems,
    409: problemResponse('An active key has this name (revoke it first, or choose another), or a concurrent key write came first: retry'),
    413: problems.tooLarge,
    415: problems.unsupportedMediaType,
    503: problems.storeUnavailable,
    507: problems.storeFull,
  },
};

const listSchema = {
  operationId: 'listApiKeys',
  summary: 'List API keys',
  description: 'Names, scopes and dates of every key, revoked ones too; never a key or its hash.',
  tags: TAGS,
  response: { 200: jsonResponse('Every key', apiKeyListSchema), ...authProblems },
};

const revokeSchema = {
  operationId: 'revokeApiKey',
  summary: 'Revoke the active API key of a name',
  description: 'Requests with the key are refused (401) by every instance within a second; its open /totals/stream connections end.',
  tags: TAGS,
  params: keyParamsSchema,
  response: {
    200: jsonResponse('Revoked', apiKeySchema),
    // Takes no body; one that is sent must still be JSON.
    400: problems.invalid,
    ...authProblems,
    404: problemResponse('No key has ever had this name'),
    409: problemResponse('The key of this name is already revoked, or a concurrent key write came first: retry'),
    413: problems.tooLarge,
    415: problems.unsupportedMediaType,
    503: problems.storeUnavailable,
    507: problems.storeFull,
  },
};

function presentKey(record: ApiKeyRecord) {
  return {
    name: record.name,
    scopes: [...record.scopes],
    createdAt: record.createdAt,
    ...(record.revokedAt !== undefined && { revokedAt: record.revokedAt }),
  };
}

export const adminKeyRoutes: FastifyPluginAsync<{ context: LedgerContext }> = async (fastify, { context }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();

  app.post('/admin/keys', { schema: createSchema, config: { scope: 'admin' } }, async (request, reply) => {
    const { key, record } = await context.keys.create(request.body.name, request.body.scopes, commandMetadataOf(context, request));
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send({ ...presentKey(record), key });
  });

  app.get('/admin/keys', { schema: listSchema, config: { scope: 'admin' } }, async (_request, reply) => {
    // Brought up to date first, so a change made a moment ago through another instance is listed; with the store
    // unreachable, the view as it stands.
    await context.keys.refresh().catch(() => undefined);
    return reply.send({ items: context.keys.list().map(presentKey) });
  });

  app.post('/admin/keys/:name/revocation', { schema: revokeSchema, config: { scope: 'admin' } }, async (request, reply) => {
    const record = await context.keys.revoke(request.params.name, commandMetadataOf(context, request));
    return reply.send(presentKey(record));
  });
};
