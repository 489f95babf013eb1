// What the digest reads of the totals: the cells that hold something, by key, and each announcement's contribution.
import { cellKey, type TotalsState } from './state.js';

/** Slots described per column chunk: a million slots without a million strings. */
const CHUNK_SLOTS = 8192;

export function* describeTotals(state: TotalsState): Generator<unknown> {
  // Cells that hold nothing are bookkeeping (an announcement withdrawn leaves one): only the others count, by key.
  const { cells } = state;
  const numberOfKey = new Map<string, number>();
  for (let number = 0; number < cells.length; number += 1) {
    if (cells.allocationsOf(number) !== 0) numberOfKey.set(cellKey(cells.view(number)), number);
  }
  const rankOfCell = new Float64Array(cells.length).fill(-1);
  for (const [rank, key] of [...numberOfKey.keys()].sort().entries()) {
    const number = numberOfKey.get(key) as number;
    rankOfCell[number] = rank;
    yield [key, String(cells.minorOf(number)), cells.allocationsOf(number), cells.announcementsOf(number)];
  }
  // Slots are numbered in the order announcements were first recorded: the same in any fold of the same history.
  // A withdrawn announcement keeps its slot but contributes nothing: as if it had never been. The currency is
  // its cells' (in their keys).
  const c = state.contributions;
  yield [...c.ids.others];
  let chunk = new Float64Array(CHUNK_SLOTS * 8);
  let at = 0;
  for (let slot = 0; slot < c.ids.length; slot += 1) {
    const count = c.rowCount.get(slot);
    if (count === 0) continue;
    const needed = 7 + 2 * count;
    if (at + needed > chunk.length) {
      yield chunk.subarray(0, at);
      chunk = new Float64Array(Math.max(CHUNK_SLOTS * 8, needed));
      at = 0;
    }
    if (!c.ids.copyWords(slot, chunk, at)) chunk.fill(0, at, at + 4);
    chunk[at + 4] = c.days.get(slot);
    chunk[at + 5] = c.split.get(slot);
    chunk[at + 6] = count;
    at += 7;
    const first = c.firstRow.get(slot);
    for (let row = first; row < first + count; row += 1) {
      chunk[at] = rankOfCell[c.rowCells.get(row)] as number;
      chunk[at + 1] = c.rowMinors.get(row);
      at += 2;
    }
  }
  yield chunk.subarray(0, at);
}
