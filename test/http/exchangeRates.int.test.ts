// Exchange rates over real HTTP: record rates between the ledger's currencies and list them by pair.
import { describe, expect, it } from 'vitest';
import { clientOf, errorFieldsOf, expectStatus, itemsOf, startInjectedLedger } from '../support/ledger.js';
import { anExchangeRate } from '../support/scenarios.js';

describe('POST /exchange-rates', () => {
  it('records a rate: 201 with the rate as a decimal string', async () => {
    const ledger = await startInjectedLedger();

    const reply = await clientOf(ledger).post('/exchange-rates', anExchangeRate());

    expect(reply.status).toBe(201);
    expect(reply.json).toEqual({
      base: 'GBP',
      quote: 'EUR',
      rate: '1.1876',
      effectiveOn: '2025-03-31',
      source: 'test fixture',
      revision: 0,
      position: '1',
    });
    const events = await ledger.eventsIn('fx-');
    expect(events.map((e) => [e.stream, e.type])).toEqual([['fx-GBP-EUR', 'ExchangeRateRecorded']]);
  });

  it.each([
    ['the same currency twice', { quote: 'GBP' }, 422, 'quote'],
    ['a currency the ledger does not hold', { base: 'USD' }, 400, 'base'],
    ['a zero rate', { rate: '0.0' }, 400, 'rate'],
    ['a negative rate', { rate: '-1.1876' }, 400, 'rate'],
    ['no source', { source: ' ' }, 400, 'source'],
    ['an impossible date', { effectiveOn: '2025-13-01' }, 400, 'effectiveOn'],
  ])('refuses %s', async (_name, overrides, status, field) => {
    const ledger = await startInjectedLedger();

    const reply = await clientOf(ledger).post('/exchange-rates', anExchangeRate(overrides));

    expect(reply.status).toBe(status);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(errorFieldsOf(reply)).toEqual([field]);
    expect(await ledger.eventsIn('fx-')).toEqual([]);
  });

  it('refuses a rate sent as a JSON number, saying to send a string', async () => {
    const ledger = await startInjectedLedger();

    const reply = await clientOf(ledger).post('/exchange-rates', anExchangeRate({ rate: 1.1876 }));

    expect(reply.status).toBe(400);
    expect(reply.json.errors).toEqual([expect.objectContaining({ field: 'rate', message: expect.stringMatching(/string/) })]);
  });

  it('refuses recording the rate already in force for that date (422), but takes a correction', async () => {
    const ledger = await startInjectedLedger();
    const api = clientOf(ledger);
    expectStatus(await api.post('/exchange-rates', anExchangeRate()), 201);

    const repeat = await api.post('/exchange-rates', anExchangeRate());
    const correction = await api.post('/exchange-rates', anExchangeRate({ rate: '1.1877' }));

    expect(repeat.status).toBe(422);
    expect(correction.status).toBe(201);
    expect(correction.json.revision).toBe(1);
  });
});

describe('GET /exchange-rates', () => {
  it('lists rates by pair, filtered by base and quote', async () => {
    const ledger = await startInjectedLedger();
    const api = clientOf(ledger);
    expectStatus(await api.post('/exchange-rates', anExchangeRate()), 201);
    expectStatus(await api.post('/exchange-rates', anExchangeRate({ rate: '1.1950', effectiveOn: '2025-04-30' })), 201);
    expectStatus(await api.post('/exchange-rates', anExchangeRate({ base: 'EUR', quote: 'GBP', rate: '0.8420' })), 201);

    const all = await api.get('/exchange-rates');
    const gbpEur = await api.get('/exchange-rates?base=GBP&quote=EUR');
    const intoGbp = await api.get('/exchange-rates?quote=GBP');

    expect(all.status).toBe(200);
    expect(itemsOf<{ base: string; quote: string; rate: string }>(all).map((r) => `${r.base}/${r.quote} ${r.rate}`)).toEqual([
      'EUR/GBP 0.8420',
      'GBP/EUR 1.1876',
      'GBP/EUR 1.1950',
    ]);
    expect(all.json.position).toBe('3');
    expect(gbpEur.json.items).toEqual([
      { base: 'GBP', quote: 'EUR', rate: '1.1876', effectiveOn: '2025-03-31', source: 'test fixture' },
      { base: 'GBP', quote: 'EUR', rate: '1.1950', effectiveOn: '2025-04-30', source: 'test fixture' },
    ]);
    expect(intoGbp.json.items).toEqual([{ base: 'EUR', quote: 'GBP', rate: '0.8420', effectiveOn: '2025-03-31', source: 'test fixture' }]);
  });

  it('answers an empty list before any rate is recorded', async () => {
    const ledger = await startInjectedLedger();

    const reply = await clientOf(ledger).get('/exchange-rates?base=EUR');

    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ items: [], position: '0' });
  });
});
