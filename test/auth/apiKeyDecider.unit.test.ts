// The API key decider: given past key events, when a command, then new events or the error an admin sees.
import { describe, expect, it } from 'vitest';
import { apiKeyDecider } from '../../src/commands/apiKey/decide.js';
import type { ApiKeyEvent, Scope } from '../../src/commands/apiKey/events.js';
import { ConflictError, NotFoundError } from '../../src/domain/errors.js';
import { deciderSpec } from '../support/decider.js';

const spec = deciderSpec(apiKeyDecider);
const now = '2026-01-05T09:00:00.000Z';
const sha = (digit: string) => digit.repeat(64);
const created = (name: string, digit: string, scopes: Scope[] = ['read']): ApiKeyEvent => ({
  type: 'ApiKeyCreated',
  data: { name, scopes, sha256: sha(digit), createdAt: '2026-01-01T00:00:00.000Z' },
});
const revoked = (name: string, digit: string): ApiKeyEvent => ({
  type: 'ApiKeyRevoked',
  data: { name, keyId: sha(digit).slice(0, 16), revokedAt: '2026-01-02T00:00:00.000Z' },
});

describe('CreateApiKey', () => {
  it('records the name, scopes (once each) and the SHA-256, never a key', () => {
    spec([])
      .when({ type: 'CreateApiKey', data: { name: 'newsroom', scopes: ['read', 'write', 'read'], sha256: sha('a') }, metadata: { now } })
      .then([{ type: 'ApiKeyCreated', data: { name: 'newsroom', scopes: ['read', 'write'], sha256: sha('a'), createdAt: now } }]);
  });

  it('refuses a name an active key has (409 naming the field), but takes a revoked key’s name', () => {
    spec([created('newsroom', 'a')])
      .when({ type: 'CreateApiKey', data: { name: 'newsroom', scopes: ['read'], sha256: sha('b') }, metadata: { now } })
      .thenRefusesFields(['name']);
    spec([created('newsroom', 'a')])
      .when({ type: 'CreateApiKey', data: { name: 'newsroom', scopes: ['read'], sha256: sha('b') }, metadata: { now } })
      .thenThrows(ConflictError);
    spec([created('newsroom', 'a'), revoked('newsroom', 'a')])
      .when({ type: 'CreateApiKey', data: { name: 'newsroom', scopes: ['read'], sha256: sha('b') }, metadata: { now } })
      .then([{ type: 'ApiKeyCreated', data: { name: 'newsroom', scopes: ['read'], sha256: sha('b'), createdAt: now } }]);
  });

  it('refuses a bad name, no scope or an unknown one, and a digest that is not one, naming each field', () => {
    spec([])
      .when({ type: 'CreateApiKey', data: { name: '-bad name', scopes: ['root' as 'read'], sha256: 'abc' }, metadata: { now } })
      .thenRefusesFields(['name', 'scopes', 'sha256']);
  });
});

describe('CreateFirstApiKey', () => {
  it('creates the first key of a ledger, and only while the ledger has none, revoked ones included', () => {
    spec([])
      .when({ type: 'CreateFirstApiKey', data: { name: 'admin', scopes: ['admin'], sha256: sha('a') }, metadata: { now } })
      .then([{ type: 'ApiKeyCreated', data: { name: 'admin', scopes: ['admin'], sha256: sha('a'), createdAt: now } }]);
    spec([created('ops', 'b'), revoked('ops', 'b')])
      .when({ type: 'CreateFirstApiKey', data: { name: 'admin', scopes: ['admin'], sha256: sha('a') }, metadata: { now } })
      .thenThrows(ConflictError);
  });
});

describe('RevokeApiKey', () => {
  it('revokes the active key of the name, by its id', () => {
    spec([created('newsroom', 'a'), revoked('newsroom', 'a'), created('newsroom', 'b')])
      .when({ type: 'RevokeApiKey', data: { name: 'newsroom' }, metadata: { now } })
      .then([{ type: 'ApiKeyRevoked', data: { name: 'newsroom', keyId: sha('b').slice(0, 16), revokedAt: now } }]);
  });

  it('is 404 for a name no key ever had and 409 for a revoked key', () => {
    spec([])
      .when({ type: 'RevokeApiKey', data: { name: 'nobody' }, metadata: { now } })
      .thenThrows(NotFoundError);
    spec([created('newsroom', 'a'), revoked('newsroom', 'a')])
      .when({ type: 'RevokeApiKey', data: { name: 'newsroom' }, metadata: { now } })
      .thenThrows(ConflictError, /already revoked/);
  });
});

describe('ImportApiKeys', () => {
  const fileRecords = [
    { name: 'admin', scopes: ['admin' as const], sha256: sha('a'), createdAt: '2025-01-01T00:00:00.000Z' },
    {
      name: 'old',
      scopes: ['read' as const],
      sha256: sha('b'),
      createdAt: '2025-01-02T00:00:00.000Z',
      revokedAt: '2025-02-01T00:00:00.000Z',
    },
  ];

  it('imports each record with its own dates, a revoked one as created then revoked', () => {
    spec([])
      .when({ type: 'ImportApiKeys', data: { keys: fileRecords } })
      .then([
        { type: 'ApiKeyCreated', data: { name: 'admin', scopes: ['admin'], sha256: sha('a'), createdAt: '2025-01-01T00:00:00.000Z' } },
        { type: 'ApiKeyCreated', data: { name: 'old', scopes: ['read'], sha256: sha('b'), createdAt: '2025-01-02T00:00:00.000Z' } },
        { type: 'ApiKeyRevoked', data: { name: 'old', keyId: sha('b').slice(0, 16), revokedAt: '2025-02-01T00:00:00.000Z' } },
      ]);
  });

  it('imports nothing twice, and leaves out an active key whose name another active key has', () => {
    const once = apiKeyDecider.decide(apiKeyDecider.initialState(), { type: 'ImportApiKeys', data: { keys: fileRecords } });
    spec(once)
      .when({ type: 'ImportApiKeys', data: { keys: fileRecords } })
      .then([]);
    spec([created('admin', 'c')])
      .when({ type: 'ImportApiKeys', data: { keys: fileRecords } })
      .thenState((state) => {
        // The store's own admin key stays the one active "admin"; the revoked "old" key comes in.
        const active = state.keys.filter((key) => key.revokedAt === undefined).map((key) => [key.name, key.sha256]);
        expect(active).toEqual([['admin', sha('c')]]);
        expect(state.keys.map((key) => key.name)).toEqual(['admin', 'old']);
      });
  });
});
