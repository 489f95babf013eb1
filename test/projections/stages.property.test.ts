// Totals by stage and basis against a naive recomputation written here, from random histories of issue 20's events,
// at the end and at random as-of positions.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Restatement } from '../../src/commands/announcement/events.js';
import { totalsProjection } from '../../src/projections/models/totals/projection.js';
import { queryTotals } from '../../src/projections/models/totals/query.js';
import type { TotalsState } from '../../src/projections/models/totals/state.js';
import { EventLog, replay } from './events.js';
import { anAnnouncementOf, committed, disbursed, gbp } from './stageEvents.js';

const IDS = [1, 2, 3, 4, 5].map((n) => `${String(n).repeat(8)}-0000-4000-8000-000000000000`);
const COUNTRIES = ['GB', 'FR', 'RS', 'XK'];
const DATES = ['2024-12-31', '2025-03-31', '2025-04-01', '2026-02-01'];

/** What the naive model knows of one announcement. */
interface Known {
  active: boolean;
  amount: number;
  restates: { id: string; minor: number }[];
  /** Net sums of its commitments and disbursements (by country). */
  committed: number;
  disbursed: Map<string, number>;
}

type Step =
  | { kind: 'announce'; id: number; amount: number; split: number[]; restates: number[]; date: number }
  | { kind: 'amend'; id: number; amount: number; split: number[]; restates: number[]; date: number }
  | { kind: 'withdraw'; id: number }
  | { kind: 'commit'; id: number; amount: number; date: number }
  | { kind: 'disburse'; id: number; amount: number; date: number; country: number };

const amountArb = fc.integer({ min: 1, max: 5e12 });
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('announce' as const),
    id: fc.nat(4),
    amount: amountArb,
    split: fc.array(fc.integer({ min: 1, max: 100 }), { maxLength: 3 }),
    restates: fc.array(fc.nat(4), { maxLength: 3 }),
    date: fc.nat(3),
  }),
  fc.record({
    kind: fc.constant('amend' as const),
    id: fc.nat(4),
    amount: amountArb,
    split: fc.array(fc.integer({ min: 1, max: 100 }), { maxLength: 3 }),
    restates: fc.array(fc.nat(4), { maxLength: 3 }),
    date: fc.nat(3),
  }),
  fc.record({ kind: fc.constant('withdraw' as const), id: fc.nat(4) }),
  fc.record({ kind: fc.constant('commit' as const), id: fc.nat(4), amount: fc.integer({ min: -1e12, max: 1e12 }), date: fc.nat(3) }),
  fc.record({
    kind: fc.constant('disburse' as const),
    id: fc.nat(4),
    amount: fc.integer({ min: -1e12, max: 1e12 }),
    date: fc.nat(3),
    country: fc.nat(3),
  }),
);

/** Allocations of `amount` in the proportions of `split` (none: all of it to GB), summing exactly to it. */
function allocationsOf(amount: number, split: readonly number[]): [string, number][] {
  if (split.length === 0) return [];
  const weight = split.reduce((a, b) => a + b, 0);
  const shares = split.map((part) => Math.floor((amount * part) / weight));
  shares[0] = (shares[0] as number) + amount - shares.reduce((a, b) => a + b, 0);
  return shares.map((share, index) => [COUNTRIES[index] as string, share]);
}

/**
 * Restatements of earlier announcements (lower index: no cycles), active now, each a share of the amount so their sum
 * stays within it, as the decider guarantees.
 */
function restatesOf(known: Map<string, Known>, id: number, amount: number, targets: readonly number[]): Restatement[] {
  const earlier = [...new Set(targets)].filter((target) => target < id && known.get(IDS[target] as string)?.active === true);
  return earlier.map((target) => ({ announcementId: IDS[target] as string, amount: gbp(Math.floor(amount / (earlier.length + 1))) }));
}

