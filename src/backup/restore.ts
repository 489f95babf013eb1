// Lays a backup out as a data directory: the manifest and its hashes checked, the copy's hash chains walked, and only
// then the copies moved into a directory that holds no store, so the service started on it serves the backup's state.
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { ChainVerifier, type VerifyReport } from '../audit/verify.js';
import { keyStoreDir } from '../auth/keyStore.js';
import { embeddedDatabasePath } from '../store/embedded.js';
import { toRecordedEvent, type EventRow } from '../store/embeddedEvents.js';
import { BACKUP_DIRECTORY_MODE, BACKUP_FILE_MODE } from './backups.js';
import { backupManifestSchema, type BackupManifest } from '../schemas/backups.js';
import { manifestPathOf, sha256OfFile } from './manifest.js';

/** A backup that cannot be restored, or a place it must not be restored to; the message says which and why. */
export class RestoreRefusedError extends Error {
  override readonly name = 'RestoreRefusedError';
}

export interface RestoreReport {
  readonly dataDir: string;
  readonly events: number;
  readonly streams: number;
  readonly lastPosition: string;
  readonly createdAt: string;
}

async function readManifest(copy: string): Promise<BackupManifest> {
  const path = manifestPathOf(copy);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (_error) {
    throw new RestoreRefusedError(`${copy}: no manifest beside it (${path}); a backup is the copy and its manifest together`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (_error) {
    throw new RestoreRefusedError(`${path} is not JSON: the manifest is damaged`);
  }
  const parsed = backupManifestSchema.safeParse(json);
  if (!parsed.success)
    throw new RestoreRefusedError(
      `${path} is not a backup manifest (${parsed.error.issues.map((i) => `${i.path.join('.') || 'manifest'}: ${i.message}`).join('; ')})`,
    );
  if (parsed.data.file !== basename(copy)) throw new RestoreRefusedError(`${path} describes ${parsed.data.file}, not ${basename(copy)}`);
  return parsed.data;
}

async function checkHash(file: string, expected: string): Promise<void> {
  let actual: string;
  try {
    actual = await sha256OfFile(file);
  } catch (error) {
    throw new RestoreRefusedError(`${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  if (actual !== expected) {
    throw new RestoreRefusedError(`${file} is damaged: its SHA-256 is ${actual}, the manifest says ${expected}; restore another backup`);
  }
}

/** Opens a staged copy read-only and runs SQLite's own check of its pages; a damaged file is refused, not thrown raw. */
function withCopy<T>(file: string, read: (db: Database.Database) => T): T {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 0 });
    db.defaultSafeIntegers(true);
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new RestoreRefusedError(`${file} is damaged: SQLite's check found ${String(check)}`);
    return read(db);
  } catch (error) {
    if (error instanceof RestoreRefusedError) throw error;
    throw new RestoreRefusedError(`${file} is not a readable ledger store (${error instanceof Error ? error.message : String(error)})`);
  } finally {
    db?.close();
  }
}

/** Every event of the copy through the same chain checker `ledger audit verify` uses. */
function verifyChains(file: string): VerifyReport {
  return withCopy(file, (db) => {
    const verifier = new ChainVerifier();
    const rows = db
      .prepare<[], EventRow>('SELECT position, stream, revision, id, type, data, metadata FROM events ORDER BY position')
      .raw(true);
    for (const row of rows.iterate()) verifier.check(toRecordedEvent(row));
    return verifier.report();
  });
}

async function placePrivately(from: string, to: string): Promise<void> {
  await copyFile(from, to);
  await chmod(to, BACKUP_FILE_MODE);
  const handle = await open(to, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Restores the backup whose copy is `from` (its manifest beside it) into `dataDir`, which must hold no store. */
export async function restoreBackup(from: string, dataDir: string): Promise<RestoreReport> {
  if (!existsSync(from)) throw new RestoreRefusedError(`${from}: no such file`);
  const manifest = await readManifest(from);
  const keysCopy = join(dirname(from), basename(manifest.keys.file));
  await checkHash(from, manifest.sha256);
  await checkHash(keysCopy, manifest.keys.sha256);
  const eventsTarget = embeddedDatabasePath(dataDir);
  const keysTarget = embeddedDatabasePath(keyStoreDir(dataDir));
  for (const target of [eventsTarget, keysTarget]) {
    if (existsSync(target))
      throw new RestoreRefusedError(`${dataDir} already holds a store (${target}); restore into a new directory, never over a ledger`);
  }
  await mkdir(dataDir, { recursive: true, mode: BACKUP_DIRECTORY_MODE });
  await chmod(dataDir, BACKUP_DIRECTORY_MODE);
  // Staged inside the target, so the final renames cannot cross file systems; removed whatever happens.
  const staging = await mkdtemp(join(dataDir, '.restore-'));
  try {
    const stagedEvents = join(staging, 'events.sqlite');
    const stagedKeys = join(staging, 'keys.sqlite');
    await placePrivately(from, stagedEvents);
    await placePrivately(keysCopy, stagedKeys);
    const chains = verifyChains(stagedEvents);
    if (!chains.ok && chains.firstBreak !== undefined) {
      const broken = chains.firstBreak;
      throw new RestoreRefusedError(
        `${from}: hash chain broken at ${broken.stream} revision ${broken.revision} (position ${broken.position}): ${broken.problem}`,
      );
    }
    const lastPosition = chains.lastPosition ?? '0';
    if (chains.events !== manifest.events || lastPosition !== manifest.lastPosition) {
      throw new RestoreRefusedError(
        `${from} holds ${chains.events} events up to position ${lastPosition}; its manifest says ${manifest.events} up to ` +
          `${manifest.lastPosition}`,
      );
    }
    withCopy(stagedKeys, () => undefined);
    await mkdir(keyStoreDir(dataDir), { recursive: true, mode: BACKUP_DIRECTORY_MODE });
    await rename(stagedKeys, keysTarget);
    // The events last: a directory with events.sqlite in it is a restored ledger.
    await rename(stagedEvents, eventsTarget);
    return { dataDir, events: chains.events, streams: chains.streams, lastPosition, createdAt: manifest.createdAt };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
