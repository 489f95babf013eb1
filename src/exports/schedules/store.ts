// Where schedules record their slots and results: beside the ledger's streams on EventStoreDB (shared by every
// instance, outside the ledger's stream prefixes), and on the embedded store in a store of its own
// (<DATA_DIR>/schedules), so that export runs never move the ledger's positions or enter its journal.
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import { openEmbeddedStore } from '../../store/embedded.js';
import type { EventStore } from '../../store/port.js';

export interface ScheduleStore {
  readonly store: EventStore;
  /** Closes the store when it is the schedules' own; the ledger's is left to its owner. */
  close(): Promise<void>;
}

export function scheduleStoreDir(dataDir: string): string {
  return path.join(dataDir, 'schedules');
}

export function openScheduleStore(config: Pick<Config, 'eventStore' | 'dataDir'>, logger: Logger, ledgerStore: EventStore): ScheduleStore {
  switch (config.eventStore) {
    case 'embedded': {
      const store = openEmbeddedStore({ dataDir: scheduleStoreDir(config.dataDir), logger });
      return { store, close: () => store.close() };
    }
    case 'eventstoredb':
      return { store: ledgerStore, close: async () => undefined };
  }
}
