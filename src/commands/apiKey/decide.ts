// API key decisions: create (a name is unique among active keys), revoke, the first key of a ledger, a keys.json import.
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../../domain/errors.js';
import { assertNever, type Decider } from '../decider.js';
import { API_KEY_EVENT_TYPES, KEY_NAME_PATTERN, keyIdOf, SCOPES, SHA256_PATTERN, type ApiKeyEvent, type Scope } from './events.js';
import { activeKeyNamed, evolveApiKeys, initialApiKeysState, type ApiKeyRecord, type ApiKeysState } from './state.js';

interface NewKey {
  readonly name: string;
  readonly scopes: readonly Scope[];
  /** The key's SHA-256 (hex); the key itself never reaches the domain. */
  readonly sha256: string;
}

export type CreateApiKey = { readonly type: 'CreateApiKey'; readonly data: NewKey; readonly metadata: { now: string } };

/** The ledger's first key: refused once the stream holds any key, revoked ones included. */
export type CreateFirstApiKey = { readonly type: 'CreateFirstApiKey'; readonly data: NewKey; readonly metadata: { now: string } };

export type RevokeApiKey = { readonly type: 'RevokeApiKey'; readonly data: { name: string }; readonly metadata: { now: string } };

/**
 * Records of a legacy keys.json: each is imported unless a key with its SHA-256 is already there (so a second import
 * adds nothing), or it is active and its name belongs to another active key (it is left out; see `importableKeys`).
 */
export type ImportApiKeys = { readonly type: 'ImportApiKeys'; readonly data: { keys: readonly ApiKeyRecord[] } };

export type ApiKeyCommand = CreateApiKey | CreateFirstApiKey | RevokeApiKey | ImportApiKeys;

function checked(key: NewKey): NewKey {
  const errors: FieldError[] = [];
  if (!KEY_NAME_PATTERN.test(key.name))
    errors.push({ field: 'name', message: 'must be 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit' });
  if (key.scopes.length === 0 || key.scopes.some((scope) => !SCOPES.includes(scope)))
    errors.push({ field: 'scopes', message: `must be one or more of ${SCOPES.join(', ')}` });
  if (!SHA256_PATTERN.test(key.sha256)) errors.push({ field: 'sha256', message: 'must be 64 lower-case hex digits' });
  if (errors.length > 0) throw new ValidationError('the key is not valid', errors);
  return { name: key.name, scopes: [...new Set(key.scopes)], sha256: key.sha256 };
}

function created(key: NewKey, now: string): ApiKeyEvent {
  return { type: 'ApiKeyCreated', data: { name: key.name, scopes: [...key.scopes], sha256: key.sha256, createdAt: now } };
}

function createKey(state: ApiKeysState, data: NewKey, now: string): ApiKeyEvent[] {
  const key = checked(data);
  if (activeKeyNamed(state, key.name) !== undefined) {
    throw new ConflictError(`an active key named "${key.name}" exists`, [
      { field: 'name', message: 'revoke the active key of this name first, or choose another name' },
    ]);
  }
  if (state.keys.some((existing) => existing.sha256 === key.sha256)) {
    throw new ConflictError('this key was issued before', [{ field: 'sha256', message: 'a key is issued once' }]);
  }
  return [created(key, now)];
}

/** The records of `keys` an import would add to `state`, in order. */
export function importableKeys(state: ApiKeysState, keys: readonly ApiKeyRecord[]): ApiKeyRecord[] {
  const known = new Set(state.keys.map((key) => key.sha256));
  const activeNames = new Set(state.keys.filter((key) => key.revokedAt === undefined).map((key) => key.name));
  const importable: ApiKeyRecord[] = [];
  for (const record of keys) {
    if (known.has(record.sha256)) continue;
    if (record.revokedAt === undefined) {
      if (activeNames.has(record.name)) continue;
      activeNames.add(record.name);
    }
    known.add(record.sha256);
    importable.push(record);
  }
  return importable;
}

export function decideApiKeys(state: ApiKeysState, command: ApiKeyCommand): ApiKeyEvent[] {
  switch (command.type) {
    case 'CreateApiKey':
      return createKey(state, command.data, command.metadata.now);
    case 'CreateFirstApiKey':
      if (state.keys.length > 0) {
        throw new ConflictError('the ledger already has keys', [{ field: 'name', message: 'the first key is created once per ledger' }]);
      }
      return createKey(state, command.data, command.metadata.now);
    case 'RevokeApiKey': {
      const { name } = command.data;
      if (!state.keys.some((key) => key.name === name)) throw new NotFoundError(`no key named "${name}"`);
      const active = activeKeyNamed(state, name);
      if (active === undefined)
        throw new ConflictError(`the key named "${name}" is already revoked`, [{ field: 'name', message: 'already revoked' }]);
      return [{ type: 'ApiKeyRevoked', data: { name, keyId: keyIdOf(active.sha256), revokedAt: command.metadata.now } }];
    }
    case 'ImportApiKeys':
      // Imported keys keep their dates: they are the keys' own history, not the moment of the import.
      return importableKeys(state, command.data.keys).flatMap((record): ApiKeyEvent[] => {
        const key = checked(record);
        const events: ApiKeyEvent[] = [created(key, record.createdAt)];
        if (record.revokedAt !== undefined)
          events.push({ type: 'ApiKeyRevoked', data: { name: key.name, keyId: keyIdOf(key.sha256), revokedAt: record.revokedAt } });
        return events;
      });
    default:
      return assertNever(command);
  }
}

export const apiKeyDecider: Decider<ApiKeysState, ApiKeyCommand, ApiKeyEvent> = {
  initialState: initialApiKeysState,
  evolve: evolveApiKeys,
  decide: decideApiKeys,
  eventTypes: API_KEY_EVENT_TYPES,
};
