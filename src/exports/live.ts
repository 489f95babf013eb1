// Exports inside the service: read from the live projections, yet every row as it stood at the position reported.
import { toDomainEvent } from '../commands/handle.js';
import { ANNOUNCEMENT_EVENT_TYPES, ANNOUNCEMENT_STREAM_PREFIX, announcementStream, type AnnouncementEvent } from '../commands/announcement/events.js';
import { evolveAnnouncement, initialAnnouncementState } from '../commands/announcement/state.js';
import { announcementsProjection, type AnnouncementView } from '../projections/announcements.js';
import { AsOfTotals } from '../projections/asOf.js';
import { programmesProjection } from '../projections/programmes.js';
import type { ProjectionRunner } from '../projections/runner.js';
import { totalsProjection } from '../projections/totals/projection.js';
import type { EventStore, Position } from '../store/port.js';
import { comparePositions } from '../store/position.js';
import type { AnnouncementsAt } from './announcements.js';
import { pastTotals, positionText, type ExportSources } from './sources.js';

const samePosition = (a: Position | undefined, b: Position | undefined): boolean =>
  a === undefined || b === undefined ? a === b : comparePositions(a, b) === 0;

/** An announcement as it stood right after `position`, folded from its own stream; undefined if it did not exist yet. */
async function announcementAt(store: EventStore, id: string, position: Position): Promise<AnnouncementView | undefined> {
  let state = initialAnnouncementState();
  let revision: bigint | undefined;
  for await (const event of store.readStream(announcementStream(id))) {
    if (comparePositions(event.position, position) > 0) break;
    state = evolveAnnouncement(state, toDomainEvent<AnnouncementEvent>({ eventTypes: ANNOUNCEMENT_EVENT_TYPES }, event));
    revision = event.revision;
  }
  return state.status === 'none' || revision === undefined ? undefined : { state, revision };
}

/**
 * Announcements fixed at the position the export began at, without copying the read model. Ids recorded since sit past
 * `count` in the append-only order, and views are replaced, never changed, so a view is still right unless an event
 * touched its announcement after that position. While the projections have not moved, none did. Once they have, the
 * announcement events since then are read from the store (few: only what was written during the export) and a touched
 * announcement is folded again from its own stream up to the position.
 */
class LiveAnnouncements implements AnnouncementsAt {
  readonly position: string;
  readonly count: number;
  readonly programmeNames: ReadonlyMap<string, string>;
  private readonly at: Position | undefined;
  private readonly touched = new Set<string>();
  private scannedTo: Position | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly projections: ProjectionRunner,
  ) {
    // Taken together, synchronously: no event can be applied in between.
    this.at = projections.position;
    this.position = positionText(this.at);
    this.count = projections.stateOf(announcementsProjection).order.length;
    this.programmeNames = new Map([...projections.stateOf(programmesProjection)].map(([code, programme]) => [code, programme.name]));
    this.scannedTo = this.at;
  }

  async *views(): AsyncGenerator<AnnouncementView> {
    for (let index = 0; index < this.count; index += 1) {
      const { order, byId } = this.projections.stateOf(announcementsProjection);
      const id = order[index] as string;
      const applied = this.projections.position;
      const view = byId.get(id);
      if (view === undefined) continue;
      if (samePosition(applied, this.at) || !(await this.touchedUpTo(id, applied))) {
        yield view;
        continue;
      }
      const past = await announcementAt(this.store, id, this.at as Position);
      if (past !== undefined) yield past;
    }
  }

  /** Whether an event after the export's position and up to `applied` (or later) is about this announcement. */
  private async touchedUpTo(id: string, applied: Position | undefined): Promise<boolean> {
    if (applied !== undefined && (this.scannedTo === undefined || comparePositions(this.scannedTo, applied) < 0)) {
      // The store's head is at or past what the projections applied, so scanning to it covers `applied`.
      const head = await this.store.headPosition();
      const filter = { streamPrefixes: [ANNOUNCEMENT_STREAM_PREFIX] };
      for await (const event of this.store.readAll({ ...(this.scannedTo !== undefined && { after: this.scannedTo }), filter })) {
        if (head !== undefined && comparePositions(event.position, head) > 0) break;
        this.touched.add(event.stream.slice(ANNOUNCEMENT_STREAM_PREFIX.length));
      }
      this.scannedTo = head;
    }
    return this.touched.has(id);
  }
}

/** The service's sources: the projections it keeps live, and one cache of past totals shared by every export. */
export function liveSources(store: EventStore, projections: ProjectionRunner): ExportSources {
  const past = new AsOfTotals(store);
  return {
    store,
    async totalsAt(asOf) {
      if (asOf !== undefined) return pastTotals(past, asOf, projections.position);
      return { position: positionText(projections.position), state: projections.stateOf(totalsProjection) };
    },
    async announcementsAt() {
      return new LiveAnnouncements(store, projections);
    },
    async eventsUpTo() {
      return store.headPosition();
    },
    hasProgramme: (code) => projections.stateOf(programmesProjection).has(code),
  };
}
