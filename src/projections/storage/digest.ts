// A digest of projection state: what replay compares to prove the live read models equal a rebuild from history.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../domain/canonicalJson.js';
import { PROJECTIONS } from '../runtime/all.js';
import type { Projection } from '../runtime/projection.js';

/** Entries of plain strings and numbers (most of them) need no canonical form: JSON.stringify is one already. */
function lineOf(entry: unknown): string {
  if (Array.isArray(entry) && entry.every((value) => typeof value === 'string' || typeof value === 'number')) return JSON.stringify(entry);
  return canonicalJson(entry);
}

function isEmpty(entries: Iterable<unknown>): boolean {
  return entries[Symbol.iterator]().next().done === true;
}

/**
 * SHA-256 (hex) over every projection's canonical entries (each projection's `describe`), fed piecewise so memory
 * stays flat. `projections` names the projections the states may hold: every one the ledger runs, by default.
 */
export function digestOf(states: ReadonlyMap<string, unknown>, projections: readonly Projection<unknown>[] = PROJECTIONS): string {
  const hash = createHash('sha256');
  let pending = '';
  for (const name of [...states.keys()].sort()) {
    const projection = projections.find((candidate) => candidate.name === name);
    if (projection === undefined) throw new Error(`no digest is defined for projection ${name}`);
    // Asked twice when it may be left out: a description may be a generator, which the first look would advance.
    if (projection.digestOnceUsed === true && isEmpty(projection.describe(states.get(name)))) continue;
    pending += `${JSON.stringify(name)}\n`;
    for (const entry of projection.describe(states.get(name))) {
      if (ArrayBuffer.isView(entry)) {
        // Columns of numbers are hashed as their bytes: a million slots without a million strings.
        hash.update(pending);
        pending = '';
        hash.update(new Uint8Array(entry.buffer, entry.byteOffset, entry.byteLength));
        continue;
      }
      pending += `${lineOf(entry)}\n`;
      // Hashed in chunks: one update per line costs more than the hashing itself.
      if (pending.length > 65_536) {
        hash.update(pending);
        pending = '';
      }
    }
  }
  hash.update(pending);
  return hash.digest('hex');
}
