// Events of the API keys (one stream, `apikeys`, for every key of a ledger): only a key's SHA-256 is ever recorded.
import type { DomainEvent } from '../decider.js';

export const SCOPES = ['read', 'write', 'audit', 'metrics', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const KEY_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export type ApiKeyCreated = DomainEvent<'ApiKeyCreated', { name: string; scopes: Scope[]; sha256: string; createdAt: string }>;

/** `keyId` names the key revoked: a name is unique among active keys only, so revoked keys may share it. */
export type ApiKeyRevoked = DomainEvent<'ApiKeyRevoked', { name: string; keyId: string; revokedAt: string }>;

export type ApiKeyEvent = ApiKeyCreated | ApiKeyRevoked;

export const API_KEY_EVENT_TYPES = ['ApiKeyCreated', 'ApiKeyRevoked'] as const;

/**
 * One stream for every key: a single read from the last revision seen brings an instance up to date, the stream's
 * revision orders every change, and `no-stream` on it makes the first key (the admin key) a once-per-ledger event.
 */
export const API_KEYS_STREAM = 'apikeys';

/** A key's id: the first 16 hex digits of its SHA-256; limits and idempotency count against it. */
export function keyIdOf(sha256: string): string {
  return sha256.slice(0, 16);
}
