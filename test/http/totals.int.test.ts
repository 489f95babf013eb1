// Totals over real HTTP: grouping, filters, conversion, amendments, positions and ETags, read-your-writes, CORS, restarts.
import { describe, expect, it } from 'vitest';
import {
  announce,
  clientOf,
  errorFieldsOf,
  expectStatus,
  request,
  startInjectedLedger,
  type Reply,
  type LedgerUnderTest,
} from '../support/ledger.js';
import {
  aLedgerWithFiveAnnouncements,
  aLedgerWithTheRealAnnouncements,
  anAnnouncement,
  anExchangeRate,
  citedRate,
  convertedFigures,
  eur,
  gbp,
  registerProgrammes,
  theSummitSplit,
  theThirtyMillion,
  theThreeMillion,
} from '../support/scenarios.js';

function totals(ledger: LedgerUnderTest, query = '', headers: Record<string, string> = {}): Promise<Reply> {
  return clientOf(ledger).get(`/totals${query}`, { headers });
}

const allFive = { count: 5, amounts: [eur('5000000.00'), gbp('36000000.00')] };

describe('GET /totals: grouping the real announcements', () => {
  it('answers one grand-total row without groupBy: £30m + £3m = £33,000,000.00', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();

    const reply = await totals(ledger);

    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.json).toEqual({
      position: '4',
      groupBy: [],
      currency: null,
      rows: [{ count: 2, amounts: [gbp('33000000.00')] }],
      total: { count: 2, amounts: [gbp('33000000.00')] },
    });
  });

  it('totals by programme: £3m and £30m rows, £33,000,000.00 in all', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();

    const reply = await totals(ledger, '?groupBy=programme');

    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({
      position: '4',
      groupBy: ['programme'],
      currency: null,
      rows: [
        { programme: 'cps-smuggling-prosecutions', count: 1, amounts: [gbp('3000000.00')] },
        { programme: 'oic-supply-chains', count: 1, amounts: [gbp('30000000.00')] },
      ],
      total: { count: 2, amounts: [gbp('33000000.00')] },
    });
    expect(Object.keys(reply.json.rows[0])).toEqual(['programme', 'count', 'amounts']);
  });

  it('totals by country: GB and unallocated', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();

    const reply = await totals(ledger, '?groupBy=country');

    expect(reply.json.rows).toEqual([
      { country: 'GB', count: 1, amounts: [gbp('3000000.00')] },
      { country: 'unallocated', count: 1, amounts: [gbp('30000000.00')] },
    ]);
  });

  it('labels the year as a number and 2025-03-31 as fiscal year 2024-25', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();

    const byYear = await totals(ledger, '?groupBy=year');
    const byFiscalYear = await totals(ledger, '?groupBy=fiscalYear');

    expect(byYear.json.rows).toEqual([{ year: 2025, count: 2, amounts: [gbp('33000000.00')] }]);
    expect(byFiscalYear.json.rows).toEqual([{ fiscalYear: '2024-25', count: 2, amounts: [gbp('33000000.00')] }]);
  });
});

