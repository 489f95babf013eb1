// GET /totals?asOf=: the totals as they stood right after a position or at an instant, over real HTTP.
import { describe, expect, it, vi } from 'vitest';
import { Clock } from '../audit/ledgerHistory.js';
import { clientOf, errorFieldsOf, expectStatus, startInjectedLedger, type Reply, type LedgerUnderTest } from '../support/ledger.js';
import {
  anExchangeRate,
  theGermanContribution,
  theProgrammes,
  theSummitSplit,
  theThirtyMillion,
  theThreeMillion,
} from '../support/scenarios.js';

/** recordedAt of the write at minute n: the event at position n (from 1) is recorded at minute n. */
const at = (minute: number, second = 0): string => new Date(Date.UTC(2025, 3, 2, 9, minute, second)).toISOString();

/** Every totals route, with groupBy, conversion and filters: the answers compared across time. */
const QUERIES = [
  '/totals',
  '/totals?groupBy=programme,country',
  '/totals?groupBy=year,currency&currency=EUR',
  '/totals?country=RS&groupBy=funder',
  '/totals?programme=oic-supply-chains&currency=EUR',
  '/countries/GB/totals?groupBy=programme',
  '/programmes/oic-supply-chains/totals?groupBy=country,fiscalYear&currency=EUR',
];

const withMinPosition = (query: string, position: number): string => `${query}${query.includes('?') ? '&' : '?'}minPosition=${position}`;
const withAsOf = (query: string, asOf: string): string => `${query}${query.includes('?') ? '&' : '?'}asOf=${encodeURIComponent(asOf)}`;

interface Answered {
  readonly position: number;
  readonly query: string;
  readonly body: unknown;
}

/**
 * Nine writes, one a minute, each followed by every query's live answer:
 * 1-2 programmes, 3 the £30m, 4 the £3m, 5 a GBP-EUR rate for 2025-03-31, 6 €5m to Serbia,
 * 7 the £30m split RS/XK, 8 the rate for 2025-03-31 corrected, 9 the £3m withdrawn.
 */
async function aLedgerWithAnswersAfterEveryWrite() {
  const clock = new Clock(at(0));
  const ledger = await startInjectedLedger({ now: clock.now });
  const api = clientOf(ledger);
  const answered: Answered[] = [{ position: 0, query: '/totals', body: (await api.get('/totals')).json }];
  let position = 0;
  const write = async (path: string, body: Record<string, unknown>): Promise<Reply> => {
    position += 1;
    clock.set(at(position));
    const reply = await api.post(path, body);
    if (reply.status !== 200) expectStatus(reply, 201);
    for (const query of QUERIES) {
      const live = expectStatus(await api.get(withMinPosition(query, position)), 200);
      expect(live.json.position).toBe(String(position));
      answered.push({ position, query, body: live.json });
    }
    return reply;
  };
  const [supplyChains, prosecutions] = theProgrammes();
  await write('/programmes', supplyChains!);
  await write('/programmes', prosecutions!);
  const thirty = (await write('/announcements', theThirtyMillion())).json.id as string;
  const three = (await write('/announcements', theThreeMillion())).json.id as string;
  await write('/exchange-rates', anExchangeRate({ rate: '1.1876', effectiveOn: '2025-03-31' }));
  await write('/announcements', theGermanContribution());
  await write(`/announcements/${thirty}/amendments`, {
    changes: {
      allocations: theSummitSplit(),
    },
    reason: 'split between Serbia and Kosovo',
  });
  await write('/exchange-rates', anExchangeRate({ rate: '1.19', effectiveOn: '2025-03-31', source: 'corrected' }));
  await write(`/announcements/${three}/withdrawal`, { reason: 'announced twice' });
  return { ledger, clock, api, answered, ids: { thirty, three } };
}

/** Counts full reads of the log: what an as-of query replays from. */
function countReplays(ledger: LedgerUnderTest) {
  return vi.spyOn(ledger.ledger.context.store, 'readAll');
}

