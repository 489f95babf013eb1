// The shape every aggregate follows: pure decide and evolve over a stream's events.
import type { RecordedEvent } from '../store/port.js';
import { upcastData } from './upcasters.js';

/** An event as the domain sees it: a past-tense type and its data. Metadata is added at the edge. */
export interface DomainEvent<Type extends string = string, Data extends object = object> {
  readonly type: Type;
  readonly data: Data;
}

export interface Decider<State, Command, Event extends DomainEvent> {
  readonly initialState: () => State;
  readonly evolve: (state: State, event: Event) => State;
  readonly decide: (state: State, command: Command) => readonly Event[];
  /** Event types this aggregate understands; anything else in its stream is a corrupt or foreign event. */
  readonly eventTypes: readonly Event['type'][];
}

/**
 * A stored event as its aggregate's event, in today's schema version (upcasters.ts); an event type the aggregate does
 * not know means a corrupt or foreign stream. Loaders, projections and the history all read stored events through here.
 */
export function toDomainEvent<Event extends DomainEvent>(decider: { eventTypes: readonly Event['type'][] }, event: RecordedEvent): Event {
  if (!decider.eventTypes.includes(event.type)) {
    throw new Error(`stream ${event.stream} holds an event of unknown type ${event.type} at revision ${event.revision}`);
  }
  return { type: event.type, data: upcastData(event) } as Event;
}

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
