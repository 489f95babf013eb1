// --cpu-prof: where each profiled process writes its profile, and the summaries of what they wrote.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { BENCH_DIR } from './paths.js';
import { summariseProfile, type ProfileSummary } from './profileSummary.js';

export interface Profiling {
  readonly dir: string;
  /** Node flags for the process profiled as `phase` (a directory of its own). */
  argsFor(phase: string): string[];
  summaries(): ProfileSummary[];
}

export function profiling(enabled: boolean, date: string): Profiling | undefined {
  if (!enabled) return undefined;
  const dir = path.join(BENCH_DIR, 'profiles', date.replace(/[:.]/g, '-'));
  return {
    dir,
    argsFor: (phase) => ['--cpu-prof', '--cpu-prof-dir', path.join(dir, phase)],
    summaries() {
      if (!existsSync(dir)) return [];
      return readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.cpuprofile'))
        .sort()
        .map((file) => summariseProfile(path.join(dir, file)));
    },
  };
}
