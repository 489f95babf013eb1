// Reading a stream into state: fold its events with the aggregate's evolve, up to a revision or position if asked.
import type { EventStore, Position, RecordedEvent } from '../store/port.js';
import { comparePositions } from '../store/position.js';
import { toDomainEvent, type Decider, type DomainEvent } from './decider.js';

export interface LoadedStream<State> {
  readonly state: State;
  /** Revision of the last event folded; undefined when the stream does not exist. */
  readonly revision: bigint | undefined;
  readonly last: RecordedEvent | undefined;
}

/** Folds a stream into state; `untilRevision` stops after that revision (to show a past version). */
export async function loadStream<State, Command, Event extends DomainEvent>(
  store: EventStore,
  decider: Decider<State, Command, Event>,
  stream: string,
  /** Stop after this revision, or after the last event at or before this global position; the whole stream when absent. */
  until?: { readonly revision: bigint } | { readonly position: Position },
  /** Sees each event folded, in order. */
  visit?: (event: RecordedEvent) => void,
): Promise<LoadedStream<State>> {
  let state = decider.initialState();
  let last: RecordedEvent | undefined;
  for await (const event of store.readStream(stream)) {
    if (
      until !== undefined &&
      ('revision' in until ? event.revision > until.revision : comparePositions(event.position, until.position) > 0)
    )
      break;
    visit?.(event);
    state = decider.evolve(state, toDomainEvent(decider, event));
    last = event;
  }
  return { state, revision: last?.revision, last };
}