describe('GET /totals: every dimension, combinations and filters', () => {
  it.each([
    [
      'year',
      [
        { year: 2024, count: 1, amounts: [gbp('1000000.00')] },
        { year: 2025, count: 4, amounts: [eur('5000000.00'), gbp('35000000.00')] },
      ],
    ],
    [
      'fiscalYear',
      [
        { fiscalYear: '2024-25', count: 3, amounts: [gbp('34000000.00')] },
        { fiscalYear: '2025-26', count: 2, amounts: [eur('5000000.00'), gbp('2000000.00')] },
      ],
    ],
    [
      'country',
      [
        { country: 'GB', count: 2, amounts: [gbp('4000000.00')] },
        { country: 'RS', count: 2, amounts: [eur('5000000.00'), gbp('1500000.00')] },
        { country: 'XK', count: 1, amounts: [gbp('500000.00')] },
        { country: 'unallocated', count: 1, amounts: [gbp('30000000.00')] },
      ],
    ],
    [
      'funder',
      [
        { funder: 'DE', count: 1, amounts: [eur('5000000.00')] },
        { funder: 'GB', count: 4, amounts: [gbp('36000000.00')] },
      ],
    ],
    [
      'currency',
      [
        { currency: 'EUR', count: 1, amounts: [eur('5000000.00')] },
        { currency: 'GBP', count: 4, amounts: [gbp('36000000.00')] },
      ],
    ],
    [
      'programme,country',
      [
        { programme: 'cps-smuggling-prosecutions', country: 'GB', count: 2, amounts: [gbp('4000000.00')] },
        { programme: 'oic-supply-chains', country: 'RS', count: 2, amounts: [eur('5000000.00'), gbp('1500000.00')] },
        { programme: 'oic-supply-chains', country: 'XK', count: 1, amounts: [gbp('500000.00')] },
        { programme: 'oic-supply-chains', country: 'unallocated', count: 1, amounts: [gbp('30000000.00')] },
      ],
    ],
    [
      'country,programme',
      [
        { country: 'GB', programme: 'cps-smuggling-prosecutions', count: 2, amounts: [gbp('4000000.00')] },
        { country: 'RS', programme: 'oic-supply-chains', count: 2, amounts: [eur('5000000.00'), gbp('1500000.00')] },
        { country: 'XK', programme: 'oic-supply-chains', count: 1, amounts: [gbp('500000.00')] },
        { country: 'unallocated', programme: 'oic-supply-chains', count: 1, amounts: [gbp('30000000.00')] },
      ],
    ],
    [
      'year,fiscalYear,funder,currency',
      [
        { year: 2024, fiscalYear: '2024-25', funder: 'GB', currency: 'GBP', count: 1, amounts: [gbp('1000000.00')] },
        { year: 2025, fiscalYear: '2024-25', funder: 'GB', currency: 'GBP', count: 2, amounts: [gbp('33000000.00')] },
        { year: 2025, fiscalYear: '2025-26', funder: 'DE', currency: 'EUR', count: 1, amounts: [eur('5000000.00')] },
        { year: 2025, fiscalYear: '2025-26', funder: 'GB', currency: 'GBP', count: 1, amounts: [gbp('2000000.00')] },
      ],
    ],
  ])('groups by %s, rows sorted by their keys; the total counts each announcement once', async (groupBy, rows) => {
    const { ledger } = await aLedgerWithFiveAnnouncements();

    const reply = await totals(ledger, `?groupBy=${groupBy}`);

    expect(reply.status).toBe(200);
    expect(reply.json.groupBy).toEqual(groupBy.split(','));
    expect(reply.json.rows).toEqual(rows);
    expect(Object.keys(reply.json.rows[0])).toEqual([...groupBy.split(','), 'count', 'amounts']);
    expect(reply.json.total).toEqual(allFive);
  });

  it.each([
    ['programme=cps-smuggling-prosecutions', { count: 2, amounts: [gbp('4000000.00')] }],
    ['programme=oic-supply-chains', { count: 3, amounts: [eur('5000000.00'), gbp('32000000.00')] }],
    ['country=RS', { count: 2, amounts: [eur('5000000.00'), gbp('1500000.00')] }],
    ['country=XK', { count: 1, amounts: [gbp('500000.00')] }],
    ['country=unallocated', { count: 1, amounts: [gbp('30000000.00')] }],
    ['country=FR', { count: 0, amounts: [] }],
    ['funder=DE', { count: 1, amounts: [eur('5000000.00')] }],
    ['funder=GB', { count: 4, amounts: [gbp('36000000.00')] }],
    ['yearFrom=2025', { count: 4, amounts: [eur('5000000.00'), gbp('35000000.00')] }],
    ['yearTo=2024', { count: 1, amounts: [gbp('1000000.00')] }],
    ['yearFrom=2024&yearTo=2025', allFive],
    ['yearFrom=2026', { count: 0, amounts: [] }],
    ['funder=GB&country=RS&yearFrom=2025&yearTo=2025', { count: 1, amounts: [gbp('1500000.00')] }],
  ])('filters with ?%s', async (query, figures) => {
    const { ledger } = await aLedgerWithFiveAnnouncements();

    const reply = await totals(ledger, `?${query}`);

    expect(reply.status).toBe(200);
    expect(reply.json.rows).toEqual([figures]);
    expect(reply.json.total).toEqual(figures);
  });

  it('groups and filters at once', async () => {
    const { ledger } = await aLedgerWithFiveAnnouncements();

    const reply = await totals(ledger, '?groupBy=programme&funder=GB&yearFrom=2025&yearTo=2025');

    expect(reply.json.rows).toEqual([
      { programme: 'cps-smuggling-prosecutions', count: 1, amounts: [gbp('3000000.00')] },
      { programme: 'oic-supply-chains', count: 2, amounts: [gbp('32000000.00')] },
    ]);
    expect(reply.json.total).toEqual({ count: 3, amounts: [gbp('35000000.00')] });
  });
});

