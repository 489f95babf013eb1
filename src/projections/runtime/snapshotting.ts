// When snapshots are taken and used: restored before the runner starts, saved every N events and at shutdown.
import type { Logger } from 'pino';
import { publicMessage } from '../../domain/publicMessage.js';
import type { EventStore, Position } from '../../store/port.js';
import { comparePositions, formatPosition } from '../../store/position.js';
import type { ProjectionRunner } from './runner.js';
import { loadSnapshot, saveSnapshot } from '../storage/snapshot.js';

/** Restores the runner from a usable snapshot; a missing, stale or corrupt one is ignored (and the reason logged). */
export async function restoreFromSnapshot(
  runner: ProjectionRunner,
  store: EventStore,
  dataDir: string,
  logger: Logger,
  /** What else must agree with the snapshot (the history of the totals): a reason when it does not. */
  check: (snapshot: { readonly position: Position; readonly events: number }) => string | undefined = () => undefined,
): Promise<void> {
  const started = performance.now();
  const verdict = await loadSnapshot(dataDir, store);
  const reason = verdict.usable ? check({ position: verdict.snapshot.position, events: verdict.snapshot.journal.size }) : verdict.reason;
  if (!verdict.usable || reason !== undefined) {
    const level = reason === 'no snapshot' ? 'info' : 'warn';
    logger[level]({ reason }, 'projections start from the first event');
    return;
  }
  runner.restore(verdict.snapshot.position, verdict.snapshot.states, verdict.snapshot.journal);
  logger.info(
    { position: formatPosition(verdict.snapshot.position), savedAt: verdict.snapshot.savedAt, ms: Math.round(performance.now() - started) },
    'projections restored from a snapshot',
  );
}

export class Snapshotter {
  private sinceLast = 0;
  private scheduled = false;
  private unsubscribe: () => void = () => undefined;
  private savedAt: Position | undefined;

  constructor(
    private readonly runner: ProjectionRunner,
    private readonly dataDir: string,
    private readonly everyEvents: number,
    private readonly logger: Logger,
    /** Called before each save: what must reach the snapshot's position on disk first (the history of the totals). */
    private readonly beforeSave: () => void = () => undefined,
  ) {
    // A restored runner starts at its snapshot's position: nothing new to save until it moves on.
    this.savedAt = runner.position;
  }

  start(): void {
    if (this.everyEvents === 0) return;
    this.unsubscribe = this.runner.onAdvance(() => {
      this.sinceLast += 1;
      // Not while catching up: the projections cannot serve yet, and a save then only delays the moment they can.
      if (this.sinceLast < this.everyEvents || this.scheduled || !this.runner.ready) return;
      this.scheduled = true;
      // Not inside the fold: after the events being applied now, on the next turn of the event loop.
      setImmediate(() => {
        this.scheduled = false;
        this.save('periodic');
      });
    });
  }

  /** Saves when the projections moved since the last snapshot. Never throws: a snapshot is an optimisation. */
  save(why: 'periodic' | 'shutdown'): void {
    const position = this.runner.position;
    const last = this.runner.lastEvent;
    if (position === undefined || last === undefined || typeof last.metadata.hash !== 'string') return;
    // A tree still being hashed (or abandoned) does not cover the position: such a snapshot would never be usable.
    if (this.runner.journal.catchingUp || !this.runner.journal.endsWith(last)) {
      this.logger.warn({ why }, "projection snapshot not saved: the journal tree does not reach the projections' position");
      return;
    }
    if (this.savedAt !== undefined && comparePositions(position, this.savedAt) <= 0) return;
    const started = performance.now();
    try {
      this.beforeSave();
      saveSnapshot(this.dataDir, {
        position,
        lastEvent: { stream: last.stream, revision: last.revision, hash: last.metadata.hash },
        states: this.runner.states,
        journal: this.runner.journal,
      });
      this.savedAt = position;
      this.sinceLast = 0;
      this.logger.info(
        { why, position: formatPosition(position), ms: Math.round(performance.now() - started) },
        'projection snapshot saved',
      );
    } catch (error) {
      // The next try comes after as many events again, not at every event while the disk stays full.
      this.sinceLast = 0;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        this.logger.warn(
          { why, reason: publicMessage(error) },
          'projection snapshot not saved: the disk is full; the previous snapshot stays usable, and a later save tries again',
        );
      } else {
        this.logger.error({ err: error }, 'projection snapshot could not be saved');
      }
    }
  }

  stop(): void {
    this.unsubscribe();
    this.save('shutdown');
  }
}
