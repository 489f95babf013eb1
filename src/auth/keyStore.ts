// Where a ledger's API keys live: the `apikeys` stream, on EventStoreDB beside the ledger's streams, and on the embedded
// store in an embedded store of its own (<DATA_DIR>/keys), so that key changes never move the ledger's positions.
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { openEmbeddedStore } from '../store/embedded.js';
import { openEventStoreDb } from '../store/eventStoreDb.js';
import type { EventStore } from '../store/port.js';

export interface KeyStore {
  readonly store: EventStore;
  /** Closes the store when it is the keys' own; a store shared with the ledger is left to its owner. */
  close(): Promise<void>;
}

export function keyStoreDir(dataDir: string): string {
  return path.join(dataDir, 'keys');
}

/**
 * The store holding the keys stream. With EventStoreDB, `ledgerStore` (the service's connection) is shared when
 * given; without it (the CLI) a connection of its own is opened. The embedded keys store is held by one process at a
 * time, as the ledger's is.
 */
export async function openKeyStore(config: Config, logger: Logger, ledgerStore?: EventStore): Promise<KeyStore> {
  switch (config.eventStore) {
    case 'embedded': {
      const store = openEmbeddedStore({ dataDir: keyStoreDir(config.dataDir), logger });
      return { store, close: () => store.close() };
    }
    case 'eventstoredb': {
      if (ledgerStore !== undefined) return { store: ledgerStore, close: async () => undefined };
      const store = await openEventStoreDb({ connectionString: config.eventStoreConnectionString ?? '', logger });
      return { store, close: () => store.close() };
    }
  }
}