describe('GET /totals?currency=', () => {
  it('converts the real announcements to EUR at the recorded GBP->EUR rate, checked by hand', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();
    const rate = citedRate(
      expectStatus(await clientOf(ledger).post('/exchange-rates', anExchangeRate({ rate: '1.1876', effectiveOn: '2025-03-31' })), 201),
    );

    const reply = await totals(ledger, '?groupBy=programme&currency=EUR');

    expect(reply.status).toBe(200);
    expect(reply.json.currency).toBe('EUR');
    // £3,000,000.00 x 1.1876 = €3,562,800.00; £30,000,000.00 x 1.1876 = €35,628,000.00.
    expect(reply.json.rows).toEqual([
      { programme: 'cps-smuggling-prosecutions', ...convertedFigures(1, gbp('3000000.00'), eur('3562800.00'), rate) },
      { programme: 'oic-supply-chains', ...convertedFigures(1, gbp('30000000.00'), eur('35628000.00'), rate) },
    ]);
    expect(reply.json.total).toEqual(convertedFigures(2, gbp('33000000.00'), eur('39190800.00'), rate));
  });

  it('rounds each allocation half to even, so the rows add up to the total', async () => {
    const ledger = await startInjectedLedger();
    await registerProgrammes(ledger);
    const rate = citedRate(expectStatus(await clientOf(ledger).post('/exchange-rates', anExchangeRate({ rate: '1.1875' })), 201));
    await announce(
      ledger,
      anAnnouncement({
        amount: gbp('2000000.32'),
        allocations: [
          { country: 'RS', value: '1000000.08' },
          { country: 'XK', value: '1000000.24' },
        ],
        statedEquivalent: undefined,
      }),
    );

    const reply = await totals(ledger, '?groupBy=country&currency=EUR');

    // 100,000,008p x 1.1875 = 118,750,009.5 cents -> 118,750,010 (even); 100,000,024p x 1.1875 = 118,750,028.5 -> 118,750,028 (even).
    expect(reply.json.rows).toEqual([
      { country: 'RS', count: 1, amounts: [gbp('1000000.08')], converted: eur('1187500.10'), unconverted: [], rates: [rate] },
      { country: 'XK', count: 1, amounts: [gbp('1000000.24')], converted: eur('1187500.28'), unconverted: [], rates: [rate] },
    ]);
    expect(reply.json.total).toEqual(convertedFigures(1, gbp('2000000.32'), eur('2375000.38'), rate));
  });

  it('converts EUR to GBP at the exact inverse of a GBP->EUR rate, and GBP stays as it is', async () => {
    const ledger = await startInjectedLedger();
    await registerProgrammes(ledger);
    const rate = citedRate(
      expectStatus(await clientOf(ledger).post('/exchange-rates', anExchangeRate({ rate: '1.1876', effectiveOn: '2025-03-31' })), 201),
    );
    await announce(ledger, theThirtyMillion());
    await announce(
      ledger,
      anAnnouncement({ funder: 'DE', announcedOn: '2025-10-22', amount: eur('4000000.00'), statedEquivalent: undefined }),
    );

    const reply = await totals(ledger, '?groupBy=currency&currency=GBP');

    // €4,000,000.00 / 1.1876 = £3,368,137.420007... -> £3,368,137.42 (the README's example).
    expect(reply.json.rows).toEqual([
      {
        currency: 'EUR',
        count: 1,
        amounts: [eur('4000000.00')],
        converted: gbp('3368137.42'),
        unconverted: [],
        rates: [{ ...rate, inverse: true }],
      },
      { currency: 'GBP', count: 1, amounts: [gbp('30000000.00')], converted: gbp('30000000.00'), unconverted: [], rates: [] },
    ]);
    expect(reply.json.total.converted).toEqual(gbp('33368137.42'));
  });

  it('lists announcements without an applicable rate as unconverted, until a rate in force on their date is recorded', async () => {
    const { ledger, thirty, three } = await aLedgerWithTheRealAnnouncements();
    const api = clientOf(ledger);
    expectStatus(await api.post('/exchange-rates', anExchangeRate({ rate: '1.1950', effectiveOn: '2025-04-01' })), 201);

    const before = await totals(ledger, '?groupBy=country&currency=EUR');

    expect(before.json.rows).toEqual([
      { country: 'GB', count: 1, amounts: [gbp('3000000.00')], converted: eur('0.00'), unconverted: [three.id], rates: [] },
      { country: 'unallocated', count: 1, amounts: [gbp('30000000.00')], converted: eur('0.00'), unconverted: [thirty.id], rates: [] },
    ]);
    expect(before.json.total).toEqual({
      count: 2,
      amounts: [gbp('33000000.00')],
      converted: eur('0.00'),
      unconverted: [thirty.id, three.id].sort(),
      rates: [],
    });

    const rate = citedRate(
      expectStatus(await api.post('/exchange-rates', anExchangeRate({ rate: '1.1876', effectiveOn: '2025-03-31' })), 201),
    );
    const after = await totals(ledger, '?currency=EUR');

    expect(after.json.total).toEqual(convertedFigures(2, gbp('33000000.00'), eur('39190800.00'), rate));
  });
});

