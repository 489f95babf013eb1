// Reading a signed checkpoint note's text lines (c2sp.org/tlog-checkpoint) for display; no DOM, so the tests import it.

/** What the page shows of a checkpoint: the signed note's text lines (c2sp.org/tlog-checkpoint). */
export interface CheckpointSummary {
  readonly origin: string;
  readonly treeSize: number;
  /** Standard base64, as the note carries it. */
  readonly rootHash: string;
}

/** The origin, size and root of a signed checkpoint note; undefined for text that is not one. The page shows it, it does not verify it. */
export function parseCheckpointNote(note: string): CheckpointSummary | undefined {
  const body = note.slice(0, note.indexOf('\n\n') + 1);
  const [origin, size, rootHash] = body.split('\n');
  if (origin === undefined || origin === '' || size === undefined || !/^(0|[1-9][0-9]*)$/.test(size)) return undefined;
  if (rootHash === undefined || !/^[A-Za-z0-9+/]{43}=$/.test(rootHash)) return undefined;
  const treeSize = Number(size);
  return Number.isSafeInteger(treeSize) ? { origin, treeSize, rootHash } : undefined;
}