describe('GET /totals?asOf=<position>', () => {
  it('answers exactly what each totals route answered right after that position, with every groupBy, currency and filter', async () => {
    const { api, answered } = await aLedgerWithAnswersAfterEveryWrite();

    for (const { position, query, body } of answered) {
      const past = await api.get(withAsOf(query, String(position)));
      expect(past.status, `${query} as of ${position}`).toBe(200);
      expect(past.json, `${query} as of ${position}`).toEqual(body);
      expect(past.headers.get('x-ledger-position')).toBe(String(position));
    }
  });

  it('uses only the rates recorded by then, even a correction for an earlier date', async () => {
    const { api, ids } = await aLedgerWithAnswersAfterEveryWrite();

    const beforeAnyRate = (await api.get('/totals?currency=EUR&asOf=4')).json;
    const firstRate = (await api.get('/totals?currency=EUR&asOf=7')).json;
    const corrected = (await api.get('/totals?currency=EUR&asOf=8')).json;

    expect(beforeAnyRate.total).toMatchObject({ converted: { currency: 'EUR', value: '0.00' } });
    expect([...beforeAnyRate.total.unconverted].sort()).toEqual([ids.thirty, ids.three].sort());
    // £33m at 1.1876, plus €5m: then £33m at the corrected 1.19, plus €5m.
    expect(firstRate.total).toMatchObject({ converted: { currency: 'EUR', value: '44190800.00' }, unconverted: [] });
    expect(corrected.total).toMatchObject({ converted: { currency: 'EUR', value: '44270000.00' }, unconverted: [] });
  });

  it('reads the past from the history of the totals, never replaying the log: a first query, a repeat, another at the same moment', async () => {
    const { ledger, api } = await aLedgerWithAnswersAfterEveryWrite();
    const readAll = countReplays(ledger);

    const first = await api.get('/totals?groupBy=country&asOf=5');
    const again = await api.get('/totals?groupBy=country&asOf=5');
    const another = await api.get('/totals?groupBy=programme&currency=EUR&asOf=5');
    const onProgrammeRoute = await api.get('/programmes/oic-supply-chains/totals?asOf=5');

    expect(readAll).not.toHaveBeenCalled();
    expect(again.json).toEqual(first.json);
    expect([another.status, onProgrammeRoute.status]).toEqual([200, 200]);
  });

  it('replays once per moment when every query of every moment is asked in turn', async () => {
    const { ledger, api, answered } = await aLedgerWithAnswersAfterEveryWrite();
    const readAll = countReplays(ledger);

    for (const { position, query } of answered) expectStatus(await api.get(withAsOf(query, String(position))), 200);

    expect(readAll.mock.calls.length).toBeLessThanOrEqual(new Set(answered.map((a) => a.position)).size);
  });

  it('keeps no past state: each answer reads its own from the history, and the same moment gives the same answer again', async () => {
    const { ledger, api } = await aLedgerWithAnswersAfterEveryWrite();
    const { pastTotals } = ledger.ledger.context;
    const moment = { position: { commit: 5n, prepare: 5n } };
    const first = await api.get('/totals?groupBy=country&asOf=5');
    // Made for the request and handed back once answered (its arrays go to the scratch pool), never kept.
    expect(pastTotals.cachedAt(moment)).toBeUndefined();
    const readAll = countReplays(ledger);
    const again = await api.get('/totals?groupBy=country,year&asOf=5');
    const same = await api.get('/totals?groupBy=country&asOf=5');
    expect(readAll).not.toHaveBeenCalled();
    expect(again.status).toBe(200);
    expect(same.json).toEqual(first.json);
  });

  it('refuses a position beyond the last event with 400 naming asOf', async () => {
    const { api } = await aLedgerWithAnswersAfterEveryWrite();

    const reply = await api.get('/totals?asOf=10');

    expect(reply.status).toBe(400);
    expect(errorFieldsOf(reply)).toEqual(['asOf']);
    expect(reply.json.detail).toMatch(/asOf 10 is beyond the last event applied \(9\)/);
  });

  it.each(['yesterday', '2025-04-02', '2025-04-02T09:00:00', '-1', '1.5', ''])('refuses asOf=%j with 400 naming asOf', async (asOf) => {
    const { api } = await aLedgerWithAnswersAfterEveryWrite();

    const reply = await api.get(`/totals?asOf=${encodeURIComponent(asOf)}`);

    expect(reply.status).toBe(400);
    expect(errorFieldsOf(reply)).toContain('asOf');
  });
});

