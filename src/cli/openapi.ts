// Renders openapi.yaml from the running app's routes and zod schemas, on a throw-away data directory.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../config.js';
import { startLedger } from '../ledger.js';

/**
 * The OpenAPI document as YAML. Only DATA_DIR is configured (nothing read from the environment), so the same code
 * always renders the same text: the document holds no timestamps, paths follow route registration and components
 * are sorted by name.
 */
export async function renderOpenApi(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'funding-ledger-openapi-'));
  try {
    const ledger = await startLedger(loadConfig({ DATA_DIR: dataDir }), pino({ level: 'silent' }));
    try {
      await ledger.app.ready();
      return ledger.app.swagger({ yaml: true });
    } finally {
      await ledger.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