/** Plays the steps the decider would accept into a log, keeping the naive model after each event. */
function play(steps: readonly Step[]): { log: EventLog; models: Map<string, Known>[] } {
  const log = new EventLog();
  const known = new Map<string, Known>();
  const models: Map<string, Known>[] = [];
  const snapshot = () =>
    models.push(new Map([...known].map(([id, k]) => [id, { ...k, restates: [...k.restates], disbursed: new Map(k.disbursed) }])));
  for (const s of steps) {
    const id = IDS[s.id] as string;
    const k = known.get(id);
    if (s.kind === 'announce') {
      if (k !== undefined) continue;
      const restates = restatesOf(known, s.id, s.amount, s.restates);
      const allocations = allocationsOf(s.amount, s.split);
      log.announced(
        id,
        anAnnouncementOf(s.amount, {
          announcedOn: DATES[s.date],
          ...(allocations.length > 0 ? { allocations } : { country: 'GB' }),
          ...(restates.length > 0 && { restates }),
        }),
      );
      known.set(id, {
        active: true,
        amount: s.amount,
        restates: restates.map((r) => ({ id: r.announcementId, minor: r.amount.minor })),
        committed: 0,
        disbursed: new Map(),
      });
    } else if (k === undefined || !k.active) continue;
    else if (s.kind === 'amend') {
      const restates = restatesOf(known, s.id, s.amount, s.restates);
      const allocations = allocationsOf(s.amount, s.split);
      log.amended(id, {
        amount: gbp(s.amount),
        announcedOn: DATES[s.date],
        ...(allocations.length > 0
          ? { allocations: allocations.map(([country, minor]) => ({ country, amount: gbp(minor) })) }
          : { allocations: null, country: 'GB' }),
        restates: restates.length > 0 ? restates : s.restates.length % 2 === 0 ? null : [],
      });
      k.amount = s.amount;
      k.restates = restates.map((r) => ({ id: r.announcementId, minor: r.amount.minor }));
    } else if (s.kind === 'withdraw') {
      log.withdrawn(id);
      k.active = false;
    } else if (s.kind === 'commit') {
      committed(log, id, s.amount, DATES[s.date] as string);
      k.committed += s.amount;
    } else {
      const country = COUNTRIES[s.country] as string;
      disbursed(log, id, s.amount, DATES[s.date] as string, country);
      k.disbursed.set(country, (k.disbursed.get(country) ?? 0) + s.amount);
    }
    snapshot();
  }
  return { log, models };
}

const pence = (value: string | undefined): bigint => (value === undefined ? 0n : BigInt(value.replace('.', '')));

function stageTotal(state: TotalsState, stage: 'announced' | 'committed' | 'disbursed', basis: 'announced' | 'new' = 'announced'): bigint {
  return pence(queryTotals(state, { groupBy: [], filter: { stage: [stage] }, basis }).total.amounts[0]?.value);
}

/** The naive figures: sums over the active announcements of the model. */
function naive(model: Map<string, Known>) {
  const active = [...model.values()].filter((k) => k.active);
  const isActive = (id: string) => model.get(id)?.active === true;
  const sum = (values: number[]) => values.reduce((a, b) => a + BigInt(b), 0n);
  const disbursedBy = new Map<string, bigint>();
  for (const k of active)
    for (const [country, minor] of k.disbursed) disbursedBy.set(country, (disbursedBy.get(country) ?? 0n) + BigInt(minor));
  return {
    announced: sum(active.map((k) => k.amount)),
    new: sum(active.map((k) => k.amount - k.restates.filter((r) => isActive(r.id)).reduce((a, r) => a + r.minor, 0))),
    committed: sum(active.map((k) => k.committed)),
    disbursed: sum(active.flatMap((k) => [...k.disbursed.values()])),
    disbursedBy,
  };
}

function expectAsNaive(state: TotalsState, model: Map<string, Known>): void {
  const expected = naive(model);
  expect(stageTotal(state, 'announced')).toBe(expected.announced);
  expect(stageTotal(state, 'announced', 'new')).toBe(expected.new);
  expect(stageTotal(state, 'committed')).toBe(expected.committed);
  expect(stageTotal(state, 'disbursed')).toBe(expected.disbursed);
  // basis=new never exceeds basis=announced, in any row.
  const announced = queryTotals(state, { groupBy: ['country', 'year'], filter: {} });
  const fresh = queryTotals(state, { groupBy: ['country', 'year'], filter: {}, basis: 'new' });
  for (const row of fresh.rows) {
    const face = announced.rows.find((other) => other.country === row.country && other.year === row.year);
    expect(pence(row.amounts[0]?.value)).toBeGreaterThanOrEqual(0n);
    expect(pence(row.amounts[0]?.value)).toBeLessThanOrEqual(pence(face?.amounts[0]?.value));
  }
  const disbursedRows = queryTotals(state, { groupBy: ['country'], filter: { stage: ['disbursed'] } }).rows;
  const byCountry = new Map(disbursedRows.map((row) => [row.country, pence(row.amounts[0]?.value)]));
  for (const [country, minor] of expected.disbursedBy) expect(byCountry.get(country) ?? 0n).toBe(minor);
  // Grouped by stage, the rows are the stage totals.
  const stages = queryTotals(state, { groupBy: ['stage'], filter: {}, basis: 'new' }).rows;
  expect(pence(stages.find((row) => row.stage === 'announced')?.amounts[0]?.value)).toBe(expected.new);
}

describe('totals by stage and basis (property)', () => {
  it('agree with the naive sums at the end, at random as-of positions, and after a snapshot', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 4 }), (steps, cuts) => {
        const { log, models } = play(steps);
        if (log.events.length === 0) return;
        const state = replay(totalsProjection, log.events);
        expectAsNaive(state, models[models.length - 1] as Map<string, Known>);
        expectAsNaive(
          totalsProjection.snapshot.restore(totalsProjection.snapshot.store(state)),
          models[models.length - 1] as Map<string, Known>,
        );
        for (const cut of cuts) {
          const at = cut % log.events.length;
          expectAsNaive(replay(totalsProjection, log.events.slice(0, at + 1)), models[at] as Map<string, Known>);
        }
      }),
      { numRuns: 150 },
    );
  });
});
