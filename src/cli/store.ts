// Opening the configured event store from the command line, with the same configuration the service reads.
import { pino } from 'pino';
import { loadConfig, type Config } from '../config.js';
import { openStore } from '../ledger.js';
import type { EventStore } from '../store/port.js';

export async function withStore<T>(dataDir: string, run: (store: EventStore, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig({ ...process.env, DATA_DIR: dataDir });
  const store = await openStore(config, pino({ level: 'warn' }, process.stderr));
  try {
    return await run(store, config);
  } finally {
    await store.close();
  }
}
