// The key file of earlier versions (<DATA_DIR>/keys.json): imported once into the keys stream, then renamed.
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { importableKeys } from '../commands/apiKey/decide.js';
import { KEY_NAME_PATTERN, SCOPES, SHA256_PATTERN } from '../commands/apiKey/events.js';
import type { ApiKeyRecord } from '../commands/apiKey/state.js';
import type { CommandMetadata } from '../commands/envelope.js';
import type { EventStore } from '../store/port.js';
import { loadApiKeys, runKeyCommand } from './keyCommands.js';

const keyRecordSchema = z.object({
  name: z.string().regex(KEY_NAME_PATTERN),
  scopes: z.array(z.enum(SCOPES)).min(1),
  sha256: z.string().regex(SHA256_PATTERN),
  createdAt: z.string(),
  revokedAt: z.string().optional(),
});

const keysFileSchema = z.object({ keys: z.array(keyRecordSchema) });

export function keysFilePath(dataDir: string): string {
  return join(dataDir, 'keys.json');
}

/** Where an imported key file is moved: kept for reference, never read again. */
export function importedKeysFilePath(dataDir: string): string {
  return join(dataDir, 'keys.json.imported');
}

/** The legacy key file cannot be read or is not one: start-up stops with this message (server.ts). */
export class KeysFileError extends Error {
  override readonly name = 'KeysFileError';
}

/** The records of a key file, in its order; throws KeysFileError naming the file when it is not one. */
export function readKeysFile(path: string): ApiKeyRecord[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason =
      error instanceof SyntaxError
        ? `is not JSON (${error.message})`
        : `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`;
    throw new KeysFileError(`${path} ${reason}; fix or remove it (its keys are imported once, then it is renamed keys.json.imported)`, {
      cause: error,
    });
  }
  const parsed = keysFileSchema.safeParse(json);
  if (!parsed.success) throw new KeysFileError(`${path} is not a valid key file: ${parsed.error.message}`);
  return parsed.data.keys;
}

export interface KeysFileImport {
  /** Records added to the keys stream now. */
  readonly imported: readonly ApiKeyRecord[];
  /** Active records left out because another active key already has their name. */
  readonly clashing: readonly ApiKeyRecord[];
}

/**
 * Imports <DATA_DIR>/keys.json when there is one, then renames it keys.json.imported. Idempotent: a key whose SHA-256
 * the stream holds is not imported again (a second start, or a second instance with a copy of the file), and the
 * append expects the revision the decision was made on, so two instances importing at once cannot both add a key:
 * the one that loses decides again on what the other wrote, and finds nothing left to import.
 */
export async function importKeysFile(store: EventStore, dataDir: string, metadata: CommandMetadata): Promise<KeysFileImport | undefined> {
  const path = keysFilePath(dataDir);
  if (!existsSync(path)) return undefined;
  const records = readKeysFile(path);
  let imported: ApiKeyRecord[] = [];
  const { state } = await loadApiKeys(store);
  if (importableKeys(state, records).length > 0) {
    const result = await runKeyCommand(store, { type: 'ImportApiKeys', data: { keys: records } }, metadata);
    const created = new Set(result.events.flatMap((event) => (event.type === 'ApiKeyCreated' ? [event.data.sha256] : [])));
    imported = records.filter((record) => created.has(record.sha256));
  }
  const { state: after } = await loadApiKeys(store);
  const held = new Set(after.keys.map((key) => key.sha256));
  renameSync(path, importedKeysFilePath(dataDir));
  return { imported, clashing: records.filter((record) => !held.has(record.sha256)) };
}
