// Where exports read from: the live read models inside the service, or read models rebuilt from the store (the CLI).
import { ValidationError } from '../domain/errors.js';
import { announcementsAt } from '../projections/models/announcementViews.js';
import { announcementsProjection, type AnnouncementsState } from '../projections/models/announcements.js';
import { AsOfTotals, type Moment } from '../projections/runtime/asOf.js';
import { FoldedStates, foldEvents } from '../projections/runtime/fold.js';
import { programmesProjection, type ProgrammesState } from '../projections/models/programmes.js';
import type { Projection } from '../projections/runtime/projection.js';
import { totalsProjection } from '../projections/models/totals/projection.js';
import type { TotalsState } from '../projections/models/totals/state.js';
import type { EventStore, Position } from '../store/port.js';
import { comparePositions, formatPosition } from '../store/position.js';
import type { AnnouncementsAt } from './announcements.js';
import type { ExportKind } from '../schemas/csv.js';
import type { TotalsAt } from './totals.js';

export interface ExportSources {
  readonly store: EventStore;
  /** Totals now, or right after a past moment; a position beyond what the read models hold is refused. */
  totalsAt(asOf: Moment | undefined): Promise<TotalsAt>;
  /** Every announcement as it stands now, fixed at the position the export reports. */
  announcementsAt(): Promise<AnnouncementsAt>;
  /** The last event an events export includes. */
  eventsUpTo(): Promise<Position | undefined>;
  hasProgramme(code: string): boolean;
}

export { positionText } from '../store/position.js';
import { positionText } from '../store/position.js';

/** As /totals words it, so the HTTP answer and the CLI message agree. */
export function assertNotBeyond(moment: Moment, head: Position | undefined): void {
  if ('position' in moment && (head === undefined || comparePositions(moment.position, head) > 0)) {
    throw new ValidationError(`asOf ${formatPosition(moment.position)} is beyond the last event applied (${positionText(head)})`, [
      { field: 'asOf', message: 'must not be beyond the current position' },
    ]);
  }
}

/** Past totals from history, shared by both kinds of source. */
export async function pastTotals(past: AsOfTotals, moment: Moment, head: Position | undefined): Promise<TotalsAt> {
  assertNotBeyond(moment, head);
  const { position, state } = await past.at(moment);
  return { position: positionText(position), state, past: true };
}

/** The read models an export of this kind needs: nothing for events, which read the journal itself. */
function projectionsFor(kind: ExportKind): Projection<unknown>[] {
  switch (kind) {
    case 'totals':
      return [programmesProjection, totalsProjection] as Projection<unknown>[];
    case 'announcements':
      return [programmesProjection, announcementsProjection] as Projection<unknown>[];
    case 'events':
      return [];
  }
}

/**
 * Read models folded from the store up to its head, once, for one export of `kind`: what the command line uses,
 * where no service keeps them live. Nothing changes them afterwards, so they are read in place.
 */
export async function rebuiltSources(store: EventStore, kind: ExportKind, onProgress?: (events: number) => void): Promise<ExportSources> {
  const head = await store.headPosition();
  const projections = projectionsFor(kind);
  const folded = new FoldedStates(projections);
  if (projections.length > 0 && head !== undefined) {
    await foldEvents(store.readAll(), folded, {
      until: head,
      onFolded: (_event, events) => (events % 10_000 === 0 ? onProgress?.(events) : undefined),
    });
  }
  const stateOf = <State>(projection: Projection<State>): State => folded.stateOf(projection) ?? projection.initialState();
  const past = new AsOfTotals(store);
  return {
    store,
    async totalsAt(asOf) {
      if (asOf !== undefined) return pastTotals(past, asOf, head);
      return { position: positionText(head), state: stateOf<TotalsState>(totalsProjection) };
    },
    async announcementsAt() {
      const { ids } = stateOf<AnnouncementsState>(announcementsProjection);
      const programmes = stateOf<ProgrammesState>(programmesProjection);
      return {
        position: positionText(head),
        count: ids.length,
        programmeNames: new Map([...programmes].map(([code, programme]) => [code, programme.name])),
        views: () => announcementsAt(store, ids.ids(0, ids.length), head),
      };
    },
    async eventsUpTo() {
      return head;
    },
    hasProgramme: (code) => stateOf<ProgrammesState>(programmesProjection).has(code),
  };
}
