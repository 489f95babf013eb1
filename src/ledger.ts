// Assembles a running ledger: store, keys, projections and the HTTP app; closes them in the right order.
import path from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Logger } from 'pino';
import { CheckpointSigner, openAuditIdentity } from './audit/checkpoints.js';
import { openApiKeys, type ApiKeys } from './auth/apiKeys.js';
import { backupDirectoryOf, Backups, hasOnlineBackup } from './backup/backups.js';
import { BackupScheduler } from './backup/scheduler.js';
import type { Config } from './config.js';
import { liveSources } from './exports/live.js';
import { loadExportSchedules } from './exports/schedules/config.js';
import { journalCheckpoints } from './exports/schedules/checkpoint.js';
import { ExportScheduler } from './exports/schedules/scheduler.js';
import { openScheduleStore } from './exports/schedules/store.js';
import { buildApp } from './http/app.js';
import type { LedgerContext } from './http/context.js';
import { PROJECTIONS } from './projections/runtime/all.js';
import { ProjectionRunner } from './projections/runtime/runner.js';
import { AsOfTotals } from './projections/runtime/asOf.js';
import { ScratchPool } from './runtime/scratch.js';
import { AsOfCheckpoints } from './projections/storage/asOfCheckpoints.js';
import { TotalsHistory } from './projections/history/totalsHistory.js';
import { publicMessage } from './domain/publicMessage.js';
import { runInSlices } from './runtime/timeSlice.js';
import { totalsProjection } from './projections/models/totals/projection.js';
import type { TotalsState } from './projections/models/totals/state.js';
import { releaseStartupGarbage } from './projections/runtime/releaseMemory.js';
import { restoreFromSnapshot, Snapshotter } from './projections/runtime/snapshotting.js';
import { AppendedEvents } from './store/appendedEvents.js';
import { openEmbeddedStore } from './store/embedded.js';
import { openEventStoreDb } from './store/eventStoreDb.js';
import type { EventStore } from './store/port.js';

/** Past-totals rebuilds leave a checkpoint (in <DATA_DIR>/asof) every this many events they fold. */
const AS_OF_CHECKPOINT_EVERY_EVENTS = 100_000;

export interface Ledger {
  readonly app: FastifyInstance;
  readonly context: LedgerContext;
  /** Stops the export schedules (a run in progress finishes), the HTTP server, then the projections, then the store. */
  close(): Promise<void>;
}

/** Opens the configured event store; the service and every CLI command go through here. */
export async function openStore(config: Config, logger: Logger): Promise<EventStore> {
  switch (config.eventStore) {
    case 'embedded':
      return openEmbeddedStore({ dataDir: config.dataDir, logger });
    case 'eventstoredb':
      // The configuration schema makes the connection string required for this store.
      return openEventStoreDb({ connectionString: config.eventStoreConnectionString ?? '', logger });
  }
}

export async function startLedger(
  config: Config,
  logger: Logger,
  options: { now?: () => string; http?: Pick<FastifyServerOptions, 'requestTimeout' | 'keepAliveTimeout'> } = {},
): Promise<Ledger> {
  // Before the store opens: a bad schedules file stops start-up at once, naming the schedule and the field.
  const schedules = loadExportSchedules(config.exportSchedulesFile, config.dataDir);
  // So is a signing key that cannot be read or made: checkpoints are what an outside auditor holds the ledger to.
  const auditIdentity = openAuditIdentity(config);
  // Every store this ledger writes to is metered here, so the metrics count each event appended exactly once.
  const appended = new AppendedEvents();
  const store = appended.meter(await openStore(config, logger));
  let apiKeys: ApiKeys | undefined;
  let history: TotalsHistory | undefined;
  try {
    apiKeys = await openApiKeys(config, logger, store, options.now, (keys) => appended.meter(keys));
    const keys = apiKeys.ring;
    if (apiKeys.adminKeyFile !== undefined) {
      logger.warn(
        { path: apiKeys.adminKeyFile },
        'no API keys existed: created an admin key and wrote it to this file (readable by its owner only)',
      );
    }
    const projections = new ProjectionRunner(store, PROJECTIONS, logger);
    history = TotalsHistory.open(path.join(config.dataDir, 'history'), logger, config.historyBaseEveryEvents);
    const recorded = history;
    // A snapshot is used only with a history that reaches it: otherwise every event is folded again, rebuilding both.
    await restoreFromSnapshot(projections, store, config.dataDir, logger, (snapshot) =>
      recorded.alignTo(snapshot.events, snapshot.position)
        ? undefined
        : 'the history of the totals (DATA_DIR/history) does not reach the snapshot; every event is folded again to rebuild it',
    );
    if (projections.position === undefined) recorded.reset();
    const liveTotals = (): TotalsState => projections.stateOf(totalsProjection);
    recorded.attach(liveTotals());
    projections.onAdvance((_, event) => recorded.eventFolded(event, liveTotals()));
    const snapshots = new Snapshotter(projections, config.dataDir, config.snapshotEveryEvents, logger, () => recorded.flush());
    // One cache of past totals for the API and the exports; its checkpoints are a cache too (safe to delete).
    const scratch = new ScratchPool();
    const pastTotals = new AsOfTotals(
      store,
      { checkpoints: new AsOfCheckpoints(path.join(config.dataDir, 'asof'), logger), everyEvents: AS_OF_CHECKPOINT_EVERY_EVENTS },
      config.cacheBytes.asOf,
      { history: recorded, live: liveTotals, scratch },
    );
    const exportSources = liveSources(store, projections, pastTotals);
    const checkpoints = new CheckpointSigner(auditIdentity, () => projections.journal.tree);
    const exportSchedules = new ExportScheduler(schedules, exportSources, logger, {
      store: () => {
        const scheduleStore = openScheduleStore(config, logger, store);
        return { store: appended.meter(scheduleStore.store), close: () => scheduleStore.close() };
      },
      checkpoints: journalCheckpoints(projections, checkpoints),
    });
    const now = options.now ?? (() => new Date().toISOString());
    const keyStore = apiKeys.store;
    // Only the embedded store copies itself; EventStoreDB is backed up with the server's own tools.
    const backups =
      hasOnlineBackup(store) && hasOnlineBackup(keyStore)
        ? new Backups({
            events: store,
            keys: keyStore,
            directory: backupDirectoryOf(config.dataDir),
            keep: config.backup.keep,
            now,
            logger,
          })
        : undefined;
    const backupSchedule = new BackupScheduler(config.backup.schedule, backups, logger);
    const context: LedgerContext = {
      config,
      store,
      projections,
      keys,
      logger,
      now,
      pastTotals,
      scratch,
      exports: { sources: exportSources, schedules: exportSchedules },
      checkpoints,
      backups,
      appended,
    };
    await projections.start();
    releaseStartupGarbage();
    snapshots.start();
    // Every block and base of the history checked once, in slices beside the requests, so no as-of answer pays for it.
    void runInSlices(recorded.checkAll()).catch((error: unknown) =>
      logger.warn({ reason: publicMessage(error) }, 'the history of the totals could not be checked'),
    );
    const app = await buildApp(context, options.http);
    exportSchedules.start();
    backupSchedule.start();
    return {
      app,
      context,
      async close() {
        await exportSchedules.stop();
        await backupSchedule.stop();
        await app.close();
        await projections.stop();
        snapshots.stop();
        history?.close();
        await apiKeys?.close();
        await store.close();
      },
    };
  } catch (error) {
    history?.close();
    await apiKeys?.close();
    await store.close();
    throw error;
  }
}
