// How the embedded store tells a full disk and a damaged file from other SQLite errors, and its cheap check at open.
import fs from 'node:fs';
import Database from 'better-sqlite3';
import { StoreDamagedError, StoreFullError } from './port.js';

/**
 * A full disk or a damaged file as the port's typed errors; any other error as it is. SQLite answers SQLITE_FULL
 * when a write meets ENOSPC (and EDQUOT), and rolls the transaction back; better-sqlite3 does the rest.
 */
export function storeFailureOf(error: unknown, file: string): unknown {
  if (error instanceof Database.SqliteError) {
    if (error.code === 'SQLITE_FULL') return new StoreFullError('the disk holding the event store is full (SQLITE_FULL)', { cause: error });
    if (error.code === 'SQLITE_NOTADB') return new StoreDamagedError(file, 'it is not a SQLite database', { cause: error });
    if (error.code.startsWith('SQLITE_CORRUPT')) return new StoreDamagedError(file, `damaged pages: ${error.message}`, { cause: error });
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new StoreFullError(`the disk holding the event store is full (${code})`, { cause: error });
  return error;
}

/** Runs `work`, turning a full disk or a damaged file into the port's typed errors. */
export function withStoreFailures<T>(file: string, work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw storeFailureOf(error, file);
  }
}

const HEADER_BYTES = 100;

/**
 * What a damaged database shows without reading it all (`PRAGMA quick_check` took 1.8 s on a million events), in two
 * steps. Before SQLite opens the file: an empty file, or one shorter than its header says (truncated). It must come first, as closing
 * any descriptor of the file would drop the POSIX locks SQLite holds on it.
 */
export function checkDatabaseHeader(file: string): void {
  const truncation = truncationOf(file);
  if (truncation !== undefined) throw new StoreDamagedError(file, truncation);
}

/**
 * Once open: the first and last rows of the events table, whose pages lie at both ends of its b-tree. Pages in
 * between are checked by SQLite as they are read (SQLITE_CORRUPT).
 */
export function checkOpenedDatabase(db: Database.Database, file: string): void {
  withStoreFailures(file, () => {
    db.prepare('SELECT max(position) FROM events').get();
    db.prepare('SELECT position, stream, revision, id, type, data, metadata FROM events ORDER BY position LIMIT 1').get();
  });
}

/**
 * The header's database size (valid when its change counter matches its version-valid-for number) against the file's
 * size. A checkpoint writes the pages before the header, so the file is never shorter than its header says, even
 * with a WAL not yet checkpointed.
 */
function truncationOf(file: string): string | undefined {
  const header = Buffer.alloc(HEADER_BYTES);
  const fd = fs.openSync(file, 'r');
  let size: number;
  try {
    size = fs.fstatSync(fd).size;
    // The store makes its file whole before giving it its name (createDatabase): empty, it has lost everything.
    if (size === 0) return 'it is empty (0 bytes), which this service never leaves: its contents are lost';
    if (fs.readSync(fd, header, 0, HEADER_BYTES, 0) < HEADER_BYTES)
      return `it is truncated to ${size} bytes, shorter than a database header`;
  } finally {
    fs.closeSync(fd);
  }
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65_536 : rawPageSize;
  const pages = header.readUInt32BE(28);
  if (pages === 0 || header.readUInt32BE(24) !== header.readUInt32BE(92)) return undefined;
  const expected = pages * pageSize;
  return size < expected
    ? `it is truncated: ${size} bytes where its header says ${pages} pages of ${pageSize} (${expected} bytes)`
    : undefined;
}
