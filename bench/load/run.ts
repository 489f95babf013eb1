// Runs the autocannon child for one load spec and returns what it measured.
import { runJsonScript } from '../children.js';
import { benchScript } from '../paths.js';
import type { LoadResult, LoadSpec } from './spec.js';

export function runLoad(spec: LoadSpec, what: string): Promise<LoadResult> {
  const timeoutMs = (spec.seconds + spec.warmupSeconds) * 1000 + 60_000;
  return runJsonScript<LoadResult>(benchScript('load/cannon.ts'), spec, `autocannon (${what})`, timeoutMs);
}
