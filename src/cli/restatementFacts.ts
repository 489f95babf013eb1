// The restatement facts an import needs about announcements the store holds, from the read models folded once.
import { restatedFacts, restatementsProjection } from '../projections/models/restatements.js';
import { announcementsProjection } from '../projections/models/announcements.js';
import { foldEvents, FoldedStates } from '../projections/runtime/fold.js';
import type { Projection } from '../projections/runtime/projection.js';
import type { StoredRestatedFacts } from '../imports/pendingLedger.js';
import type { EventStore } from '../store/port.js';

/**
 * Who restates how much of each announcement is ledger-wide knowledge: the two read models are folded from the
 * whole store, on the first question only (an import without restated parts never asks), and the import holds the
 * store, so nothing else writes meanwhile.
 */
export function storedRestatedFacts(store: EventStore): StoredRestatedFacts {
  let folded: Promise<FoldedStates> | undefined;
  const fold = async (): Promise<FoldedStates> => {
    const states = new FoldedStates([restatementsProjection, announcementsProjection] as Projection<unknown>[]);
    await foldEvents(store.readAll(), states);
    return states;
  };
  return async (selfId, earlierIds) => {
    const states = await (folded ??= fold());
    const restatements = states.stateOf(restatementsProjection);
    const announcements = states.stateOf(announcementsProjection);
    if (restatements === undefined || announcements === undefined) throw new Error('the restatement read models were not folded');
    return restatedFacts(restatements, announcements, selfId, earlierIds);
  };
}
