// A digest of projection state: what replay compares to prove the live read models equal a rebuild from history.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../domain/canonicalJson.js';
import type { AnnouncementsState } from './announcements.js';
import type { ExchangeRatesState } from './exchangeRates.js';
import type { IdempotencyState } from './idempotency.js';
import type { ProgrammesState } from './programmes.js';
import type { TotalsState } from './totals/state.js';

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
    for (const id of state.order) {
      const view = state.byId.get(id);
      yield [id, view?.revision, view?.json];
    }
  },
  exchangeRates: function* (state: ExchangeRatesState) {
    yield* [...state.entries()].sort(byKey);
  },
  idempotency: function* (state: IdempotencyState) {
    yield* [...state.entries()].sort(byKey);
  },
  totals: function* (state: TotalsState) {
    const cells = [...state.cells.entries()].filter(([, cell]) => cell.allocations !== 0).sort(byKey);
    for (const [key, cell] of cells) yield [key, String(cell.minor), cell.allocations, cell.announcements];
    const contributions = [...state.contributions.entries()].sort(byKey);
    for (const [id, contribution] of contributions) {
      yield [id, contribution.currency, contribution.announcedOn, contribution.split, contribution.rows.map((row) => [row.cell.country, String(row.minor), row.primary])];
    }
  },
};

/** SHA-256 (hex) over every projection's canonical entries, fed piecewise so memory stays flat. */
export function digestOf(states: ReadonlyMap<string, unknown>): string {
  const hash = createHash('sha256');
  for (const name of [...states.keys()].sort()) {
    const describe = describers[name];
    if (describe === undefined) throw new Error(`no digest is defined for projection ${name}`);
    hash.update(`${JSON.stringify(name)}\n`);
    for (const entry of describe(states.get(name) as never)) hash.update(`${canonicalJson(entry)}\n`);
  }
  return hash.digest('hex');
}