describe('GET /totals after amendments and withdrawals', () => {
  it("replaces an amended announcement's contribution and drops a withdrawn one, converted sums included", async () => {
    const { ledger, thirty, three } = await aLedgerWithTheRealAnnouncements();
    const api = clientOf(ledger);
    const rate = citedRate(expectStatus(await api.post('/exchange-rates', anExchangeRate({ rate: '1.1876' })), 201));
    expect((await totals(ledger, '?currency=EUR')).json.total.converted).toEqual(eur('39190800.00'));

    const split = {
      allocations: theSummitSplit(),
    };
    expectStatus(
      await api.post(`/announcements/${thirty.id}/amendments`, { changes: split, reason: 'split announced at the summit' }),
      200,
    );
    const amended = await totals(ledger, '?groupBy=country&currency=EUR');

    expect(amended.json.rows).toEqual([
      { country: 'GB', count: 1, amounts: [gbp('3000000.00')], converted: eur('3562800.00'), unconverted: [], rates: [rate] },
      { country: 'RS', count: 1, amounts: [gbp('20000000.00')], converted: eur('23752000.00'), unconverted: [], rates: [rate] },
      { country: 'XK', count: 1, amounts: [gbp('10000000.00')], converted: eur('11876000.00'), unconverted: [], rates: [rate] },
    ]);
    expect(amended.json.total).toEqual(convertedFigures(2, gbp('33000000.00'), eur('39190800.00'), rate));

    // The same cell as before: the old contribution must be taken out before the new one goes in.
    expectStatus(
      await api.post(`/announcements/${three.id}/amendments`, { changes: { amount: gbp('3500000.00') }, reason: 'corrected figure' }),
      200,
    );
    const corrected = await totals(ledger, '?groupBy=programme&currency=EUR');

    expect(corrected.json.rows).toEqual([
      { programme: 'cps-smuggling-prosecutions', ...convertedFigures(1, gbp('3500000.00'), eur('4156600.00'), rate) },
      { programme: 'oic-supply-chains', ...convertedFigures(1, gbp('30000000.00'), eur('35628000.00'), rate) },
    ]);
    expect(corrected.json.total).toEqual(convertedFigures(2, gbp('33500000.00'), eur('39784600.00'), rate));

    expectStatus(
      await api.post(`/announcements/${three.id}/amendments`, { changes: { announcedOn: '2025-04-02' }, reason: 'corrected date' }),
      200,
    );
    const moved = await totals(ledger, '?groupBy=fiscalYear');

    expect(moved.json.rows).toEqual([
      { fiscalYear: '2024-25', count: 1, amounts: [gbp('30000000.00')] },
      { fiscalYear: '2025-26', count: 1, amounts: [gbp('3500000.00')] },
    ]);

    expectStatus(await api.post(`/announcements/${three.id}/withdrawal`, { reason: 'announced twice by mistake' }), 200);
    const withdrawn = await totals(ledger, '?groupBy=programme&currency=EUR');

    expect(withdrawn.json.rows).toEqual([
      { programme: 'oic-supply-chains', ...convertedFigures(1, gbp('30000000.00'), eur('35628000.00'), rate) },
    ]);
    expect(withdrawn.json.total).toEqual(convertedFigures(1, gbp('30000000.00'), eur('35628000.00'), rate));
  });

  it('takes a withdrawn announcement out of the group it shared with another, converted sum included', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();
    const api = clientOf(ledger);
    const rate = citedRate(expectStatus(await api.post('/exchange-rates', anExchangeRate({ rate: '1.1876' })), 201));
    const twice = await announce(ledger, theThreeMillion({ title: 'The £3m, announced twice' }));
    expect((await totals(ledger, '?country=GB&currency=EUR')).json.total).toEqual(
      convertedFigures(2, gbp('6000000.00'), eur('7125600.00'), rate),
    );

    expectStatus(await api.post(`/announcements/${twice.id}/withdrawal`, { reason: 'duplicate' }), 200);

    expect((await totals(ledger, '?country=GB&currency=EUR')).json.total).toEqual(
      convertedFigures(1, gbp('3000000.00'), eur('3562800.00'), rate),
    );
  });

  it('takes a withdrawn announcement out of unconverted, even when another stays in its group', async () => {
    const { ledger, thirty, three } = await aLedgerWithTheRealAnnouncements();
    const twice = await announce(ledger, theThreeMillion({ title: 'The £3m, announced twice' }));
    expect((await totals(ledger, '?currency=EUR')).json.total.unconverted).toEqual([thirty.id, three.id, twice.id].sort());

    expectStatus(await clientOf(ledger).post(`/announcements/${twice.id}/withdrawal`, { reason: 'duplicate' }), 200);
    const reply = await totals(ledger, '?groupBy=country&currency=EUR');

    expect(reply.json.rows).toEqual([
      { country: 'GB', count: 1, amounts: [gbp('3000000.00')], converted: eur('0.00'), unconverted: [three.id], rates: [] },
      { country: 'unallocated', count: 1, amounts: [gbp('30000000.00')], converted: eur('0.00'), unconverted: [thirty.id], rates: [] },
    ]);
    expect(reply.json.total.unconverted).toEqual([thirty.id, three.id].sort());
  });
});

