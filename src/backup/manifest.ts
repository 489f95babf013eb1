// What a backup's manifest (schemas/backups.ts) says of a copy: computed from the copy itself (its bytes, its events),
// never the live store.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import Database from 'better-sqlite3';

/** The manifest of a copy named `events-<time>.sqlite` is `events-<time>.json`. */
export function manifestPathOf(copy: string): string {
  return `${copy.replace(/\.sqlite$/, '')}.json`;
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Makes a fresh copy self-contained: the backup API writes the source's header, which says WAL; switched to a rollback
 * journal, the copy opens read-only with no -wal or -shm beside it, and the service switches it back when it opens it.
 */
export function sealCopy(path: string): void {
  const db = new Database(path, { timeout: 0 });
  try {
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
}

export interface CopyContents {
  readonly events: number;
  readonly lastPosition: string;
}

/** Counts the copy's events and finds its last position, reading the copy only. */
export function contentsOfCopy(path: string): CopyContents {
  const db = new Database(path, { readonly: true, fileMustExist: true, timeout: 0 });
  try {
    db.defaultSafeIntegers(true);
    const row = db.prepare('SELECT count(*) AS events, max(position) AS last FROM events').get() as { events: bigint; last: bigint | null };
    return { events: Number(row.events), lastPosition: (row.last ?? 0n).toString() };
  } finally {
    db.close();
  }
}
