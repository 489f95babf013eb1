// Totals from real announcements, figures checked by hand: sums, dimensions, conversion, amendments and withdrawals.
import { describe, expect, it } from 'vitest';
import type { AnnouncementFields } from '../../src/commands/announcement/events.js';
import type { CurrencyCode } from '../../src/domain/money.js';
import { totalsProjection } from '../../src/projections/models/totals/projection.js';
import { queryTotals, type TotalsFilter } from '../../src/projections/models/totals/query.js';
import type { Dimension, TotalsState } from '../../src/projections/models/totals/state.js';
import { EventLog, replay } from './events.js';

const SUPPLY_CHAINS = '3f0c9d52-7a4e-4b1a-9c2d-5e8f6a7b8c90';
const PROSECUTIONS = '8d2e4f60-1b3c-4d5e-8f7a-9b0c1d2e3f45';
const SPLIT = 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f';

const gbp = (minor: number) => ({ currency: 'GBP' as const, minor });
const eur = (minor: number) => ({ currency: 'EUR' as const, minor });

/** £30m to tackle supply chains, illicit finances and trafficking routes: not allocated to a country. */
const supplyChains: AnnouncementFields = {
  funder: 'GB',
  programme: 'oic-supply-chains',
  title: '£30 million to tackle supply chains, illicit finances and trafficking routes',
  announcedOn: '2025-03-31',
  amount: gbp(3_000_000_000),
  tags: ['organised-immigration-crime'],
};

/** £3m for the Crown Prosecution Service to prosecute smuggling gangs, in the UK. */
const prosecutions: AnnouncementFields = {
  funder: 'GB',
  programme: 'cps-smuggling-prosecutions',
  title: '£3 million for prosecutors to bring people smugglers to justice',
  announcedOn: '2025-03-31',
  country: 'GB',
  amount: gbp(300_000_000),
  tags: ['organised-immigration-crime'],
};

/** The GBP->EUR rate the conversion tests record, as answers cite it: the third event of their log. */
const CITED_RATE = { base: 'GBP', quote: 'EUR', rate: '1.1876', effectiveOn: '2025-03-28', source: 'test', position: '3' };

function realAnnouncements(): EventLog {
  const log = new EventLog();
  log.announced(SUPPLY_CHAINS, supplyChains);
  log.announced(PROSECUTIONS, prosecutions);
  return log;
}

function totals(log: EventLog, groupBy: Dimension[], currency?: CurrencyCode, filter: TotalsFilter = {}) {
  return queryTotals(replay(totalsProjection, log.events), { groupBy, currency, filter });
}

describe('totals of the real announcements of 2025-03-31', () => {
  it('sums £30m and £3m to £33,000,000.00 under programme totals', () => {
    expect(totals(realAnnouncements(), ['programme'])).toEqual({
      rows: [
        { programme: 'cps-smuggling-prosecutions', count: 1, amounts: [{ currency: 'GBP', value: '3000000.00' }] },
        { programme: 'oic-supply-chains', count: 1, amounts: [{ currency: 'GBP', value: '30000000.00' }] },
      ],
      total: { count: 2, amounts: [{ currency: 'GBP', value: '33000000.00' }] },
    });
  });

  it('has one grand-total row without groupBy', () => {
    expect(totals(realAnnouncements(), []).rows).toEqual([{ count: 2, amounts: [{ currency: 'GBP', value: '33000000.00' }] }]);
    expect(totals(new EventLog(), [])).toEqual({ rows: [{ count: 0, amounts: [] }], total: { count: 0, amounts: [] } });
    expect(totals(new EventLog(), [], 'EUR').rows).toEqual([
      { count: 0, amounts: [], converted: { currency: 'EUR', value: '0.00' }, unconverted: [], rates: [] },
    ]);
  });

  it('splits by country: the unallocated £30m and the £3m to GB', () => {
    expect(totals(realAnnouncements(), ['country']).rows).toEqual([
      { country: 'GB', count: 1, amounts: [{ currency: 'GBP', value: '3000000.00' }] },
      { country: 'unallocated', count: 1, amounts: [{ currency: 'GBP', value: '30000000.00' }] },
    ]);
    expect(totals(realAnnouncements(), [], undefined, { country: 'GB' }).total).toEqual({
      count: 1,
      amounts: [{ currency: 'GBP', value: '3000000.00' }],
    });
  });

  it('places 2025-03-31 in calendar year 2025 and financial year 2024-25', () => {
    const amounts = [{ currency: 'GBP', value: '33000000.00' }];
    expect(totals(realAnnouncements(), ['year', 'fiscalYear', 'funder', 'currency']).rows).toEqual([
      { year: 2025, fiscalYear: '2024-25', funder: 'GB', currency: 'GBP', count: 2, amounts },
    ]);
    expect(totals(realAnnouncements(), [], undefined, { yearFrom: 2025, yearTo: 2025 }).total.count).toBe(2);
    expect(totals(realAnnouncements(), [], undefined, { yearFrom: 2026 }).total).toEqual({ count: 0, amounts: [] });
    expect(totals(realAnnouncements(), [], undefined, { yearTo: 2024 }).total).toEqual({ count: 0, amounts: [] });
  });
});