describe('GET /totals: refusals', () => {
  it.each([
    ['an unknown dimension', '?groupBy=programme,region', 'groupBy', /region/],
    ['a dimension twice', '?groupBy=year,year', 'groupBy', /twice/],
    ['an unknown programme', '?programme=no-such-programme', 'programme', /no-such-programme/],
    ['a lower-case country', '?country=gb', 'country', /ISO 3166-1/],
    ['a bad funder', '?funder=XX', 'funder', /ISO 3166-1/],
    ['a year that is not a number', '?yearFrom=twenty', 'yearFrom', /year/],
    ['a fractional year', '?yearTo=2025.5', 'yearTo', /whole year/],
    ['a currency the ledger does not hold', '?currency=USD', 'currency', /GBP/],
    ['a bad minPosition', '?minPosition=soon', 'minPosition', /position/],
    ['an unknown parameter', '?colour=red', 'colour', /not a known field/],
    ['an unknown basis', '?basis=gross', 'basis', /announced, new/],
    ['an unknown stage', '?stage=pledged', 'stage', /announced, committed, disbursed/],
    ['a stage twice', '?stage=committed,committed', 'stage', /distinct/],
    ['the internal stage', '?stage=restated', 'stage', /announced, committed, disbursed/],
  ])('refuses %s with a 400 problem naming the field', async (_name, query, field, message) => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();

    const reply = await totals(ledger, query);

    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(reply.json.status).toBe(400);
    expect(errorFieldsOf(reply)).toEqual([field]);
    expect(reply.json.errors[0].message).toMatch(message);
  });

  it('refuses an unknown programme on /programmes/:code/totals and a bad code on /countries/:code/totals', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();
    const api = clientOf(ledger);

    const programme = await api.get('/programmes/no-such-programme/totals');
    const country = await api.get('/countries/gb/totals');

    expect(programme.status).toBe(400);
    expect(errorFieldsOf(programme)).toEqual(['programme']);
    expect(country.status).toBe(400);
    expect(errorFieldsOf(country)).toEqual(['code']);
  });

  it('needs a key', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();

    expect((await clientOf(ledger, null).get('/totals')).status).toBe(401);
  });
});

