// A digest of projection state: what replay compares to prove the live read models equal a rebuild from history.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/canonicalJson.js';
import type { AnnouncementsState } from './announcements.js';
import type { ExchangeRatesState } from './exchangeRates.js';
import type { IdempotencyState } from './idempotency.js';
import type { ProgrammesState } from './programmes.js';
import { cellKey, type TotalsState } from './totals/state.js';

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
    // The order of first recording is meaningful: list cursors point into it.
    const { dictionaries } = state;
    for (let slot = 0; slot < state.ids.length; slot += 1) {
      yield [
        state.ids.idOf(slot),
        state.revisions.get(slot),
        state.statuses.get(slot),
        dictionaries.programmes.valueOf(state.programmes.get(slot)),
        dictionaries.funders.valueOf(state.funders.get(slot)),
        state.days.get(slot),
        dictionaries.places.valueOf(state.places.get(slot)),
      ];
    }
  },
  exchangeRates: function* (state: ExchangeRatesState) {
    yield* [...state.entries()].sort(byKey);
  },
  idempotency: function* (state: IdempotencyState) {
    yield* [...state.entries()].sort(byKey);
  },
  totals: function* (state: TotalsState) {
    const keyed = state.cells.filter((cell) => cell.allocations !== 0).map((cell) => [cellKey(cell), cell] as const);
    keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [key, cell] of keyed) yield [key, String(cell.minor), cell.allocations, cell.announcements];
    // Slots are numbered in the order announcements were first recorded: the same in any fold of the same history.
    const c = state.contributions;
    for (let slot = 0; slot < c.ids.length; slot += 1) {
      // A withdrawn announcement keeps its slot but contributes nothing: as if it had never been.
      if (c.rowCount.get(slot) === 0) continue;
      const entry: (string | number)[] = [c.ids.idOf(slot), state.currencies.valueOf(c.currencies.get(slot)), c.days.get(slot), c.split.get(slot)];
      const first = c.firstRow.get(slot);
      for (let row = first; row < first + c.rowCount.get(slot); row += 1) {
        entry.push((state.cells[c.rowCells.get(row)] as (typeof state.cells)[number]).country, c.rowMinors.get(row));
      }
      yield entry;
    }
  },
};

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
