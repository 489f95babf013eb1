// Replay: rebuild every projection from the first event into fresh state, measure it, and digest the result.
import { digestOf } from '../projections/storage/digest.js';
import type { Projection } from '../projections/runtime/projection.js';
import type { Position, RecordedEvent } from '../store/port.js';
import { positionText } from '../store/position.js';
import { FoldedStates, foldEvents } from '../projections/runtime/fold.js';
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

/** Folds events into fresh projection states (the one fold, projections/runtime/fold.ts), timed, stopping after `until` when given. */
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
  const states = new FoldedStates(projections);
  const started = performance.now();
  const { onProgress } = options;
  const folded = await foldEvents(events, states, {
    until: options.until,
    slice: options.slice,
    onFolded: onProgress && ((event, count) => (count % 10_000 === 0 ? onProgress(count, event.position) : undefined)),
  });
  return {
    states: states.byName(),
    events: folded.events,
    lastPosition: folded.lastPosition,
    seconds: (performance.now() - started) / 1000,
  };
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
