// API keys state: every key ever created, in order, with its revocation when revoked.
import { assertNever } from '../decider.js';
import { keyIdOf, type ApiKeyEvent, type Scope } from './events.js';

export interface ApiKeyRecord {
  readonly name: string;
  readonly scopes: readonly Scope[];
  readonly sha256: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
}

export interface ApiKeysState {
  readonly keys: readonly ApiKeyRecord[];
}

export function initialApiKeysState(): ApiKeysState {
  return { keys: [] };
}

export function evolveApiKeys(state: ApiKeysState, event: ApiKeyEvent): ApiKeysState {
  switch (event.type) {
    case 'ApiKeyCreated':
      return { keys: [...state.keys, { ...event.data }] };
    case 'ApiKeyRevoked':
      return {
        keys: state.keys.map((key) =>
          key.revokedAt === undefined && keyIdOf(key.sha256) === event.data.keyId ? { ...key, revokedAt: event.data.revokedAt } : key,
        ),
      };
    default:
      return assertNever(event);
  }
}

export function activeKeyNamed(state: ApiKeysState, name: string): ApiKeyRecord | undefined {
  return state.keys.find((key) => key.name === name && key.revokedAt === undefined);
}
