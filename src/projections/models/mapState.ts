// Read models held as one Map by key (programmes, exchange rates, idempotency): kept as they are in a snapshot, and
// described to the digest by key.
import type { SnapshotForm } from '../runtime/projection.js';

/** v8 serialisation carries a Map of plain values as it is. */
export function keptAsItIs<State>(): SnapshotForm<State, State> {
  return { store: (state) => state, restore: (stored) => stored };
}

const byKey = <T>([a]: [string, T], [b]: [string, T]): number => (a < b ? -1 : a > b ? 1 : 0);

/** The entries in key order: a Map's insertion order is not part of what it means. */
export function entriesByKey<Value>(state: ReadonlyMap<string, Value>): [string, Value][] {
  return [...state.entries()].sort(byKey);
}
