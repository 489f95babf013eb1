// Request and response schemas of the admin key routes: names, scopes and dates; a key only in the one answer that creates it.
import { z } from 'zod';
import { KEY_NAME_PATTERN, SCOPES } from '../commands/apiKey/events.js';

const keyNameSchema = z
  .string()
  .regex(KEY_NAME_PATTERN, 'must be 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit')
  .meta({ description: 'Who holds the key; recorded as the actor of every event it writes', examples: ['newsroom'] });

const scopesSchema = z
  .array(z.enum(SCOPES, { error: `must be one of ${SCOPES.join(', ')}` }))
  .min(1, 'give at least one scope')
  .max(SCOPES.length * 2)
  .meta({
    description: '`read` (GET routes), `write` (POST routes), `audit`, `metrics` (GET /metrics), `admin` (every scope)',
    examples: [['read', 'write']],
  });

export const createKeyBodySchema = z.strictObject({ name: keyNameSchema, scopes: scopesSchema });

export const keyParamsSchema = z.strictObject({ name: keyNameSchema });

export const apiKeySchema = z
  .object({
    name: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    createdAt: z.string().meta({ description: 'When the key was created (ISO 8601)' }),
    revokedAt: z.string().optional().meta({ description: 'When the key was revoked (ISO 8601); absent while it is active' }),
  })
  .meta({ id: 'ApiKey', description: 'An API key as the ledger keeps it: never the key, never its hash' });

export const createdKeySchema = z
  .object({
    name: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    createdAt: z.string(),
    key: z.string().meta({ description: 'The key itself: shown in this answer only, never again', examples: ['flk_9y0c2Kx3...'] }),
  })
  .meta({ id: 'CreatedApiKey', description: 'A key just created, with the key itself' });

export const apiKeyListSchema = z
  .object({ items: z.array(apiKeySchema) })
  .meta({ id: 'ApiKeyList', description: 'Every key of the ledger, active and revoked, in order of creation' });
