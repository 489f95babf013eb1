// Where the bench finds the built service and CLI, its own child scripts, and its caches.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BENCH_DIR = path.join(REPO_ROOT, 'bench');
export const SERVER_ENTRY = path.join(REPO_ROOT, 'dist', 'server.js');
export const CLI_ENTRY = path.join(REPO_ROOT, 'dist', 'cli', 'index.js');
/** Generated ledgers, kept between runs, and each run's working copy. */
export const CACHE_ROOT = path.join(os.tmpdir(), 'funding-ledger-bench');

/** A bench child script (TypeScript, run through tsx). */
export function benchScript(relative: string): string {
  return path.join(BENCH_DIR, relative);
}
