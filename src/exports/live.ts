// Exports inside the service: read from the live projections, yet every row as it stood at the position reported.
import { announcementsAt } from '../projections/models/announcementViews.js';
import { announcementsProjection, type AnnouncementView } from '../projections/models/announcements.js';
import { AsOfTotals } from '../projections/runtime/asOf.js';
import { programmesProjection } from '../projections/models/programmes.js';
import type { ProjectionRunner } from '../projections/runtime/runner.js';
import { totalsProjection } from '../projections/models/totals/projection.js';
import type { EventStore, Position } from '../store/port.js';
import type { AnnouncementsAt } from './announcements.js';
import { pastTotals, positionText, type ExportSources } from './sources.js';

/**
 * Announcements fixed at the position the export began at. The index only ever appends ids, so the first `count`
 * slots are the announcements that existed then; each is folded from its own stream up to that position, so events
 * written during the export change nothing in it.
 */
class LiveAnnouncements implements AnnouncementsAt {
  readonly position: string;
  readonly count: number;
  readonly programmeNames: ReadonlyMap<string, string>;
  private readonly at: Position | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly projections: ProjectionRunner,
  ) {
    // Taken together, synchronously: no event can be applied in between.
    this.at = projections.position;
    this.position = positionText(this.at);
    this.count = projections.stateOf(announcementsProjection).ids.length;
    this.programmeNames = new Map([...projections.stateOf(programmesProjection)].map(([code, programme]) => [code, programme.name]));
  }

  views(): AsyncGenerator<AnnouncementView> {
    const { ids } = this.projections.stateOf(announcementsProjection);
    return announcementsAt(this.store, ids.ids(0, this.count), this.at);
  }
}

/** The service's sources: the projections it keeps live, and one cache of past totals shared by every export. */
export function liveSources(store: EventStore, projections: ProjectionRunner, past: AsOfTotals = new AsOfTotals(store)): ExportSources {
  return {
    store,
    async totalsAt(asOf) {
      if (asOf !== undefined) return pastTotals(past, asOf, projections.position);
      // The live state holds still until the rows are computed (totalsExport releases it).
      const release = await projections.hold();
      return { position: positionText(projections.position), state: projections.stateOf(totalsProjection), release };
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
