// Key writes through the one command handler (hash-chained, expected revision): create, revoke, the first key, and
// the reads of the keys stream they and the CLI share.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { apiKeyDecider, type ApiKeyCommand } from '../commands/apiKey/decide.js';
import { API_KEYS_STREAM, type Scope } from '../commands/apiKey/events.js';
import { activeKeyNamed, type ApiKeyRecord, type ApiKeysState } from '../commands/apiKey/state.js';
import { handleCommand, type CommandResult } from '../commands/handle.js';
import { loadStream } from '../commands/load.js';
import type { CommandMetadata } from '../commands/envelope.js';
import type { ApiKeyEvent } from '../commands/apiKey/events.js';
import { ConflictError } from '../domain/errors.js';
import type { EventStore } from '../store/port.js';

/** 32 random bytes, base64url: 43 characters after the "flk_" prefix. */
export function generateKey(): string {
  return `flk_${randomBytes(32).toString('base64url')}`;
}

/** SHA-256 of a key, hex: the only form a key is ever stored in. */
export function sha256Of(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Metadata of a key write not made through the API (start-up, the CLI): who, and now. */
export function systemMetadata(actor: string, now: string = new Date().toISOString()): CommandMetadata {
  const id = randomUUID();
  return { actor, correlationId: id, causationId: id, now };
}

/** Every instance writes to one stream: a write that lost the race is decided again on what won, a few times. */
const ATTEMPTS = 5;

/**
 * Runs a key command through the command handler. A concurrency conflict (another instance wrote the stream first)
 * is retried on the fresh stream; a conflict the decider raises (it names a field) is the answer.
 */
export async function runKeyCommand(
  store: EventStore,
  command: ApiKeyCommand,
  metadata: CommandMetadata,
): Promise<CommandResult<ApiKeysState, ApiKeyEvent>> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await handleCommand(store, apiKeyDecider, API_KEYS_STREAM, command, { metadata });
    } catch (error) {
      const raced = error instanceof ConflictError && error.errors.length === 0;
      if (!raced || attempt >= ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
    }
  }
}

export async function loadApiKeys(store: EventStore): Promise<{ state: ApiKeysState; revision: bigint | undefined }> {
  const { state, revision } = await loadStream(store, apiKeyDecider, API_KEYS_STREAM);
  return { state, revision };
}

export interface CreatedKey {
  /** The key itself: shown once, never stored. */
  readonly key: string;
  readonly record: ApiKeyRecord;
}

/** Creates a key: `key` may be given (a caller that must know it before the write ends), else a fresh one. */
export async function createApiKey(
  store: EventStore,
  request: { name: string; scopes: readonly Scope[] },
  metadata: CommandMetadata,
  key: string = generateKey(),
): Promise<CreatedKey> {
  const sha256 = sha256Of(key);
  const result = await runKeyCommand(
    store,
    { type: 'CreateApiKey', data: { ...request, sha256 }, metadata: { now: metadata.now } },
    metadata,
  );
  return { key, record: result.state.keys.find((record) => record.sha256 === sha256) as ApiKeyRecord };
}

/** Revokes the active key of that name: NotFoundError when no key ever had it, ConflictError when it is revoked. */
export async function revokeApiKey(store: EventStore, name: string, metadata: CommandMetadata): Promise<ApiKeyRecord> {
  const before = await loadApiKeys(store);
  const target = activeKeyNamed(before.state, name);
  const result = await runKeyCommand(store, { type: 'RevokeApiKey', data: { name }, metadata: { now: metadata.now } }, metadata);
  const revoked = result.state.keys.filter((record) => record.name === name && record.revokedAt !== undefined);
  return (target === undefined ? undefined : revoked.find((record) => record.sha256 === target.sha256)) ?? (revoked.at(-1) as ApiKeyRecord);
}

/**
 * The ledger's first key, an admin key, when the keys stream is empty: `no-stream` on it lets exactly one of several
 * instances starting at once create it. `beforeWrite` gets the key first (to keep it somewhere safe before it can
 * work). Returns the key, or undefined when the ledger had keys (or another instance won the race).
 */
export async function createFirstKey(
  store: EventStore,
  metadata: CommandMetadata,
  beforeWrite: (key: string) => void = () => undefined,
): Promise<string | undefined> {
  if ((await loadApiKeys(store)).state.keys.length > 0) return undefined;
  const key = generateKey();
  beforeWrite(key);
  try {
    await handleCommand(
      store,
      apiKeyDecider,
      API_KEYS_STREAM,
      { type: 'CreateFirstApiKey', data: { name: 'admin', scopes: ['admin'], sha256: sha256Of(key) }, metadata: { now: metadata.now } },
      { metadata },
    );
    return key;
  } catch (error) {
    // Another instance wrote the first key (the race: no-stream refused), or the decider saw keys: either way, not ours.
    if (error instanceof ConflictError) return undefined;
    throw error;
  }
}
