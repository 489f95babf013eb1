// A digest of projection state: what replay compares to prove the live read models equal a rebuild from history.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../domain/canonicalJson.js';
import type { AnnouncementsState } from '../models/announcements.js';
import type { ExchangeRatesState } from '../models/exchangeRates.js';
import type { IdempotencyState } from '../models/idempotency.js';
import type { ProgrammesState } from '../models/programmes.js';
import { cellKey, type TotalsState } from '../models/totals/state.js';

const byKey = <T>([a]: [string, T], [b]: [string, T]): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Each projection's state as a sequence of plain entries in a canonical order: only what the state means,
 * never incidental structure (caches, insertion order of maps that are not ordered by meaning).
 */
const describers: Record<string, (state: never) => Iterable<unknown>> = {
  programmes: function* (state: ProgrammesState) {
    yield* [...state.entries()].sort(byKey);
  },
  announcements: function* (state: AnnouncementsState) {
    // The order of first recording is meaningful: list cursors point into it. Strings go by their rank among the
    // dictionary's values (which are digested too), so the digest does not depend on the order codes were given.
    const { dictionaries } = state;
    const programmes = ranksOf(dictionaries.programmes.values);
    const funders = ranksOf(dictionaries.funders.values);
    const places = ranksOf(dictionaries.places.values);
    yield [[...dictionaries.programmes.values].sort(), [...dictionaries.funders.values].sort(), [...dictionaries.places.values].sort()];
    yield [...state.ids.others];
    const PER_SLOT = 10;
    for (let from = 0; from < state.ids.length; from += CHUNK_SLOTS) {
      const to = Math.min(from + CHUNK_SLOTS, state.ids.length);
      const chunk = new Uint32Array((to - from) * PER_SLOT);
      for (let slot = from; slot < to; slot += 1) {
        const at = (slot - from) * PER_SLOT;
        state.ids.copyWords(slot, chunk, at);
        chunk[at + 4] = state.revisions.get(slot);
        chunk[at + 5] = state.statuses.get(slot);
        chunk[at + 6] = programmes[state.programmes.get(slot)] as number;
        chunk[at + 7] = funders[state.funders.get(slot)] as number;
        chunk[at + 8] = state.days.get(slot);
        chunk[at + 9] = places[state.places.get(slot)] as number;
      }
      yield chunk;
    }
  },
  exchangeRates: function* (state: ExchangeRatesState) {
    yield* [...state.entries()].sort(byKey);
  },
  idempotency: function* (state: IdempotencyState) {
    yield* [...state.entries()].sort(byKey);
  },
  totals: function* (state: TotalsState) {
    // Cells that hold nothing are bookkeeping (an announcement withdrawn leaves one): only the others count, by key.
    const { cells } = state;
    const numberOfKey = new Map<string, number>();
    for (let number = 0; number < cells.length; number += 1) {
      if (cells.allocationsOf(number) !== 0) numberOfKey.set(cellKey(cells.view(number)), number);
    }
    const rankOfCell = new Float64Array(cells.length).fill(-1);
    for (const [rank, key] of [...numberOfKey.keys()].sort().entries()) {
      const number = numberOfKey.get(key) as number;
      rankOfCell[number] = rank;
      yield [key, String(cells.minorOf(number)), cells.allocationsOf(number), cells.announcementsOf(number)];
    }
    // Slots are numbered in the order announcements were first recorded: the same in any fold of the same history.
    // A withdrawn announcement keeps its slot but contributes nothing: as if it had never been. The currency is
    // its cells' (in their keys).
    const c = state.contributions;
    yield [...c.ids.others];
    let chunk = new Float64Array(CHUNK_SLOTS * 8);
    let at = 0;
    for (let slot = 0; slot < c.ids.length; slot += 1) {
      const count = c.rowCount.get(slot);
      if (count === 0) continue;
      const needed = 7 + 2 * count;
      if (at + needed > chunk.length) {
        yield chunk.subarray(0, at);
        chunk = new Float64Array(Math.max(CHUNK_SLOTS * 8, needed));
        at = 0;
      }
      if (!c.ids.copyWords(slot, chunk, at)) chunk.fill(0, at, at + 4);
      chunk[at + 4] = c.days.get(slot);
      chunk[at + 5] = c.split.get(slot);
      chunk[at + 6] = count;
      at += 7;
      const first = c.firstRow.get(slot);
      for (let row = first; row < first + count; row += 1) {
        chunk[at] = rankOfCell[c.rowCells.get(row)] as number;
        chunk[at + 1] = c.rowMinors.get(row);
        at += 2;
      }
    }
    yield chunk.subarray(0, at);
  },
};

const CHUNK_SLOTS = 8192;

/** For each code, the rank of its value among the dictionary's values sorted. */
function ranksOf(values: readonly string[]): number[] {
  const ranks: number[] = [];
  [...values.keys()].sort((a, b) => ((values[a] as string) < (values[b] as string) ? -1 : 1)).forEach((code, rank) => (ranks[code] = rank));
  return ranks;
}

/** Entries of plain strings and numbers (most of them) need no canonical form: JSON.stringify is one already. */
function lineOf(entry: unknown): string {
  if (Array.isArray(entry) && entry.every((value) => typeof value === 'string' || typeof value === 'number')) return JSON.stringify(entry);
  return canonicalJson(entry);
}

/** SHA-256 (hex) over every projection's canonical entries, fed piecewise so memory stays flat. */
export function digestOf(states: ReadonlyMap<string, unknown>): string {
  const hash = createHash('sha256');
  let pending = '';
  for (const name of [...states.keys()].sort()) {
    const describe = describers[name];
    if (describe === undefined) throw new Error(`no digest is defined for projection ${name}`);
    pending += `${JSON.stringify(name)}\n`;
    for (const entry of describe(states.get(name) as never)) {
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
