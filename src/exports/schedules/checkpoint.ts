// The signed checkpoint of the journal tree at the position a scheduled export reflects, for its manifest.
import type { CheckpointSigner } from '../../audit/checkpoints.js';
import type { JournalTree } from '../../audit/journalTree.js';
import type { Position } from '../../store/port.js';
import { parsePosition } from '../../store/position.js';

/** The signed note of the tree over the events up to and including `position` (an export's position text, '0' when empty). */
export type ExportCheckpoints = (position: string) => Promise<string>;

/** How long an events export, which reads the store's head, waits for the projections to apply up to it. */
const CATCH_UP_MS = 30_000;

/**
 * Checkpoints from the projections' journal tree. An export's position is the last event it reflects, so the tree
 * size is that event's leaf + 1: the tree's size at the moment the position was read (a totals or announcements
 * export reads the projections' position), and exact too for a past (asOf) position or an events export.
 */
export function journalCheckpoints(
  projections: { readonly journal: JournalTree; waitFor(position: Position, timeoutMs: number): Promise<boolean> },
  signer: CheckpointSigner,
  catchUpMs = CATCH_UP_MS,
): ExportCheckpoints {
  return async (text) => {
    if (text === '0') return signer.at(0).note;
    const position = parsePosition(text);
    if (position === undefined) throw new Error(`export position ${JSON.stringify(text)} is not a position`);
    let leaf = projections.journal.indexOf(position);
    // An events export reads up to the store's head, which the projections may not have applied yet.
    if (leaf === undefined && (await projections.waitFor(position, catchUpMs))) leaf = projections.journal.indexOf(position);
    if (leaf === undefined)
      throw new Error(`no event of the journal tree is at position ${text}: the export's checkpoint cannot be signed`);
    return signer.at(leaf + 1).note;
  };
}