describe('GET /totals?asOf=<ISO instant>', () => {
  it('picks the last event recorded at or before the instant', async () => {
    const { api, answered } = await aLedgerWithAnswersAfterEveryWrite();
    const liveAfter = (position: number, query = '/totals?groupBy=programme,country') =>
      answered.find((a) => a.position === position && a.query === query)!.body;

    const exactly = await api.get(withAsOf('/totals?groupBy=programme,country', at(5)));
    const justAfter = await api.get(withAsOf('/totals?groupBy=programme,country', at(5, 30)));
    const justBefore = await api.get(withAsOf('/totals?groupBy=programme,country', at(6, -1)));
    const withOffset = await api.get(withAsOf('/totals?groupBy=programme,country', '2025-04-02T11:07:30+02:00'));

    expect(exactly.json).toEqual(liveAfter(5));
    expect(justAfter.json).toEqual(liveAfter(5));
    expect(justBefore.json).toEqual(liveAfter(5));
    expect(withOffset.json).toEqual(liveAfter(7));
  });

  it('answers the empty ledger for an instant before the first event', async () => {
    const { api, answered } = await aLedgerWithAnswersAfterEveryWrite();

    const reply = await api.get(withAsOf('/totals', at(0)));

    expect(reply.json).toEqual(answered[0]!.body);
    expect(reply.json).toMatchObject({ position: '0', total: { count: 0, amounts: [] } });
  });

  it('does not use a rate recorded after the instant', async () => {
    const { api } = await aLedgerWithAnswersAfterEveryWrite();

    const beforeTheCorrection = await api.get(withAsOf('/totals?currency=EUR', at(7, 59)));
    const afterIt = await api.get(withAsOf('/totals?currency=EUR', at(8)));

    expect(beforeTheCorrection.json.total.converted).toEqual({ currency: 'EUR', value: '44190800.00' });
    expect(afterIt.json.total.converted).toEqual({ currency: 'EUR', value: '44270000.00' });
  });

  it('does not replay the log for an instant, nor for a repeated one', async () => {
    const { ledger, api } = await aLedgerWithAnswersAfterEveryWrite();
    const readAll = countReplays(ledger);

    const first = await api.get(withAsOf('/totals?groupBy=country', at(4, 30)));
    const again = await api.get(withAsOf('/totals?groupBy=country', at(4, 30)));
    const sameMomentOtherQuery = await api.get(withAsOf('/totals?groupBy=funder', at(4, 30)));

    expect(readAll).not.toHaveBeenCalled();
    expect(again.json).toEqual(first.json);
    expect(sameMomentOtherQuery.json.position).toBe('4');
  });

  it('answers an instant after the last event with the current totals, and follows events recorded later at or before it', async () => {
    const { api, clock, ids } = await aLedgerWithAnswersAfterEveryWrite();
    const later = at(30);

    const now = await api.get(withAsOf('/totals', later));
    const again = await api.get(withAsOf('/totals', later));
    clock.set(at(10));
    expectStatus(await api.post(`/announcements/${ids.thirty}/withdrawal`, { reason: 'announced in error' }), 200);
    const afterAnotherWrite = await api.get(withAsOf('/totals', later));

    expect(now.json).toEqual((await api.get('/totals?asOf=9')).json);
    expect(again.json).toEqual(now.json);
    expect(afterAnotherWrite.json).toEqual((await api.get('/totals')).json);
    expect(afterAnotherWrite.json).toMatchObject({
      position: '10',
      total: { count: 1, amounts: [{ currency: 'EUR', value: '5000000.00' }] },
    });
  });
});
