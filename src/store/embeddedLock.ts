// Who owns a data directory: one process at a time, through an OS lock on a file beside the database.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { StoreLockedError } from './port.js';

/** The lock file of a data directory. Its contents mean nothing; the lock the kernel holds on it is what counts. */
export function lockFileOf(dataDir: string): string {
  return path.join(dataDir, 'events.sqlite.lock');
}

export interface DirectoryLock {
  /** Lets the directory go; the kernel does the same when the process dies, so a crash leaves no stale lock. */
  release(): void;
}

/**
 * Takes the directory's lock or throws StoreLockedError at once. The database itself is no longer opened with
 * locking_mode EXCLUSIVE, so that a worker thread (replay's reader) can open its own connection to it: ownership moved
 * here. The lock is a POSIX record lock taken through SQLite on an otherwise empty file: the kernel releases it when the
 * process exits or is killed, so there is no stale lock to detect, and SQLite's unix VFS also refuses a second holder
 * within the same process (which a bare fcntl lock would not). better-sqlite3 is already a dependency; no npm package
 * in reach offers flock.
 */
export function lockDirectory(dataDir: string, mode: number): DirectoryLock {
  const file = lockFileOf(dataDir);
  // timeout 0: a held lock must fail now, not after the driver's default five seconds of retries.
  const db = new Database(file, { timeout: 0 });
  try {
    fs.chmodSync(file, mode);
    // The file holds an empty database and no journal beside it; locking_mode EXCLUSIVE keeps the lock the transaction
    // takes after its commit, until the connection closes.
    db.pragma('journal_mode = OFF');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (error) {
    db.close();
    if (error instanceof Database.SqliteError && error.code === 'SQLITE_BUSY') throw lockedError(dataDir, error);
    throw error;
  }
  return { release: () => db.close() };
}

/** What a second process opening the directory gets. */
export function lockedError(dataDir: string, cause: unknown): StoreLockedError {
  return new StoreLockedError(`the data directory ${dataDir} is in use by another process`, { cause });
}
