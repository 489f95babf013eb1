// Totals by stage (issue 20), figures by hand: restated parts through every step of the earlier and the later
// announcement, commitments and disbursements through amendments and withdrawals, snapshots and the digest.
import { describe, expect, it } from 'vitest';
import { totalsProjection } from '../../src/projections/models/totals/projection.js';
import { queryTotals, type TotalsQuery } from '../../src/projections/models/totals/query.js';
import type { TotalsState } from '../../src/projections/models/totals/state.js';
import { digestOf } from '../../src/projections/storage/digest.js';
import { EventLog, replay } from './events.js';
import { anAnnouncementOf, committed, disbursed, restating } from './stageEvents.js';

const EARLIER = '11111111-1111-4111-8111-111111111111';
const LATER = '22222222-2222-4222-8222-222222222222';
const M = 100_000_000; // £1m in pence

/** The £30m of 2025-03-31, split £20m to Serbia and £10m to Kosovo. */
const thirty = anAnnouncementOf(30 * M, {
  allocations: [
    ['RS', 20 * M],
    ['XK', 10 * M],
  ],
});
/** A later £12m (£4m GB, £8m FR) of which £9m restates the £30m. */
const twelve = anAnnouncementOf(12 * M, {
  announcedOn: '2025-06-01',
  allocations: [
    ['GB', 4 * M],
    ['FR', 8 * M],
  ],
  restates: [restating(EARLIER, 9 * M)],
});

function totalOf(state: TotalsState, query: Partial<TotalsQuery> = {}): string | undefined {
  return queryTotals(state, { groupBy: [], filter: {}, ...query }).total.amounts[0]?.value ?? '0';
}

function byCountry(state: TotalsState, query: Partial<TotalsQuery> = {}): Record<string, string | undefined> {
  const answer = queryTotals(state, { groupBy: ['country'], filter: {}, ...query });
  return Object.fromEntries(answer.rows.map((row) => [row.country as string, row.amounts[0]?.value]));
}

/** Folds the log, and checks that folding it in one go and restoring a snapshot of it agree with folding it step by step. */
function stateOf(log: EventLog): TotalsState {
  const state = replay(totalsProjection, log.events);
  const restored = totalsProjection.snapshot.restore(totalsProjection.snapshot.store(state));
  const digest = (s: TotalsState) => digestOf(new Map([[totalsProjection.name, s]]), [totalsProjection]);
  expect(digest(restored)).toBe(digest(state));
  for (const basis of ['announced', 'new'] as const)
    expect(queryTotals(restored, { groupBy: ['country', 'stage'], filter: {}, basis })).toEqual(
      queryTotals(state, { groupBy: ['country', 'stage'], filter: {}, basis }),
    );
  return state;
}

