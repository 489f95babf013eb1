// What a projection is: a deterministic fold over recorded events into a read model it owns, with its stored form and digest.
import type { RecordedEvent } from '../../store/port.js';

/**
 * `evolve` must depend only on the state and the event, so replaying the same events into
 * `initialState()` gives the same state. For speed on large ledgers, a projection may update
 * the state object it is given in place and return it: the runner owns that state and never shares it mid-fold.
 */
export interface Projection<State, Stored = unknown> {
  readonly name: string;
  canHandle(event: RecordedEvent): boolean;
  initialState(): State;
  evolve(state: State, event: RecordedEvent): State;
  /** How a snapshot keeps the state (storage/snapshot.ts). */
  readonly snapshot: SnapshotForm<State, Stored>;
  /**
   * The state as a sequence of plain entries (or columns of numbers, hashed as their bytes) in a canonical order: what
   * the digest hashes (storage/digest.ts). Only what the state means, never incidental structure (caches, insertion
   * order of maps that are not ordered by meaning).
   */
  describe(state: State): Iterable<unknown>;
  /**
   * For a projection added after digests were published: it joins the digest only once it describes something, so a
   * ledger that never used what it reads keeps the digest an auditor recorded before (`ledger replay --expect`).
   */
  readonly digestOnceUsed?: boolean;
}

/** The state as plain data and typed arrays that v8 serialisation copies as they are, and back. */
export interface SnapshotForm<State, Stored> {
  store(state: State): Stored;
  restore(stored: Stored): State;
}