describe('GET /totals: position, ETag and If-None-Match', () => {
  it('gives the position of the last POST in the body, X-Ledger-Position and the ETag', async () => {
    const { ledger, three } = await aLedgerWithTheRealAnnouncements();

    const reply = await totals(ledger, '?groupBy=programme');

    expect(reply.json.position).toBe(three.position);
    expect(reply.headers.get('x-ledger-position')).toBe(reply.json.position);
    expect(reply.headers.get('etag')).toBe(`"${three.position}"`);
    expect(await ledger.storeHead()).toBe(three.position);
  });

  it('answers 304 without a body while the ledger is unchanged, and 200 for a stale tag', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();
    const first = await totals(ledger, '?groupBy=country');
    const etag = first.headers.get('etag') as string;

    const same = await totals(ledger, '?groupBy=country', { 'if-none-match': etag });
    const weakInAList = await totals(ledger, '?groupBy=country', { 'if-none-match': `"1", W/${etag}` });
    const anyTag = await totals(ledger, '?groupBy=country', { 'if-none-match': '*' });
    const stale = await totals(ledger, '?groupBy=country', { 'if-none-match': '"3"' });

    expect(same.status).toBe(304);
    expect(same.text).toBe('');
    expect(same.headers.get('etag')).toBe(etag);
    expect(same.headers.get('x-ledger-position')).toBe('4');
    expect(weakInAList.status).toBe(304);
    expect(anyTag.status).toBe(304);
    expect(stale.status).toBe(200);
    expect(stale.json).toEqual(first.json);
  });

  it('answers 200 with the new position for the old tag once something was written', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();
    const etag = (await totals(ledger)).headers.get('etag') as string;
    const more = await announce(ledger, theThreeMillion({ title: 'Another £3m' }));

    const reply = await totals(ledger, '', { 'if-none-match': etag });

    expect(reply.status).toBe(200);
    expect(reply.json.position).toBe(more.position);
    expect(reply.headers.get('etag')).toBe(`"${more.position}"`);
    expect(reply.json.total).toEqual({ count: 3, amounts: [gbp('36000000.00')] });
  });
});

