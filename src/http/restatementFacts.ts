// The restatement rules' facts from other streams, gathered at the edge from the read models, as the programme check is.
import type { RestatedFacts } from '../commands/announcement/restatements.js';
import { announcementsProjection } from '../projections/models/announcements.js';
import { restatedFacts, restatedFrom, restatementsProjection } from '../projections/models/restatements.js';
import type { LedgerContext } from './context.js';

/** How long a write waits for this instance's read models to apply what the store already holds. */
const CATCH_UP_MS = 2_000;

/**
 * Facts about the announcements `restatedIds` names, and (when the amount may change) how much of `selfId` others
 * restate. The read models are first brought up to the store's head, so this instance sees its own earlier writes;
 * writes another replica made a moment ago may still be missing: across replicas these checks are as eventually
 * consistent as the programme check.
 */
export async function restatementFacts(
  context: LedgerContext,
  selfId: string,
  restatedIds: readonly string[],
  amountMayChange: boolean,
): Promise<{ restated?: RestatedFacts; restatedFromThis?: number }> {
  if (restatedIds.length === 0 && !amountMayChange) return {};
  const head = await context.store.headPosition();
  if (head !== undefined) await context.projections.waitFor(head, CATCH_UP_MS);
  const restatements = context.projections.stateOf(restatementsProjection);
  return {
    ...(restatedIds.length > 0 && {
      restated: restatedFacts(restatements, context.projections.stateOf(announcementsProjection), selfId, restatedIds),
    }),
    ...(amountMayChange && { restatedFromThis: restatedFrom(restatements, selfId) }),
  };
}
