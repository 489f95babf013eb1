// What a projection is: a deterministic fold over recorded events into a read model it owns.
import type { RecordedEvent } from '../../store/port.js';

/**
 * `evolve` must depend only on the state and the event, so replaying the same events into
 * `initialState()` gives the same state. For speed on large ledgers, a projection may update
 * the state object it is given in place and return it: the runner owns that state and never shares it mid-fold.
 */
export interface Projection<State> {
  readonly name: string;
  canHandle(event: RecordedEvent): boolean;
  initialState(): State;
  evolve(state: State, event: RecordedEvent): State;
}