describe('GET /totals asked again', () => {
  it('answers the same URL from the new position once something was written, and every spelling of a query alike', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();
    const first = await totals(ledger, '?groupBy=programme&currency=EUR');
    expect((await totals(ledger, '?groupBy=programme&currency=EUR')).text).toBe(first.text);

    expectStatus(await clientOf(ledger).post('/exchange-rates', anExchangeRate({ rate: '1.1876' })), 201);
    const again = await totals(ledger, '?groupBy=programme&currency=EUR');
    const reordered = await totals(ledger, '?currency=EUR&groupBy=%20programme');

    expect(again.json.position).not.toBe(first.json.position);
    expect(again.json.total.converted).toEqual(eur('39190800.00'));
    expect(first.json.total.unconverted).toHaveLength(2);
    expect(reordered.text).toBe(again.text);
    expect(reordered.headers.get('etag')).toBe(again.headers.get('etag'));
  });

  it('validates a query asked again as the first time: an encoded "&" is not a second parameter', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();
    for (let i = 0; i < 2; i += 1) expectStatus(await totals(ledger, '?groupBy=programme&currency=EUR'), 200);

    for (let i = 0; i < 2; i += 1) {
      const smuggled = await totals(ledger, '?groupBy=programme%26currency%3DEUR');
      expect(smuggled.status).toBe(400);
      expect(errorFieldsOf(smuggled)).toEqual(['groupBy']);
    }
    expect((await totals(ledger, '?groupBy=programme&currency=EUR')).json.currency).toBe('EUR');
  });
});

