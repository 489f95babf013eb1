// Read model: which request each Idempotency-Key already produced, so a retry is answered without writing again.
import { metadataMayHold, type Position } from '../store/port.js';
import type { Projection } from './projection.js';

export interface IdempotentWrite {
  readonly requestHash: string;
  readonly stream: string;
  /** Revision and position of the last event the request appended. */
  readonly revision: bigint;
  readonly position: Position;
}

/** Keys are scoped by actor (API key name): two clients may use the same key without meeting. */
export type IdempotencyState = Map<string, IdempotentWrite>;

export function idempotencyScope(actor: string, key: string): string {
  return `${actor}\n${key}`;
}

export const idempotencyProjection: Projection<IdempotencyState> = {
  name: 'idempotency',
  // Most events carry no key: asking the store first spares parsing their metadata during a replay.
  canHandle: (event) => metadataMayHold(event, 'idempotencyKey') && typeof event.metadata.idempotencyKey === 'string',
  initialState: () => new Map(),
  evolve(state, event) {
    const { actor, idempotencyKey, requestHash } = event.metadata;
    state.set(idempotencyScope(String(actor), String(idempotencyKey)), {
      requestHash: String(requestHash),
      stream: event.stream,
      revision: event.revision,
      position: event.position,
    });
    return state;
  },
};
