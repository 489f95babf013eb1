// Totals saved every so many events while past totals are rebuilt, so the next rebuild starts from the nearest one.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { EventStore, Position, RecordedEvent } from '../../store/port.js';
import { comparePositions } from '../../store/position.js';
import { totalsProjection } from '../models/totals/projection.js';
import type { StoredTotals } from '../models/totals/stored.js';
import type { TotalsState } from '../models/totals/state.js';
import { writeChecksummedFile } from './checksummedFile.js';

/** Bump when the totals' stored form changes: older checkpoints are then ignored. */
const CHECKPOINT_FORMAT = 4;

export interface Checkpoint {
  readonly position: Position;
  /** The latest recordedAt of any event up to `position`: the checkpoint serves a time moment at or after it. */
  readonly latestRecordedAt: string;
  readonly state: TotalsState;
}

interface CheckpointFile {
  readonly format: number;
  readonly position: Position;
  readonly lastEvent: { readonly stream: string; readonly revision: bigint; readonly hash: string };
  readonly latestRecordedAt: string;
  readonly totals: StoredTotals;
}

/**
 * Checkpoints in `<dir>/<commit>.v8`, each the totals right after the event at that position, ending with the SHA-256 of
 * its bytes. A checkpoint is a cache: it is used only when intact and when the event it names is still in the store
 * as recorded (a store replaced or restored from a backup cannot lend it wrong totals), and deleting them is safe.
 */
export class AsOfCheckpoints {
  private readonly known = new Map<bigint, string>();
  /** Checkpoints taken but not yet on disk. */
  private readonly writing = new Set<bigint>();
  private written: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly logger?: { warn(fields: object, message: string): void },
  ) {
    // Owner-only, like every file under DATA_DIR (README "Durability").
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(dir)) {
      const match = /^(\d+)\.v8$/.exec(name);
      if (match !== null) this.known.set(BigInt(match[1] as string), join(dir, name));
    }
  }

  has(position: Position): boolean {
    return this.known.has(position.commit) || this.writing.has(position.commit);
  }

  /**
   * Takes the totals right after `event` (`latestRecordedAt` is the latest recordedAt of any event up to it). The
   * state is copied now, since the caller goes on folding into it; it is serialised, hashed and written in a later
   * turn, so the request that passed this point is answered without waiting for the disk (a quarter of a second at
   * a million events). A checkpoint is a cache: one that cannot be written is logged and left out.
   */
  save(event: RecordedEvent, latestRecordedAt: string, state: TotalsState): void {
    const hash = event.metadata.hash;
    const commit = event.position.commit;
    if (typeof hash !== 'string' || this.has(event.position)) return;
    const file: CheckpointFile = {
      format: CHECKPOINT_FORMAT,
      position: event.position,
      lastEvent: { stream: event.stream, revision: event.revision, hash },
      latestRecordedAt,
      totals: totalsProjection.snapshot.store(state),
    };
    this.writing.add(commit);
    this.written = this.written
      .then(() => new Promise((resolve) => setImmediate(resolve)))
      .then(() => void this.known.set(commit, this.write(commit, file)))
      .catch((error: unknown) => this.logger?.warn({ err: error, position: String(commit) }, 'as-of checkpoint not written'))
      .finally(() => void this.writing.delete(commit));
  }

  /** Resolves once every checkpoint taken so far is written (or given up). */
  flushed(): Promise<void> {
    return this.written;
  }

  private write(commit: bigint, file: CheckpointFile): string {
    const body = serialize(file);
    const path = join(this.dir, `${commit}.v8`);
    // A checkpoint is a cache, rebuilt later: written without fsync, and a failed write leaves nothing behind.
    writeChecksummedFile(path, body, { sync: false });
    return path;
  }

  /** The latest usable checkpoint at or before the position (or the time); undefined when there is none. */
  async latestBefore(store: EventStore, limit: { position: Position } | { time: number }): Promise<Checkpoint | undefined> {
    const commits = [...this.known.keys()].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
    for (const commit of commits) {
      if ('position' in limit && commit > limit.position.commit) continue;
      const file = this.read(commit);
      if (file === undefined) continue;
      if ('position' in limit && comparePositions(file.position, limit.position) > 0) continue;
      if ('time' in limit && Date.parse(file.latestRecordedAt) > limit.time) continue;
      if (!(await stillRecorded(store, file))) continue;
      return { position: file.position, latestRecordedAt: file.latestRecordedAt, state: totalsProjection.snapshot.restore(file.totals) };
    }
    return undefined;
  }

  private read(commit: bigint): CheckpointFile | undefined {
    try {
      const bytes = readFileSync(this.known.get(commit) as string);
      const body = bytes.subarray(0, bytes.length - 32);
      if (
        bytes.length < 33 ||
        !createHash('sha256')
          .update(body)
          .digest()
          .equals(bytes.subarray(bytes.length - 32))
      )
        return undefined;
      const file = deserialize(body) as CheckpointFile;
      return file.format === CHECKPOINT_FORMAT ? file : undefined;
    } catch {
      return undefined;
    }
  }
}

async function stillRecorded(store: EventStore, file: CheckpointFile): Promise<boolean> {
  for await (const event of store.readStream(file.lastEvent.stream, { fromRevision: file.lastEvent.revision, limit: 1 })) {
    return event.metadata.hash === file.lastEvent.hash && comparePositions(event.position, file.position) === 0;
  }
  return false;
}