describe('sums past 2^53 minor units', () => {
  it('stay exact in a cell, in a group of cells and in the total', () => {
    // The largest accepted amount, 101 and 100 times in two programmes: each cell passes 2^53 (about 9.007e15), and
    // the odd sums cannot even be held by a double, so any rounding would show.
    const log = new EventLog();
    for (let n = 0; n < 201; n += 1) {
      log.announced(`00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, {
        ...prosecutions,
        programme: n % 2 === 0 ? 'big-a' : 'big-b',
        amount: gbp(99_999_999_999_999),
      });
    }
    expect(totals(log, ['programme'])).toEqual({
      rows: [
        { programme: 'big-a', count: 101, amounts: [{ currency: 'GBP', value: '100999999999998.99' }] },
        { programme: 'big-b', count: 100, amounts: [{ currency: 'GBP', value: '99999999999999.00' }] },
      ],
      total: { count: 201, amounts: [{ currency: 'GBP', value: '200999999999997.99' }] },
    });
  });
});

describe('conversion', () => {
  it('converts to EUR at the GBP->EUR rate recorded before the announcement', () => {
    const log = realAnnouncements();
    log.rate('GBP', 'EUR', '1.1876', '2025-03-28');
    // By hand: 30,000,000.00 x 1.1876 = 35,628,000.00 and 3,000,000.00 x 1.1876 = 3,562,800.00 (both exact, no rounding);
    // 35,628,000.00 + 3,562,800.00 = 39,190,800.00.
    expect(totals(log, ['programme'], 'EUR')).toEqual({
      rows: [
        {
          programme: 'cps-smuggling-prosecutions',
          count: 1,
          amounts: [{ currency: 'GBP', value: '3000000.00' }],
          converted: { currency: 'EUR', value: '3562800.00' },
          unconverted: [],
          rates: [CITED_RATE],
        },
        {
          programme: 'oic-supply-chains',
          count: 1,
          amounts: [{ currency: 'GBP', value: '30000000.00' }],
          converted: { currency: 'EUR', value: '35628000.00' },
          unconverted: [],
          rates: [CITED_RATE],
        },
      ],
      total: {
        count: 2,
        amounts: [{ currency: 'GBP', value: '33000000.00' }],
        converted: { currency: 'EUR', value: '39190800.00' },
        unconverted: [],
        rates: [CITED_RATE],
      },
    });
  });

  it('converts to GBP what is already GBP without any rate', () => {
    expect(totals(realAnnouncements(), [], 'GBP').total).toEqual({
      count: 2,
      amounts: [{ currency: 'GBP', value: '33000000.00' }],
      converted: { currency: 'GBP', value: '33000000.00' },
      unconverted: [],
      rates: [],
    });
  });

  it('never uses a rate effective after the announcement: the ids are listed as unconverted', () => {
    const log = realAnnouncements();
    log.rate('GBP', 'EUR', '1.2000', '2025-04-01');
    expect(totals(log, [], 'EUR').total).toEqual({
      count: 2,
      amounts: [{ currency: 'GBP', value: '33000000.00' }],
      converted: { currency: 'EUR', value: '0.00' },
      unconverted: [SUPPLY_CHAINS, PROSECUTIONS].sort(),
      rates: [],
    });
    // With the earlier rate recorded too, the earlier one applies and the later one is still ignored.
    log.rate('GBP', 'EUR', '1.1876', '2025-03-28');
    expect(totals(log, [], 'EUR').total.converted).toEqual({ currency: 'EUR', value: '39190800.00' });
    expect(totals(log, [], 'EUR').total.unconverted).toEqual([]);
  });

  it('uses a rate effective on the announcement date itself', () => {
    const log = realAnnouncements();
    log.rate('GBP', 'EUR', '1.1876', '2025-03-28');
    log.rate('GBP', 'EUR', '1.2', '2025-03-31');
    // 33,000,000.00 x 1.2 = 39,600,000.00
    expect(totals(log, [], 'EUR').total.converted).toEqual({ currency: 'EUR', value: '39600000.00' });
  });

  it('takes a later record for the same effectiveOn as a correction of the earlier one', () => {
    const log = realAnnouncements();
    log.rate('GBP', 'EUR', '1.1', '2025-03-28');
    // The first figure is seen by a query (so converted sums are cached) before the correction arrives.
    const state = replay(totalsProjection, log.events);
    expect(queryTotals(state, { groupBy: [], currency: 'EUR', filter: {} }).total.converted?.value).toBe('36300000.00');
    const correction = log.rate('GBP', 'EUR', '1.1876', '2025-03-28');
    totalsProjection.evolve(state, correction);
    expect(queryTotals(state, { groupBy: [], currency: 'EUR', filter: {} }).total.converted?.value).toBe('39190800.00');
  });

  it('converts EUR to GBP at the exact inverse of GBP->EUR, rounding half to even per allocation', () => {
    const log = new EventLog();
    log.rate('GBP', 'EUR', '2', '2025-01-01');
    log.announced(SPLIT, {
      funder: 'EU',
      programme: 'oic-supply-chains',
      title: 'Split between France and Germany',
      announcedOn: '2025-03-31',
      amount: eur(300_000_002),
      allocations: [
        { country: 'FR', amount: eur(100_000_001) },
        { country: 'DE', amount: eur(200_000_001) },
      ],
      tags: [],
    });
    // By hand, at 1/2: FR €1,000,000.01 -> £500,000.005 -> £500,000.00 (tie, 50,000,000 is even);
    // DE €2,000,000.01 -> £1,000,000.005 -> £1,000,000.00 (tie, 100,000,000 is even).
    // Per allocation: £1,500,000.00. Rounding the sum instead, €3,000,000.02 / 2 = £1,500,000.01: not what we report.
    const answer = totals(log, ['country'], 'GBP');
    expect(answer.rows.map((row) => [row.country, row.converted?.value])).toEqual([
      ['DE', '1000000.00'],
      ['FR', '500000.00'],
    ]);
    expect(answer.total.converted).toEqual({ currency: 'GBP', value: '1500000.00' });
    expect(totals(log, [], 'GBP').total.converted).toEqual({ currency: 'GBP', value: '1500000.00' });
  });

  it('converts €4,000,000.00 to £3,368,137.42 at the inverse of 1.1876', () => {
    const log = new EventLog();
    log.rate('GBP', 'EUR', '1.1876', '2025-03-28');
    log.announced(SPLIT, { ...supplyChains, funder: 'EU', amount: eur(400_000_000) });
    // 4,000,000.00 / 1.1876 = 3,368,137.42000673... -> 3,368,137.42
    expect(totals(log, [], 'GBP').total.converted).toEqual({ currency: 'GBP', value: '3368137.42' });
  });

  it('prefers the rate, direct or inverse, with the later effectiveOn; on the same date the direct one', () => {
    const log = new EventLog();
    log.announced(SPLIT, { ...supplyChains, amount: gbp(100_000) }); // £1,000.00
    log.rate('GBP', 'EUR', '1.1', '2025-03-01');
    log.rate('EUR', 'GBP', '0.8', '2025-03-15');
    // Inverse of EUR->GBP 0.8 is 1.25: £1,000.00 -> €1,250.00.
    expect(totals(log, [], 'EUR').total.converted?.value).toBe('1250.00');
    log.rate('GBP', 'EUR', '1.2', '2025-03-15');
    expect(totals(log, [], 'EUR').total.converted?.value).toBe('1200.00');
  });
});

describe('amendments and withdrawals', () => {
  function amendedAfterQuery(amend: (log: EventLog) => void, groupBy: Dimension[], currency?: CurrencyCode) {
    const log = realAnnouncements();
    log.rate('GBP', 'EUR', '1.1876', '2025-03-28');
    const state: TotalsState = replay(totalsProjection, log.events);
    queryTotals(state, { groupBy: [], currency: 'EUR', filter: {} }); // caches converted sums that the change must update
    const before = log.events.length;
    amend(log);
    replay(totalsProjection, log.events.slice(before), state);
    const answer = queryTotals(state, { groupBy, currency, filter: {} });
    expect(queryTotals(replay(totalsProjection, log.events), { groupBy, currency, filter: {} })).toEqual(answer);
    return answer;
  }

  it('replaces the amount', () => {
    const answer = amendedAfterQuery((log) => log.amended(SUPPLY_CHAINS, { amount: gbp(3_100_000_000) }), ['programme'], 'EUR');
    // 31,000,000.00 x 1.1876 = 36,815,600.00; plus 3,562,800.00 = 40,378,400.00
    expect(answer.rows.map((row) => [row.programme, row.count, row.amounts, row.converted?.value])).toEqual([
      ['cps-smuggling-prosecutions', 1, [{ currency: 'GBP', value: '3000000.00' }], '3562800.00'],
      ['oic-supply-chains', 1, [{ currency: 'GBP', value: '31000000.00' }], '36815600.00'],
    ]);
    expect(answer.total).toMatchObject({
      count: 2,
      amounts: [{ currency: 'GBP', value: '34000000.00' }],
      converted: { value: '40378400.00' },
    });
  });

  it('moves the money to another country', () => {
    const answer = amendedAfterQuery((log) => log.amended(SUPPLY_CHAINS, { country: 'IQ' }), ['country']);
    expect(answer.rows).toEqual([
      { country: 'GB', count: 1, amounts: [{ currency: 'GBP', value: '3000000.00' }] },
      { country: 'IQ', count: 1, amounts: [{ currency: 'GBP', value: '30000000.00' }] },
    ]);
  });

  it('replaces allocations, and back to unallocated', () => {
    const split = amendedAfterQuery(
      (log) =>
        log.amended(SUPPLY_CHAINS, {
          allocations: [
            { country: 'FR', amount: gbp(1_000_000_000) },
            { country: 'IQ', amount: gbp(2_000_000_000) },
          ],
        }),
      ['country'],
      'EUR',
    );
    expect(split.rows.map((row) => [row.country, row.count, row.amounts[0]?.value, row.converted?.value])).toEqual([
      ['FR', 1, '10000000.00', '11876000.00'],
      ['GB', 1, '3000000.00', '3562800.00'],
      ['IQ', 1, '20000000.00', '23752000.00'],
    ]);
    const unallocated = amendedAfterQuery(
      (log) => {
        log.amended(SUPPLY_CHAINS, { country: 'FR' });
        log.amended(SUPPLY_CHAINS, { country: null });
      },
      ['country'],
    );
    expect(unallocated.rows.map((row) => row.country)).toEqual(['GB', 'unallocated']);
  });

  it('moves the announcement to another programme', () => {
    const answer = amendedAfterQuery(
      (log) => log.amended(SUPPLY_CHAINS, { programme: 'cps-smuggling-prosecutions' }),
      ['programme'],
      'EUR',
    );
    expect(answer.rows).toEqual([
      {
        programme: 'cps-smuggling-prosecutions',
        count: 2,
        amounts: [{ currency: 'GBP', value: '33000000.00' }],
        converted: { currency: 'EUR', value: '39190800.00' },
        unconverted: [],
        rates: [CITED_RATE],
      },
    ]);
  });

  it('moves the announcement to another calendar and financial year, where the rate no longer applies', () => {
    const answer = amendedAfterQuery((log) => log.amended(SUPPLY_CHAINS, { announcedOn: '2024-03-28' }), ['year', 'fiscalYear'], 'EUR');
    expect(answer.rows).toEqual([
      {
        year: 2024,
        fiscalYear: '2023-24',
        count: 1,
        amounts: [{ currency: 'GBP', value: '30000000.00' }],
        converted: { currency: 'EUR', value: '0.00' },
        unconverted: [SUPPLY_CHAINS],
        rates: [],
      },
      {
        year: 2025,
        fiscalYear: '2024-25',
        count: 1,
        amounts: [{ currency: 'GBP', value: '3000000.00' }],
        converted: { currency: 'EUR', value: '3562800.00' },
        unconverted: [],
        rates: [CITED_RATE],
      },
    ]);
    const nextFiscalYear = amendedAfterQuery((log) => log.amended(SUPPLY_CHAINS, { announcedOn: '2025-04-01' }), ['fiscalYear']);
    expect(nextFiscalYear.rows.map((row) => [row.fiscalYear, row.amounts[0]?.value])).toEqual([
      ['2024-25', '3000000.00'],
      ['2025-26', '30000000.00'],
    ]);
  });

  it('removes a withdrawn announcement: the count goes down, its amounts vanish, emptied rows disappear', () => {
    const answer = amendedAfterQuery((log) => log.withdrawn(SUPPLY_CHAINS), ['programme'], 'EUR');
    expect(answer).toEqual({
      rows: [
        {
          programme: 'cps-smuggling-prosecutions',
          count: 1,
          amounts: [{ currency: 'GBP', value: '3000000.00' }],
          converted: { currency: 'EUR', value: '3562800.00' },
          unconverted: [],
          rates: [CITED_RATE],
        },
      ],
      total: {
        count: 1,
        amounts: [{ currency: 'GBP', value: '3000000.00' }],
        converted: { currency: 'EUR', value: '3562800.00' },
        unconverted: [],
        rates: [CITED_RATE],
      },
    });
    const none = amendedAfterQuery(
      (log) => {
        log.withdrawn(SUPPLY_CHAINS);
        log.withdrawn(PROSECUTIONS);
      },
      ['country'],
    );
    expect(none).toEqual({ rows: [], total: { count: 0, amounts: [] } });
  });

  it('removes a withdrawn or moved announcement that had no rate from unconverted, even where others remain', () => {
    const log = realAnnouncements();
    // A second £30m in exactly the same cell as the first (programme, country, year, funder, currency).
    log.announced(SPLIT, { ...supplyChains, title: 'A second tranche' });
    const state = replay(totalsProjection, log.events);
    const unconverted = () =>
      queryTotals(state, { groupBy: ['programme'], currency: 'EUR', filter: {} }).rows.map((row) => row.unconverted);
    expect(unconverted()).toEqual([[PROSECUTIONS], [SUPPLY_CHAINS, SPLIT].sort()]);
    totalsProjection.evolve(state, log.withdrawn(SUPPLY_CHAINS));
    expect(unconverted()).toEqual([[PROSECUTIONS], [SPLIT]]);
    totalsProjection.evolve(state, log.amended(SPLIT, { programme: 'cps-smuggling-prosecutions' }));
    expect(unconverted()).toEqual([[PROSECUTIONS, SPLIT].sort()]);
    totalsProjection.evolve(state, log.amended(PROSECUTIONS, { country: 'FR' }));
    expect(
      queryTotals(state, { groupBy: ['country'], currency: 'EUR', filter: {} }).rows.map((row) => [row.country, row.unconverted]),
    ).toEqual([
      ['FR', [PROSECUTIONS]],
      ['unallocated', [SPLIT]],
    ]);
  });
});

describe('allocations across countries', () => {
  function withSplit(): EventLog {
    const log = realAnnouncements();
    log.announced(SPLIT, {
      funder: 'GB',
      programme: 'oic-supply-chains',
      title: 'Western Balkans: Serbia and Kosovo',
      announcedOn: '2025-06-10',
      amount: gbp(1_500_000_000),
      allocations: [
        { country: 'RS', amount: gbp(1_000_000_000) },
        { country: 'XK', amount: gbp(500_000_000) },
      ],
      tags: [],
    });
    return log;
  }

  it('count once in a programme row and in the total', () => {
    const answer = totals(withSplit(), ['programme']);
    expect(answer.rows).toEqual([
      { programme: 'cps-smuggling-prosecutions', count: 1, amounts: [{ currency: 'GBP', value: '3000000.00' }] },
      { programme: 'oic-supply-chains', count: 2, amounts: [{ currency: 'GBP', value: '45000000.00' }] },
    ]);
    expect(answer.total).toEqual({ count: 3, amounts: [{ currency: 'GBP', value: '48000000.00' }] });
  });

  it('count once per country in country rows', () => {
    const answer = totals(withSplit(), ['programme', 'country']);
    expect(answer.rows).toEqual([
      { programme: 'cps-smuggling-prosecutions', country: 'GB', count: 1, amounts: [{ currency: 'GBP', value: '3000000.00' }] },
      { programme: 'oic-supply-chains', country: 'RS', count: 1, amounts: [{ currency: 'GBP', value: '10000000.00' }] },
      { programme: 'oic-supply-chains', country: 'XK', count: 1, amounts: [{ currency: 'GBP', value: '5000000.00' }] },
      { programme: 'oic-supply-chains', country: 'unallocated', count: 1, amounts: [{ currency: 'GBP', value: '30000000.00' }] },
    ]);
    expect(answer.total.count).toBe(3);
    expect(totals(withSplit(), [], undefined, { country: 'XK' }).total).toEqual({
      count: 1,
      amounts: [{ currency: 'GBP', value: '5000000.00' }],
    });
  });

  it('sorts rows by their dimensions in groupBy order, years as numbers', () => {
    const answer = totals(withSplit(), ['fiscalYear', 'programme']);
    expect(answer.rows.map((row) => [row.fiscalYear, row.programme, row.count])).toEqual([
      ['2024-25', 'cps-smuggling-prosecutions', 1],
      ['2024-25', 'oic-supply-chains', 1],
      ['2025-26', 'oic-supply-chains', 1],
    ]);
  });
});
