// The service's API keys at start-up: the keys store opened, a legacy keys.json imported, the ledger's first (admin)
// key created once per ledger, and the KeyRing that authenticates requests.
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { EventStore } from '../store/port.js';
import { createFirstKey, systemMetadata } from './keyCommands.js';
import { adminKeyPath, KeyRing } from './keys.js';
import { importKeysFile, importedKeysFilePath } from './keysFile.js';
import { openKeyStore } from './keyStore.js';

/** Recorded as the actor of the key events the service writes by itself (import, the first key). */
export const SERVICE_ACTOR = 'ledger';

export interface ApiKeys {
  readonly ring: KeyRing;
  /** Path of the admin key file this start wrote, when it created the ledger's first key. */
  readonly adminKeyFile: string | undefined;
  /** The store the keys stream is in: the ledger's own on EventStoreDB, DATA_DIR/keys on the embedded store. */
  readonly store: EventStore;
  close(): Promise<void>;
}

function writePrivately(path: string, contents: string): void {
  const fd = openSync(path, 'w', 0o600);
  try {
    writeSync(fd, contents);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(path, 0o600);
}

export async function openApiKeys(
  config: Config,
  logger: Logger,
  ledgerStore: EventStore,
  now: () => string = () => new Date().toISOString(),
  /** Wraps the keys' store before anything writes to it: the ledger counts the events appended (AppendedEvents). */
  meter: (store: EventStore) => EventStore = (store) => store,
): Promise<ApiKeys> {
  // 0700, as the embedded store makes it: with EVENT_STORE=eventstoredb the keys may be first to create DATA_DIR.
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const keyStore = await openKeyStore(config, logger, ledgerStore);
  try {
    const store = meter(keyStore.store);
    const imported = await importKeysFile(store, config.dataDir, systemMetadata(SERVICE_ACTOR, now()));
    if (imported !== undefined) {
      logger.info(
        { imported: imported.imported.length, renamedTo: importedKeysFilePath(config.dataDir) },
        'imported keys.json into the keys stream; the file is no longer read',
      );
      for (const record of imported.clashing) {
        logger.warn({ name: record.name }, 'keys.json held an active key whose name another active key already has: it was not imported');
      }
    }
    const adminKeyFile = adminKeyPath(config.dataDir);
    const pending = `${adminKeyFile}.${process.pid}.pending`;
    // The key is on disk before it can work, and becomes admin.key only once the store holds it.
    const created = await createFirstKey(store, systemMetadata(SERVICE_ACTOR, now()), (key) => writePrivately(pending, `${key}\n`));
    if (created === undefined) rmSync(pending, { force: true });
    else renameSync(pending, adminKeyFile);
    const ring = new KeyRing(store, { logger });
    await ring.start();
    return {
      ring,
      adminKeyFile: created === undefined ? undefined : adminKeyFile,
      store,
      async close() {
        ring.close();
        await keyStore.close();
      },
    };
  } catch (error) {
    await keyStore.close();
    throw error;
  }
}
