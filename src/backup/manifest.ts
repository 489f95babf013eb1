// A backup's manifest, and what it says of a copy: computed from the copy itself (its bytes, its events), never the live store.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import Database from 'better-sqlite3';
import { z } from 'zod';

const sha256Schema = z
  .string()
  .regex(/^[0-9a-f]{64}$/)
  .meta({ description: "SHA-256 (hex) of the file's bytes" });

export const backupManifestSchema = z
  .object({
    file: z
      .string()
      .meta({ description: 'The copy of the event store, beside this manifest', examples: ['events-20261125T060000.123Z.sqlite'] }),
    sha256: sha256Schema,
    events: z.number().int().min(0).meta({ description: 'Events in the copy' }),
    lastPosition: z.string().meta({
      description: 'Position of the last event in the copy ("0" when empty): the copy answers as `/totals?asOf=<lastPosition>` did',
      examples: ['1042'],
    }),
    createdAt: z.string().meta({ description: 'When the backup was taken (ISO 8601)' }),
    keys: z
      .object({ file: z.string().meta({ examples: ['keys-20261125T060000.123Z.sqlite'] }), sha256: sha256Schema })
      .meta({ description: 'The copy of the API keys store (`DATA_DIR/keys`), taken in the same backup' }),
  })
  .meta({ id: 'BackupManifest', description: 'A backup of the embedded store, written beside it as `<name>.json`' });

export type BackupManifest = z.infer<typeof backupManifestSchema>;

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
