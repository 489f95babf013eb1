// `ledger keys`: create, list and revoke API keys in the keys stream of the configured store (only their SHA-256 is stored).
import type { Command } from 'commander';
import { pino } from 'pino';
import { createApiKey, loadApiKeys, revokeApiKey, systemMetadata } from '../auth/keyCommands.js';
import { SCOPES, type ApiKeyRecord, type Scope } from '../auth/keys.js';
import { importKeysFile } from '../auth/keysFile.js';
import { openKeyStore } from '../auth/keyStore.js';
import { loadConfig } from '../config.js';
import { LedgerError } from '../domain/errors.js';
import { StoreLockedError, type EventStore } from '../store/port.js';

/** Recorded as the actor of the key events the command line writes. */
const CLI_ACTOR = 'cli';

function parseScopes(text: string): Scope[] {
  const scopes = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new Error(
      `--scopes takes a comma-separated list of ${SCOPES.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`,
    );
  }
  return scopes as Scope[];
}

/** Opens the keys stream's store with the service's configuration; a keys.json never imported is imported first. */
async function withKeys<T>(dataDir: string, run: (store: EventStore) => Promise<T>): Promise<T> {
  const config = loadConfig({ ...process.env, DATA_DIR: dataDir });
  const logger = pino({ level: 'warn' }, process.stderr);
  let keyStore;
  try {
    keyStore = await openKeyStore(config, logger);
  } catch (error) {
    if (error instanceof StoreLockedError) {
      throw new Error(
        `${error.message}: the service holds the embedded store while it runs; stop it, or manage keys over HTTP (POST /admin/keys) ` +
          `with an admin key`,
      );
    }
    throw error;
  }
  try {
    await importKeysFile(keyStore.store, dataDir, systemMetadata(CLI_ACTOR));
    return await run(keyStore.store);
  } catch (error) {
    // Domain errors (a name taken, a key already revoked) are the answer; their class name is noise on a terminal.
    if (error instanceof LedgerError)
      throw new Error(
        `${error.message}${error.errors.length > 0 ? ` (${error.errors.map((e) => `${e.field}: ${e.message}`).join('; ')})` : ''}`,
      );
    throw error;
  } finally {
    await keyStore.close();
  }
}

function line(record: ApiKeyRecord): string {
  const state = record.revokedAt === undefined ? 'active' : `revoked ${record.revokedAt}`;
  return `${record.name}\t${record.scopes.join(',')}\t${record.createdAt}\t${state}\n`;
}

export function registerKeysCommands(program: Command, dataDirOf: () => string): void {
  const keys = program.command('keys').description('manage API keys (only their SHA-256 is stored, in the keys stream of the event store)');

  keys
    .command('create')
    .description('create a key and print it once')
    .requiredOption('--name <name>', 'who holds the key; recorded as the actor of every event it writes')
    .requiredOption('--scopes <scopes>', `comma-separated: ${SCOPES.join(', ')}`)
    .action(async (options: { name: string; scopes: string }) => {
      const scopes = parseScopes(options.scopes);
      const { key } = await withKeys(dataDirOf(), (store) =>
        createApiKey(store, { name: options.name, scopes }, systemMetadata(CLI_ACTOR)),
      );
      process.stdout.write(`${key}\n`);
      process.stderr.write(`created key "${options.name}" (${scopes.join(',')}); store it now: it cannot be shown again\n`);
    });

  keys
    .command('list')
    .description('list keys (names, scopes, dates; never the keys)')
    .action(async () => {
      const { state } = await withKeys(dataDirOf(), loadApiKeys);
      for (const record of state.keys) process.stdout.write(line(record));
    });

  keys
    .command('revoke')
    .description('revoke a key by name')
    .requiredOption('--name <name>', 'the key to revoke')
    .action(async (options: { name: string }) => {
      await withKeys(dataDirOf(), (store) => revokeApiKey(store, options.name, systemMetadata(CLI_ACTOR)));
      process.stderr.write(`revoked key "${options.name}"\n`);
    });
}