describe('GET /totals?minPosition=: read your writes', () => {
  it("answers at once when the projections have applied the last POST's position", async () => {
    const { ledger, three } = await aLedgerWithTheRealAnnouncements();

    const started = performance.now();
    const reply = await totals(ledger, `?minPosition=${three.position}`);

    expect(reply.status).toBe(200);
    expect(reply.json.position).toBe(three.position);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('waits for a write that lands while it waits', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();

    const waiting = totals(ledger, '?minPosition=5');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const more = await announce(ledger, theThreeMillion({ title: 'Another £3m' }));
    const reply = await waiting;

    expect(more.position).toBe('5');
    expect(reply.status).toBe(200);
    expect(reply.json.position).toBe('5');
    expect(reply.json.total).toEqual({ count: 3, amounts: [gbp('36000000.00')] });
  });

  it('answers 503 with Retry-After after about 5 s when the position is not reached', async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();

    const started = performance.now();
    const reply = await totals(ledger, '?minPosition=1000');
    const elapsed = performance.now() - started;

    expect(reply.status).toBe(503);
    expect(reply.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(reply.json).toMatchObject({
      status: 503,
      type: 'urn:funding-ledger:problem:position-not-reached',
      detail: expect.stringMatching(/1000/),
    });
    expect(elapsed).toBeGreaterThanOrEqual(4_900);
    expect(elapsed).toBeLessThan(8_000);
  });
});

describe('GET /programmes/:code/totals and /countries/:code/totals', () => {
  it.each([
    ['/programmes/oic-supply-chains/totals?groupBy=country', '/totals?programme=oic-supply-chains&groupBy=country'],
    ['/programmes/cps-smuggling-prosecutions/totals?currency=EUR', '/totals?programme=cps-smuggling-prosecutions&currency=EUR'],
    ['/countries/RS/totals?groupBy=programme,currency', '/totals?country=RS&groupBy=programme,currency'],
    ['/countries/unallocated/totals?currency=GBP', '/totals?country=unallocated&currency=GBP'],
    ['/countries/FR/totals', '/totals?country=FR'],
  ])('%s equals %s', async (convenience, general) => {
    const { ledger } = await aLedgerWithFiveAnnouncements();
    expectStatus(await clientOf(ledger).post('/exchange-rates', anExchangeRate()), 201);
    const api = clientOf(ledger);

    const scoped = await api.get(convenience);
    const filtered = await api.get(general);

    expect(scoped.status).toBe(200);
    expect(scoped.json).toEqual(filtered.json);
    expect(scoped.headers.get('etag')).toBe(filtered.headers.get('etag'));
  });
});

describe('CORS', () => {
  const dashboard = 'https://dash.example.org';

  it('lets the configured dashboard read totals and their position headers', async () => {
    const ledger = await startInjectedLedger({ env: { CORS_ORIGINS: dashboard } });

    const reply = await totals(ledger, '', { origin: dashboard });

    expect(reply.status).toBe(200);
    expect(reply.headers.get('access-control-allow-origin')).toBe(dashboard);
    const exposed = (reply.headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/\s*,\s*/);
    expect(exposed).toEqual(expect.arrayContaining(['x-ledger-position', 'etag']));
  });

  it('answers a preflight without a key', async () => {
    const ledger = await startInjectedLedger({ env: { CORS_ORIGINS: dashboard } });

    const reply = await request(ledger, 'OPTIONS', '/totals?groupBy=programme', {
      headers: {
        origin: dashboard,
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization,if-none-match',
      },
    });

    expect(reply.status).toBe(204);
    expect(reply.headers.get('access-control-allow-origin')).toBe(dashboard);
    expect(reply.headers.get('access-control-allow-methods')).toMatch(/\bGET\b/);
    expect(reply.headers.get('access-control-allow-headers')).toMatch(/\bauthorization\b.*\bif-none-match\b/);
  });

  it('gives another origin no allow-origin header', async () => {
    const ledger = await startInjectedLedger({ env: { CORS_ORIGINS: dashboard } });

    const reply = await totals(ledger, '', { origin: 'https://elsewhere.example.com' });

    expect(reply.status).toBe(200);
    expect(reply.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('sends no CORS headers at all without CORS_ORIGINS', async () => {
    const ledger = await startInjectedLedger();

    const reply = await totals(ledger, '', { origin: dashboard });
    const preflight = await request(ledger, 'OPTIONS', '/totals', {
      headers: { origin: dashboard, 'access-control-request-method': 'GET' },
    });

    expect(reply.status).toBe(200);
    for (const answer of [reply, preflight]) {
      expect([...answer.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
  });
});

describe('readiness and restarts', () => {
  it("is ready at the store's position after start", async () => {
    const { ledger } = await aLedgerWithTheRealAnnouncements();

    const reply = await request(ledger, 'GET', '/health/ready');

    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ ready: true, position: '4', caughtUp: true, overloaded: false, heavyWork: { running: 0, queued: 0 } });
  });

  it('answers the same totals, position and ETag after a restart', async () => {
    const { ledger, ids } = await aLedgerWithFiveAnnouncements();
    const api = clientOf(ledger);
    expectStatus(await api.post('/exchange-rates', anExchangeRate()), 201);
    expectStatus(await api.post(`/announcements/${ids.balkans}/amendments`, { changes: { country: 'RS' }, reason: 'all to Serbia' }), 200);
    expectStatus(await api.post(`/announcements/${ids.three}/withdrawal`, { reason: 'duplicate' }), 200);
    const queries = [
      '',
      '?groupBy=programme,country',
      '?groupBy=fiscalYear,currency&currency=EUR',
      '?groupBy=year&currency=GBP',
      '?country=RS',
    ];
    const before = await Promise.all(queries.map((query) => totals(ledger, query)));

    const restarted = await ledger.restart();
    const after = await Promise.all(queries.map((query) => totals(restarted, query)));

    expect(after.map((reply): unknown => reply.json)).toEqual(before.map((reply): unknown => reply.json));
    expect(after.map((reply) => reply.headers.get('etag'))).toEqual(before.map((reply) => reply.headers.get('etag')));
    expect(after[0]?.json.position).toBe('10');
    expect((await request(restarted, 'GET', '/health/ready')).json).toMatchObject({ ready: true, position: '10', caughtUp: true });
  });
});
