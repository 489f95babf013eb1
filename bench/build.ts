// dist/ is what the service and the CLI run from: rebuilt before measuring when src/ changed since the last build.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { runToEnd, spawnChild, tail } from './children.js';
import { REPO_ROOT, SERVER_ENTRY } from './paths.js';

export interface BuildReport {
  readonly rebuilt: boolean;
  readonly seconds: number;
  /** tsc's complaints; it emits anyway, so the run goes on with what it wrote. */
  readonly errors?: string;
}

function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(full) : statSync(full).mtimeMs);
  }
  return newest;
}

function isStale(): boolean {
  try {
    return newestMtimeMs(path.join(REPO_ROOT, 'src')) > statSync(SERVER_ENTRY).mtimeMs;
  } catch {
    return true;
  }
}

export async function ensureBuilt(mode: 'auto' | 'always' | 'never'): Promise<BuildReport> {
  if (mode === 'never' || (mode === 'auto' && !isStale())) return { rebuilt: false, seconds: 0 };
  const started = performance.now();
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    await runToEnd(spawnChild(process.execPath, [tsc, '-p', 'tsconfig.build.json']), 'tsc -p tsconfig.build.json', 300_000);
    return { rebuilt: true, seconds: Math.round(performance.now() - started) / 1000 };
  } catch (error) {
    statSync(SERVER_ENTRY); // Nothing to run at all: let that stop the bench.
    return {
      rebuilt: true,
      seconds: Math.round(performance.now() - started) / 1000,
      errors: tail(error instanceof Error ? error.message : String(error), 8),
    };
  }
}
