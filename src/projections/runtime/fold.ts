// The one fold of events into projection states: the live runner, the audit replay and the as-of rebuild all use it.
import type { Position, RecordedEvent } from '../../store/port.js';
import { comparePositions } from '../../store/position.js';
import type { TimeSlice } from '../../runtime/timeSlice.js';
import type { Projection } from './projection.js';

/**
 * Several projections' states, folded together event by event. The states are held in an array beside the
 * projections, so applying an event costs no lookup by name (a replay applies a million).
 */
export class FoldedStates {
  private readonly folded: unknown[];
  private readonly indexByName: Map<string, number>;

  /** Starts from `from` (a snapshot's states, by name) or from each projection's initial state. */
  constructor(
    readonly projections: readonly Projection<unknown>[],
    from?: ReadonlyMap<string, unknown>,
  ) {
    this.indexByName = new Map(projections.map((projection, index) => [projection.name, index]));
    this.folded = projections.map((projection) => {
      if (from === undefined) return projection.initialState();
      if (!from.has(projection.name)) throw new Error(`the snapshot has no state for projection ${projection.name}`);
      return from.get(projection.name);
    });
  }

  /** Folds one event into every projection that handles it. */
  apply(event: RecordedEvent): void {
    const { projections, folded } = this;
    for (let index = 0; index < projections.length; index += 1) {
      const projection = projections[index] as Projection<unknown>;
      if (projection.canHandle(event)) folded[index] = projection.evolve(folded[index], event);
    }
  }

  /** A projection's state; undefined for a projection not folded here. */
  stateOf<State>(projection: Projection<State>): State | undefined {
    const index = this.indexByName.get(projection.name);
    return index === undefined ? undefined : (this.folded[index] as State);
  }

  /** Every state by projection name: for digests and snapshots, never to be modified. */
  byName(): Map<string, unknown> {
    return new Map(this.projections.map((projection, index) => [projection.name, this.folded[index]]));
  }
}

export interface FoldOptions {
  /** The last position to fold: the fold stops at the first event after it. */
  readonly until?: Position | undefined;
  /** Stops before the first event this is true of, leaving it unfolded (the as-of rebuild's time limit). */
  readonly stopBefore?: ((event: RecordedEvent) => boolean) | undefined;
  /** Called after each event folded, with how many have been. */
  readonly onFolded?: ((event: RecordedEvent, folded: number) => void) | undefined;
  /** Inside the service: pause between slices so other requests are served during a long fold. */
  readonly slice?: TimeSlice | undefined;
}

export interface Folded {
  readonly events: number;
  /** The last event folded; undefined when none was. */
  readonly lastPosition: Position | undefined;
  /** True when the fold met an event it was told to stop at (`until`, `stopBefore`), false when the events ran out. */
  readonly stopped: boolean;
}

/** Folds events from an iterable (the store's, an export file's) into `states`, in order. */
export async function foldEvents(events: AsyncIterable<RecordedEvent>, states: FoldedStates, options: FoldOptions = {}): Promise<Folded> {
  const { until, stopBefore, onFolded, slice } = options;
  let count = 0;
  let lastPosition: Position | undefined;
  for await (const event of events) {
    if (until !== undefined && comparePositions(event.position, until) > 0) return { events: count, lastPosition, stopped: true };
    if (stopBefore?.(event) === true) return { events: count, lastPosition, stopped: true };
    states.apply(event);
    count += 1;
    lastPosition = event.position;
    onFolded?.(event, count);
    if (slice?.due() === true) await slice.pause();
  }
  return { events: count, lastPosition, stopped: false };
}
