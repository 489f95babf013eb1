// Read model: which request each Idempotency-Key already produced, so a retry is answered without writing again.
import { metadataMayHold, type Position } from '../../store/port.js';
import type { Projection } from '../runtime/projection.js';
import { entriesByKey, keptAsItIs } from './mapState.js';

export interface IdempotentWrite {
  readonly requestHash: string;
  readonly stream: string;
  /** Revision and position of the last event the request appended. */
  readonly revision: bigint;
  readonly position: Position;
  /** Only on writes scoped by name (see idempotentWriteOf): when it was recorded. */
  readonly recordedAt?: string;
}

/** By scope: the API key's id with the Idempotency-Key, so two clients may use the same key without meeting. */
export type IdempotencyState = Map<string, IdempotentWrite>;

/** Whose writes: an API key's id. Never its name, which a new key may take once the old one is revoked. */
export function idempotencyScope(keyId: string, key: string): string {
  return `key:${keyId}\n${key}`;
}

/** The scope of a write recorded without a key id: its actor's name, as every write was scoped before key ids. */
function nameScope(actor: string, key: string): string {
  // A name cannot hold ':' (KEY_NAME_PATTERN), so this never meets an id scope.
  return `${actor}\n${key}`;
}

interface IdempotentMetadata {
  readonly scope: string;
  readonly requestHash: string;
  readonly recordedAt?: string;
}

/**
 * Upcaster: the idempotency part of a stored event's metadata, in today's form. An event with `keyId` is scoped by
 * it. One without (recorded before events carried the key id, or by `ledger import`) keeps the scope it was written
 * under, its actor's name, and when it was recorded. Stored events are never rewritten; they are read through here.
 */
function idempotentMetadataOf(metadata: Readonly<Record<string, unknown>>): IdempotentMetadata {
  const key = String(metadata.idempotencyKey);
  const requestHash = String(metadata.requestHash);
  if (typeof metadata.keyId === 'string') return { scope: idempotencyScope(metadata.keyId, key), requestHash };
  return { scope: nameScope(String(metadata.actor), key), requestHash, recordedAt: String(metadata.recordedAt) };
}

/** The API key asking: its id, and its name and creation for the writes scoped by name. */
export interface IdempotencyOwner {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
}

/**
 * The write this key's Idempotency-Key already produced. A write scoped by name is this key's only if the key
 * existed when it was recorded: a key created later under a revoked key's name is another key and gets none of it.
 */
export function priorWrite(state: IdempotencyState, owner: IdempotencyOwner, key: string): IdempotentWrite | undefined {
  const own = state.get(idempotencyScope(owner.id, key));
  if (own !== undefined) return own;
  const named = state.get(nameScope(owner.name, key));
  return named?.recordedAt !== undefined && owner.createdAt <= named.recordedAt ? named : undefined;
}

export const idempotencyProjection: Projection<IdempotencyState> = {
  name: 'idempotency',
  // Most events carry no key: asking the store first spares parsing their metadata during a replay.
  canHandle: (event) => metadataMayHold(event, 'idempotencyKey') && typeof event.metadata.idempotencyKey === 'string',
  initialState: () => new Map(),
  snapshot: keptAsItIs<IdempotencyState>(),
  describe: entriesByKey,
  evolve(state, event) {
    const { scope, requestHash, recordedAt } = idempotentMetadataOf(event.metadata);
    state.set(scope, {
      requestHash,
      stream: event.stream,
      revision: event.revision,
      position: event.position,
      ...(recordedAt !== undefined && { recordedAt }),
    });
    return state;
  },
};
