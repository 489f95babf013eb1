// Replay: rebuild every projection from the first event into fresh state, measure it, and digest the result.
import { digestOf } from '../projections/storage/digest.js';
import type { Projection } from '../projections/runtime/projection.js';
import type { Position, RecordedEvent } from '../store/port.js';
import { comparePositions, positionText } from '../store/position.js';
import type { TimeSlice } from '../runtime/timeSlice.js';

export interface Rebuilt {
  readonly states: ReadonlyMap<string, unknown>;
  readonly events: number;
  readonly lastPosition: Position | undefined;
  readonly seconds: number;
}

export interface ReplayReport {
  readonly match: boolean;
  readonly events: number;
  readonly eventsPerSecond: number;
  readonly digest: string;
  readonly expectedDigest: string | undefined;
  readonly position: string;
  readonly seconds: number;
}

/** Folds events into fresh projection states, stopping after `until` when given. */
export async function rebuildProjections(
  events: AsyncIterable<RecordedEvent>,
  projections: readonly Projection<unknown>[],
  options: {
    until?: Position | undefined;
    onProgress?: (events: number, position: Position) => void;
    /** Inside the service: pause between slices so other requests are served during a replay. */
    slice?: TimeSlice | undefined;
  } = {},
): Promise<Rebuilt> {
  const folded = projections.map((projection) => projection.initialState());
  const started = performance.now();
  let count = 0;
  let lastPosition: Position | undefined;
  for await (const event of events) {
    if (options.until !== undefined && comparePositions(event.position, options.until) > 0) break;
    for (let index = 0; index < projections.length; index += 1) {
      const projection = projections[index] as Projection<unknown>;
      if (projection.canHandle(event)) folded[index] = projection.evolve(folded[index], event);
    }
    count += 1;
    lastPosition = event.position;
    if (options.onProgress !== undefined && count % 10_000 === 0) options.onProgress(count, event.position);
    if (options.slice?.due() === true) await options.slice.pause();
  }
  const states = new Map(projections.map((projection, index) => [projection.name, folded[index]]));
  return { states, events: count, lastPosition, seconds: (performance.now() - started) / 1000 };
}

export function replayReport(rebuilt: Rebuilt, expectedDigest: string | undefined): ReplayReport {
  const digest = digestOf(rebuilt.states);
  return {
    match: expectedDigest === undefined || expectedDigest === digest,
    events: rebuilt.events,
    eventsPerSecond: rebuilt.seconds > 0 ? Math.round(rebuilt.events / rebuilt.seconds) : rebuilt.events,
    digest,
    expectedDigest,
    position: positionText(rebuilt.lastPosition),
    seconds: Math.round(rebuilt.seconds * 1000) / 1000,
  };
}
