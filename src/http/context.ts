// What the HTTP layer is given: the store, the projections and the keys; one instance per running service.
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Backups } from '../backup/backups.js';
import type { CheckpointSigner } from '../audit/checkpoints.js';
import type { KeyRing } from '../auth/keys.js';
import type { Config } from '../config.js';
import type { ExportScheduler } from '../exports/schedules/scheduler.js';
import type { ExportSources } from '../exports/sources.js';
import type { AsOfTotals } from '../projections/runtime/asOf.js';
import type { ScratchPool } from '../runtime/scratch.js';
import type { ProjectionRunner } from '../projections/runtime/runner.js';
import type { AppendedEvents } from '../store/appendedEvents.js';
import type { EventStore } from '../store/port.js';

export interface LedgerContext {
  readonly config: Config;
  readonly store: EventStore;
  readonly projections: ProjectionRunner;
  readonly keys: KeyRing;
  readonly logger: Logger;
  /** Totals at past moments (`asOf`), rebuilt from history and cached; shared with the exports. */
  readonly pastTotals: AsOfTotals;
  /** Arrays past states and totals queries hand back for the next to reuse; emptied when heavy work stops. */
  readonly scratch: ScratchPool;
  /** The clock: ISO 8601 instant; tests may fix it. */
  readonly now: () => string;
  /** CSV exports: the live read models they read, and the scheduled exports (README "CSV"). */
  readonly exports: { readonly sources: ExportSources; readonly schedules: ExportScheduler };
  /** Signed checkpoints of the journal tree the projections keep (`projections.journal`), and the ledger's audit identity. */
  readonly checkpoints: CheckpointSigner;
  /** Online backups of the embedded store (README "Backups and restore"); none on EventStoreDB, which has its own. */
  readonly backups: Backups | undefined;
  /** The events this instance appended, by type, to any of its stores (the metrics read it). */
  readonly appended: AppendedEvents;
}
