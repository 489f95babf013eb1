// Online backups of the embedded store: the events and the API keys copied through the stores' own connections while
// the service writes, each copy sealed, hashed and described in a manifest, then the oldest beyond BACKUP_KEEP removed.
import { chmod, mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Logger } from 'pino';
import { LedgerError } from '../domain/errors.js';
import { writeTextFile } from '../exports/file.js';
import { storeFailureOf } from '../store/embeddedFailures.js';
import { StoreFullError, type EventStore } from '../store/port.js';
import { backupManifestSchema, type BackupManifest } from '../schemas/backups.js';
import { contentsOfCopy, sealCopy, sha256OfFile } from './manifest.js';

/** A store that can copy itself while it runs (the embedded store); EventStoreDB has its own backup. */
export interface OnlineBackup {
  backup(destination: string): Promise<void>;
}

export function hasOnlineBackup(store: EventStore): store is EventStore & OnlineBackup {
  return typeof (store as Partial<OnlineBackup>).backup === 'function';
}

/** Backups are asked of a store that has none of its own making (EventStoreDB): 501, naming what to use instead. */
export class BackupNotSupportedError extends LedgerError {
  override readonly name = 'BackupNotSupportedError';
  readonly status = 501;
  readonly title = 'Not implemented';
}

/** The disk under DATA_DIR/backups filled up during a backup: its partial files are removed, nothing else is touched (507). */
export class BackupDiskFullError extends LedgerError {
  override readonly name = 'BackupDiskFullError';
  readonly status = 507;
  readonly title = 'Insufficient storage';
}

export const BACKUP_DIRECTORY_MODE = 0o700;
export const BACKUP_FILE_MODE = 0o600;

export function backupDirectoryOf(dataDir: string): string {
  return join(dataDir, 'backups');
}

export interface BackupsOptions {
  readonly events: OnlineBackup;
  readonly keys: OnlineBackup;
  /** DATA_DIR/backups. */
  readonly directory: string;
  /** How many backups to keep; the oldest beyond are removed after each good one. */
  readonly keep: number;
  readonly now: () => string;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}

/** `2026-11-25T06:00:00.123Z` as `20261125T060000.123Z`: sorts as the instant does, and no colon in a file name. */
function stampOf(instant: string): string {
  return instant.replace(/[-:]/g, '');
}

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } catch (_error) {
    // A directory cannot be fsynced on every platform; the files in it already are.
  } finally {
    await handle.close();
  }
}

export class Backups {
  /** Backups run one after another: a second request waits for the first rather than copying the same pages twice at once. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: BackupsOptions) {}

  take(): Promise<BackupManifest> {
    const taken = this.queue.then(() => this.takeNow());
    this.queue = taken.catch(() => undefined);
    return taken;
  }

  private async takeNow(): Promise<BackupManifest> {
    const { directory } = this.options;
    await mkdir(directory, { recursive: true, mode: BACKUP_DIRECTORY_MODE });
    await chmod(directory, BACKUP_DIRECTORY_MODE);
    const createdAt = this.options.now();
    const base = this.freeBaseName(stampOf(createdAt));
    const eventsFile = `events-${base}.sqlite`;
    const keysFile = `keys-${base}.sqlite`;
    const temps = [join(directory, `${eventsFile}.tmp`), join(directory, `${keysFile}.tmp`)] as const;
    const finals = [join(directory, eventsFile), join(directory, keysFile)] as const;
    let sealed = false;
    try {
      await this.copy(this.options.events, temps[0]);
      await this.copy(this.options.keys, temps[1]);
      // Everything in the manifest is read from the copies, so it vouches for what was written, not for the live store.
      const contents = contentsOfCopy(temps[0]);
      const manifest: BackupManifest = {
        file: eventsFile,
        sha256: await sha256OfFile(temps[0]),
        events: contents.events,
        lastPosition: contents.lastPosition,
        createdAt,
        keys: { file: keysFile, sha256: await sha256OfFile(temps[1]) },
      };
      await rename(temps[0], finals[0]);
      await rename(temps[1], finals[1]);
      // The manifest last: a copy with its manifest beside it is complete.
      await writeTextFile(join(directory, `events-${base}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
      sealed = true;
      this.options.logger.info({ file: eventsFile, events: manifest.events, lastPosition: manifest.lastPosition }, 'backup written');
      await this.prune();
      return manifest;
    } catch (error) {
      // Copies without their manifest go too (the manifest could not be written): nothing of this backup is left.
      if (!sealed) await Promise.all([...temps, ...finals].map((file) => rm(file, { force: true })));
      // The store's own reading of a full disk (SQLITE_FULL, ENOSPC, EDQUOT), not a second list of codes.
      if (storeFailureOf(error, directory) instanceof StoreFullError) {
        // The client's answer names no server path; the log has the error itself.
        this.options.logger.warn({ directory, reason: (error as Error).message }, 'backup not kept: the disk is full');
        throw new BackupDiskFullError(
          'the disk holding the backups is full: the backup was not kept (its partial files are removed); free space and try again',
        );
      }
      throw error;
    }
  }

  /** The instant's stamp, or with a counter when a backup of that instant exists already (a fixed clock). */
  private freeBaseName(stamp: string): string {
    for (let n = 0; ; n += 1) {
      const base = n === 0 ? stamp : `${stamp}-${n}`;
      if (
        !existsSync(join(this.options.directory, `events-${base}.json`)) &&
        !existsSync(join(this.options.directory, `events-${base}.sqlite`))
      )
        return base;
    }
  }

  private async copy(store: OnlineBackup, temp: string): Promise<void> {
    await rm(temp, { force: true });
    // Created 0600 before SQLite writes into it, so the copy is never readable by others, even for a moment.
    await (await open(temp, 'w', BACKUP_FILE_MODE)).close();
    await chmod(temp, BACKUP_FILE_MODE);
    await store.backup(temp);
    sealCopy(temp);
    await syncPath(temp);
  }

  /** Removes the oldest backups beyond `keep`: their copies first, the manifest last, so an interrupted removal is finished next time. */
  private async prune(): Promise<void> {
    const { directory, keep } = this.options;
    const manifests: { name: string; manifest: BackupManifest }[] = [];
    for (const name of await readdir(directory)) {
      if (!/^events-.*\.json$/.test(name)) continue;
      const parsed = backupManifestSchema.safeParse(await readFile(join(directory, name), 'utf8').then(JSON.parse, () => undefined));
      if (parsed.success) manifests.push({ name, manifest: parsed.data });
    }
    manifests.sort((a, b) => a.manifest.createdAt.localeCompare(b.manifest.createdAt) || a.name.localeCompare(b.name));
    for (const { name, manifest } of manifests.slice(0, Math.max(0, manifests.length - keep))) {
      await rm(join(directory, basename(manifest.file)), { force: true });
      await rm(join(directory, basename(manifest.keys.file)), { force: true });
      await rm(join(directory, name), { force: true });
      this.options.logger.info({ file: manifest.file }, 'old backup removed (BACKUP_KEEP)');
    }
  }
}
