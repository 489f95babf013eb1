// How many announcements have committed or disbursed money in each group: counted from the slots derived from
// announcements (stageSlots.ts), since one announcement has a slot per date and several may fall in one group.
import type { Steps } from '../../../runtime/timeSlice.js';
import { COMMITTED, DISBURSED } from './cells.js';
import type { TotalsState } from './state.js';

/** What a group gathers: the distinct announcements (or announcement and country pairs) with money in those stages. */
export interface StageOwners {
  owners?: Set<number>;
}

/** Announcements read between two points where a sliced run may pause. */
const OWNERS_PER_STEP = 256;

/**
 * Adds to each group the announcements whose committed or disbursed rows fell in it: by announcement, or by
 * announcement and country where the count is per country (as `count` counts announced money).
 */
export function* countStageOwners(
  state: TotalsState,
  groupOfCell: Int32Array,
  groups: readonly StageOwners[],
  total: StageOwners,
  perCountry: { readonly rows: boolean; readonly total: boolean },
): Steps<void> {
  const c = state.contributions;
  const { cells } = state;
  let seen = 0;
  for (const [owner, slots] of state.stages.derived) {
    if (++seen % OWNERS_PER_STEP === 0) yield;
    for (const slot of slots) {
      // A past state holds only the slots there were then; the index of derived slots is the live one.
      if (slot >= c.ids.length) continue;
      const first = c.firstRow.get(slot);
      for (let row = first; row < first + c.rowCount.get(slot); row += 1) {
        const cell = c.rowCells.get(row);
        const stage = cells.stageOf(cell);
        const index = groupOfCell[cell] as number;
        if ((stage !== COMMITTED && stage !== DISBURSED) || index < 0) continue;
        const byCountry = owner * 65_536 + cells.codeOf(cell, 'countries');
        const group = groups[index] as StageOwners;
        (group.owners ??= new Set()).add(perCountry.rows ? byCountry : owner);
        (total.owners ??= new Set()).add(perCountry.total ? byCountry : owner);
      }
    }
  }
}
