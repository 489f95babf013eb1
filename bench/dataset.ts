// The ledger under test: generated once per size, seed and generator version with `ledger generate`, cached under
// the temp dir, and copied into a fresh data dir for each run (the run writes to it).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runToEnd, spawnChild } from './children.js';
import { CACHE_ROOT, CLI_ENTRY, REPO_ROOT } from './paths.js';

export interface Dataset {
  readonly dir: string;
  readonly announcements: number;
  readonly seed: number;
  readonly events: number;
  readonly streams: number;
  readonly generateSeconds: number;
  readonly generateEventsPerSecond: number;
  /** False when this run generated it. */
  readonly cached: boolean;
}

const DATABASE = 'events.sqlite';

/** The sources that decide what `generate` writes: a change to any of them makes the cached ledgers stale. */
const GENERATOR_SOURCES = [
  'src/synthetic/history.ts',
  'src/commands/envelope.ts',
  'src/store/embedded.ts',
  'src/audit/chain.ts',
  'src/cli/generate.ts',
];

function generatorFingerprint(): string {
  const hash = createHash('sha256');
  for (const file of GENERATOR_SOURCES) {
    const full = path.join(REPO_ROOT, file);
    hash.update(file).update(existsSync(full) ? readFileSync(full) : '');
  }
  return hash.digest('hex').slice(0, 12);
}

interface Meta extends Omit<Dataset, 'dir' | 'cached'> {
  readonly fingerprint: string;
}

export async function cachedLedger(
  options: { announcements: number; seed: number; fresh: boolean },
  log: (line: string) => void,
): Promise<Dataset> {
  const dir = path.join(CACHE_ROOT, `ledger-${options.announcements}-seed${options.seed}`);
  const metaFile = path.join(dir, 'meta.json');
  const fingerprint = generatorFingerprint();
  if (!options.fresh && existsSync(metaFile) && existsSync(path.join(dir, DATABASE))) {
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Meta;
    if (meta.fingerprint === fingerprint) return { ...meta, dir, cached: true };
    log(`the generator changed since ${dir} was written: regenerating`);
  }
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  log(`generating ${options.announcements} announcements (seed ${options.seed}) into ${dir}`);
  const timeoutMs = Math.max(300_000, options.announcements * 2);
  const args = [
    CLI_ENTRY,
    '--data-dir',
    partial,
    'generate',
    '--announcements',
    String(options.announcements),
    '--seed',
    String(options.seed),
  ];
  const { stdout } = await runToEnd(spawnChild(process.execPath, args), 'ledger generate', timeoutMs);
  const match = /wrote (\d+) events in (\d+) streams in ([\d.]+) s \((\d+) events\/s\)/.exec(stdout);
  if (!match) throw new Error(`ledger generate printed no summary: ${stdout.slice(-300)}`);
  const meta: Meta = {
    announcements: options.announcements,
    seed: options.seed,
    events: Number(match[1]),
    streams: Number(match[2]),
    generateSeconds: Number(match[3]),
    generateEventsPerSecond: Number(match[4]),
    fingerprint,
  };
  writeFileSync(path.join(partial, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(partial, dir);
  return { ...meta, dir, cached: false };
}

/** A fresh data dir holding a copy of the ledger's events and nothing else (no keys, no snapshot). */
export function workingCopy(dataset: Dataset, workDir: string): string {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  copyFileSync(path.join(dataset.dir, DATABASE), path.join(workDir, DATABASE));
  return workDir;
}