describe('the restated part (basis=new)', () => {
  it('leaves the answer as it was with basis=announced, and takes the restated £9m out with basis=new, pro rata', () => {
    const log = new EventLog();
    log.announced(EARLIER, thirty);
    log.announced(LATER, twelve);
    const state = stateOf(log);

    expect(totalOf(state)).toBe('42000000.00');
    expect(totalOf(state, { basis: 'new' })).toBe('33000000.00');
    // £9m over £4m:£8m is £3m and £6m.
    expect(byCountry(state, { basis: 'new' })).toEqual({ FR: '2000000.00', GB: '1000000.00', RS: '20000000.00', XK: '10000000.00' });
    // Counts stay the announcement counts.
    expect(queryTotals(state, { groupBy: [], filter: {}, basis: 'new' }).total.count).toBe(2);
  });

  it('follows the earlier announcement: amended it still counts; withdrawn, the money restating it is new again', () => {
    const log = new EventLog();
    log.announced(EARLIER, thirty);
    log.announced(LATER, twelve);
    log.amended(EARLIER, { programme: 'cps-smuggling-prosecutions', amount: { currency: 'GBP', minor: 31 * M }, allocations: null });
    expect(totalOf(stateOf(log), { basis: 'new' })).toBe('34000000.00');
    log.withdrawn(EARLIER);
    const state = stateOf(log);
    expect(totalOf(state, { basis: 'new' })).toBe('12000000.00');
    expect(totalOf(state)).toBe('12000000.00');
  });

  it('follows the later announcement: amended amount, split and restatements; withdrawn, its parts go', () => {
    const log = new EventLog();
    log.announced(EARLIER, thirty);
    log.announced(LATER, twelve);
    // A new split: £9m over £6m:£6m is £4.5m each.
    log.amended(LATER, {
      allocations: [
        { country: 'GB', amount: { currency: 'GBP', minor: 6 * M } },
        { country: 'DE', amount: { currency: 'GBP', minor: 6 * M } },
      ],
    });
    expect(byCountry(stateOf(log), { basis: 'new' })).toEqual({ DE: '1500000.00', GB: '1500000.00', RS: '20000000.00', XK: '10000000.00' });
    // Now it restates £5m only.
    log.amended(LATER, { restates: [restating(EARLIER, 5 * M)] });
    expect(totalOf(stateOf(log), { basis: 'new' })).toBe('37000000.00');
    // Restating nothing any more: [] and null alike.
    log.amended(LATER, { restates: [] });
    expect(totalOf(stateOf(log), { basis: 'new' })).toBe('42000000.00');
    log.amended(LATER, { restates: [restating(EARLIER, 9 * M)] });
    expect(totalOf(stateOf(log), { basis: 'new' })).toBe('33000000.00');
    log.amended(LATER, { restates: null });
    expect(totalOf(stateOf(log), { basis: 'new' })).toBe('42000000.00');
    log.amended(LATER, { restates: [restating(EARLIER, 9 * M)] });
    log.withdrawn(LATER);
    const state = stateOf(log);
    expect(totalOf(state, { basis: 'new' })).toBe('30000000.00');
    expect(totalOf(state)).toBe('30000000.00');
    // The earlier one withdrawn after the later: nothing left.
    log.withdrawn(EARLIER);
    expect(totalOf(stateOf(log), { basis: 'new' })).toBe('0');
  });

  it('moves the restated part with the later announcement to another year', () => {
    const log = new EventLog();
    log.announced(EARLIER, thirty);
    log.announced(LATER, twelve);
    log.amended(LATER, { announcedOn: '2026-01-15' });
    const answer = queryTotals(stateOf(log), { groupBy: ['year'], filter: {}, basis: 'new' });
    expect(answer.rows.map((row) => [row.year, row.amounts[0]?.value])).toEqual([
      [2025, '30000000.00'],
      [2026, '3000000.00'],
    ]);
  });
});

