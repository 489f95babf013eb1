// The shape every aggregate follows: pure decide and evolve over a stream's events.

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

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
