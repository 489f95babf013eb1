// Upcasters: stored events of older schema versions read as today's, one function per version step, in one place.
// Stored events are never rewritten; every read that turns a stored event into a domain event comes through here.
import { metadataMayHold, type RecordedEvent } from '../store/port.js';

/** The schema version of events written from now on (metadata.schemaVersion); an event without one is version 1. */
export const CURRENT_SCHEMA_VERSION = 2;

/**
 * One version step: it knows which event types it touches, and whether an event's data needs it at all, from the
 * data alone (`touches`). Only then is the event's version read, which may parse its metadata: a replay of a million
 * events where no step applies reads no version and allocates nothing.
 */
export interface UpcastStep {
  /** The version this step upcasts from; it yields version `from + 1`. */
  readonly from: number;
  readonly types: readonly string[];
  touches(type: string, data: Record<string, unknown>): boolean;
  upcast(type: string, data: Record<string, unknown>): Record<string, unknown>;
}

/**
 * 1 -> 2: re-announcements (issue 20). A version-1 FundingAnnounced has no `restates`, and version 2 reads its absence
 * as restating nothing (the state keeps "nothing" as absence too), so no version-1 data needs rewriting: the step
 * touches nothing. Data that does carry `restates` is read as it is, whatever version its metadata names: tools and
 * tests record events without a version, and dropping their parts would silently change what they mean.
 */
const restatesArrive: UpcastStep = {
  from: 1,
  types: ['FundingAnnounced'],
  touches: () => false,
  upcast: (_type, data) => data,
};

/** Every step, oldest first. A new version adds one step here and bumps CURRENT_SCHEMA_VERSION. */
export const UPCAST_STEPS: readonly UpcastStep[] = [restatesArrive];

/** The steps by event type, so an event of a type no step touches costs one Map lookup. */
export function stepsByType(steps: readonly UpcastStep[]): ReadonlyMap<string, readonly UpcastStep[]> {
  const byType = new Map<string, UpcastStep[]>();
  for (const step of steps) for (const type of step.types) byType.set(type, [...(byType.get(type) ?? []), step]);
  return byType;
}

const CURRENT_STEPS = stepsByType(UPCAST_STEPS);

/** The schema version a stored event was written under: 1 when its metadata names none (the first events did not). */
export function schemaVersionOf(event: RecordedEvent): number {
  if (!metadataMayHold(event, 'schemaVersion')) return 1;
  const version = event.metadata.schemaVersion;
  return typeof version === 'number' && Number.isInteger(version) && version >= 1 ? version : 1;
}

/**
 * The stored event's data as the current schema version reads it. The same object when no step applies (nearly
 * always), a new one otherwise; the stored event itself is never changed.
 */
export function upcastData(event: RecordedEvent, byType = CURRENT_STEPS): Record<string, unknown> {
  const steps = byType.get(event.type);
  if (steps === undefined) return event.data;
  let data = event.data;
  let version: number | undefined;
  for (const step of steps) {
    if (!step.touches(event.type, data)) continue;
    version ??= schemaVersionOf(event);
    if (version <= step.from) data = step.upcast(event.type, data);
  }
  return data;
}