describe('committed and disbursed money', () => {
  function withMoney(): EventLog {
    const log = new EventLog();
    log.announced(EARLIER, thirty);
    committed(log, EARLIER, 6 * M, '2025-07-01');
    committed(log, EARLIER, -M, '2025-07-01');
    committed(log, EARLIER, 3 * M, '2026-05-01');
    disbursed(log, EARLIER, 2 * M, '2026-02-01', 'RS');
    disbursed(log, EARLIER, M, '2026-02-01', 'XK');
    return log;
  }

  it('answers the announced stage alone by default, and every stage when grouped by stage', () => {
    const state = stateOf(withMoney());
    expect(totalOf(state)).toBe('30000000.00');
    const answer = queryTotals(state, { groupBy: ['stage'], filter: {} });
    expect(answer.rows.map((row) => [row.stage, row.amounts[0]?.value])).toEqual([
      ['announced', '30000000.00'],
      ['committed', '8000000.00'],
      ['disbursed', '3000000.00'],
    ]);
    expect(totalOf(state, { filter: { stage: ['committed'] } })).toBe('8000000.00');
    expect(totalOf(state, { filter: { stage: ['disbursed', 'committed'] } })).toBe('11000000.00');
  });

  it('spreads commitments pro rata over the allocations, in the year of their own date; disbursements go to their country', () => {
    const state = stateOf(withMoney());
    const answer = queryTotals(state, { groupBy: ['stage', 'year', 'country'], filter: { stage: ['committed', 'disbursed'] } });
    expect(answer.rows.map((row) => [row.stage, row.year, row.country, row.amounts[0]?.value])).toEqual([
      // £5m net on 2025-07-01 over £20m:£10m; £3m on 2026-05-01 likewise.
      ['committed', 2025, 'RS', '3333333.33'],
      ['committed', 2025, 'XK', '1666666.67'],
      ['committed', 2026, 'RS', '2000000.00'],
      ['committed', 2026, 'XK', '1000000.00'],
      ['disbursed', 2026, 'RS', '2000000.00'],
      ['disbursed', 2026, 'XK', '1000000.00'],
    ]);
  });

  it('re-spreads commitments when the allocations change, follows a programme change, and drops everything on withdrawal', () => {
    const log = withMoney();
    log.amended(EARLIER, { allocations: null, country: 'IQ', programme: 'cps-smuggling-prosecutions' });
    const moved = queryTotals(stateOf(log), { groupBy: ['programme', 'stage', 'country'], filter: { stage: ['committed', 'disbursed'] } });
    expect(moved.rows.map((row) => [row.programme, row.stage, row.country, row.amounts[0]?.value])).toEqual([
      ['cps-smuggling-prosecutions', 'committed', 'IQ', '8000000.00'],
      ['cps-smuggling-prosecutions', 'disbursed', 'RS', '2000000.00'],
      ['cps-smuggling-prosecutions', 'disbursed', 'XK', '1000000.00'],
    ]);
    log.withdrawn(EARLIER);
    const state = stateOf(log);
    expect(queryTotals(state, { groupBy: ['stage'], filter: {} }).rows).toEqual([]);
    // Events after a withdrawal change nothing.
    committed(log, EARLIER, M, '2026-06-01');
    expect(queryTotals(stateOf(log), { groupBy: ['stage'], filter: {} }).rows).toEqual([]);
  });

  it('cites the rate of each commitment date and lists an unconvertible one under the announcement id', () => {
    const log = withMoney();
    log.rate('GBP', 'EUR', '1.2', '2026-01-01');
    const answer = queryTotals(stateOf(log), { groupBy: ['stage'], filter: {}, currency: 'EUR' });
    const committedRow = answer.rows.find((row) => row.stage === 'committed');
    // Only the 2026 commitment has a rate: £3m at 1.2.
    expect(committedRow?.converted).toEqual({ currency: 'EUR', value: '3600000.00' });
    expect(committedRow?.unconverted).toEqual([EARLIER]);
    expect(committedRow?.rates).toEqual([
      { base: 'GBP', quote: 'EUR', rate: '1.2', effectiveOn: '2026-01-01', source: 'test', position: '7' },
    ]);
    expect(answer.rows.find((row) => row.stage === 'announced')?.rates).toEqual([]);
  });
});

describe('the digest', () => {
  it('names a cell with its stage only when it is not announced', () => {
    const plain = new EventLog();
    plain.announced(EARLIER, thirty);
    const withCommitment = new EventLog();
    withCommitment.announced(EARLIER, thirty);
    committed(withCommitment, EARLIER, M, '2025-07-01');
    const digest = (log: EventLog) =>
      digestOf(new Map([[totalsProjection.name, replay(totalsProjection, log.events)]]), [totalsProjection]);
    expect(digest(withCommitment)).not.toBe(digest(plain));
    // The announced cell and the committed cells beside it (one per allocation).
    const state = replay(totalsProjection, withCommitment.events);
    expect([...Array(state.cells.length).keys()].map((cell) => state.cells.view(cell).stage)).toEqual([
      'announced',
      'announced',
      'committed',
      'committed',
    ]);
  });
});
