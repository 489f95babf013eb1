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

/** Directories this process holds: a second open here is refused without asking the kernel. */
const heldHere = new Set<string>();

/**
 * The owner file: the pid of the process holding the directory and, where /proc gives it, when that process started, a
 * check that does not depend on the kernel lock alone.
 */
function ownerFileOf(dataDir: string): string {
  return path.join(dataDir, 'events.sqlite.owner');
}

/**
 * When a process started, in clock ticks since boot (field 22 of /proc/<pid>/stat, proc(5)); undefined where there
 * is no /proc or the process is gone. A pid is reused once its process is gone: the start time tells the two apart.
 */
export function startTimeOf(pid: number): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Field 2 is the command in parentheses and may hold spaces and parentheses itself: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const ticks = fields[19];
  return ticks !== undefined && /^\d+$/.test(ticks) ? ticks : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What the owner file holds: `<pid>` or `<pid> <start time>`; undefined for anything else. */
function ownerOf(text: string): { readonly pid: number; readonly started: string | undefined } | undefined {
  const match = /^(\d+)(?: (\d+))?\n?$/.exec(text);
  if (match === null) return undefined;
  const pid = Number(match[1]);
  return pid > 0 ? { pid, started: match[2] } : undefined;
}

/**
 * Throws StoreLockedError when this process or another living one holds the directory by its owner file. A pid left
 * by a process that died (kill -9) no longer counts, nor one now used by a process that started at another time.
 */
function refuseKnownHolder(dataDir: string, key: string): void {
  if (heldHere.has(key)) throw lockedError(dataDir, new Error('held by this process'));
  let text: string;
  try {
    text = fs.readFileSync(ownerFileOf(dataDir), 'utf8');
  } catch {
    return;
  }
  const owner = ownerOf(text);
  if (owner === undefined || owner.pid === process.pid || !alive(owner.pid)) return;
  // An owner file written without a start time (by an older version, or without /proc) is taken on its pid alone.
  if (owner.started !== undefined) {
    const started = startTimeOf(owner.pid);
    if (started !== undefined && started !== owner.started) return;
  }
  throw lockedError(dataDir, new Error(`held by process ${owner.pid}`));
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
  const key = path.resolve(dataDir);
  refuseKnownHolder(dataDir, key);
  const locked = kernelLock(dataDir, mode);
  const started = startTimeOf(process.pid);
  fs.writeFileSync(ownerFileOf(dataDir), `${process.pid}${started === undefined ? '' : ` ${started}`}\n`, { mode });
  heldHere.add(key);
  return {
    release: () => {
      heldHere.delete(key);
      fs.rmSync(ownerFileOf(dataDir), { force: true });
      locked.release();
    },
  };
}

function kernelLock(dataDir: string, mode: number): DirectoryLock {
  const file = lockFileOf(dataDir);
  // timeout 0: a held lock must fail now, not after the driver's default five seconds of retries.
  const db = new Database(file, { timeout: 0 });
  try {
    fs.chmodSync(file, mode);
    // The file holds an empty database and no journal beside it; locking_mode EXCLUSIVE keeps the lock the transaction
    // takes after its commit, until the connection closes.
    db.pragma('journal_mode = OFF');
    db.pragma('locking_mode = EXCLUSIVE');
    // A write, not an empty transaction: in exclusive locking mode SQLite keeps the exclusive lock once it has written;
    // an empty BEGIN EXCLUSIVE; COMMIT on an empty file was seen to leave the file unlocked for a second process.
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (at); DELETE FROM held; INSERT INTO held VALUES (1); COMMIT');
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
