// Every error status the API promises, as RFC 9457 problems naming the offending fields; bad input never changes the store.
import { describe, expect, it, vi } from 'vitest';
import { announce, clientOf, errorFieldsOf, expectProblem, expectStatus, request, startInjectedLedger } from '../support/ledger.js';
import {
  aLedgerWithProgrammes,
  anAnnouncement,
  anExchangeRate,
  theProgrammes,
  theThirtyMillion,
  theThreeMillion,
  theThreeMillionSplit,
} from '../support/scenarios.js';

const UNKNOWN_ID = '0b6d4f1e-93c2-4a57-8e1d-2c3b4a5f6e70';

describe('400 malformed JSON', () => {
  it.each([
    ['truncated', '{"funder": "GB", '],
    ['a trailing comma', '{"funder": "GB",}'],
    ['empty', ''],
  ])('refuses a body that is %s', async (_name, body) => {
    const ledger = await aLedgerWithProgrammes();

    const reply = await request(ledger, 'POST', '/announcements', {
      key: ledger.adminKey,
      body,
      headers: { 'content-type': 'application/json' },
    });

    expectProblem(reply, 400);
    expect(reply.json.title).toMatch(/JSON/i);
  });
});

describe('400 validation', () => {
  it('names amount.value when the amount is a JSON number, and says to send a string', async () => {
    const ledger = await aLedgerWithProgrammes();

    const reply = await clientOf(ledger).post('/announcements', theThirtyMillion({ amount: { value: 30000000, currency: 'GBP' } }));

    expectProblem(reply, 400);
    const error = (reply.json.errors as { field: string; message: string }[]).find((e) => e.field === 'amount.value');
    expect(error?.message).toMatch(/string/);
  });

  it.each([
    ['allocations[0].value', theThreeMillion({ country: undefined, allocations: [{ country: 'RS', value: 3000000 }] })],
    ['statedEquivalent.value', theThreeMillion({ statedEquivalent: { value: 3500000, currency: 'EUR' } })],
  ])('names %s when it is a JSON number, and says to send a string', async (field, body) => {
    const ledger = await aLedgerWithProgrammes();

    const reply = await clientOf(ledger).post('/announcements', body);

    expectProblem(reply, 400);
    expect(reply.json.errors).toEqual([expect.objectContaining({ field, message: expect.stringMatching(/string/) })]);
  });

  it('names changes.allocations[0].value when an amendment’s allocation has too many decimals', async () => {
    const ledger = await aLedgerWithProgrammes();
    const created = await announce(ledger, theThreeMillion());

    const reply = await clientOf(ledger).post(`/announcements/${created.id}/amendments`, {
      changes: { country: null, allocations: [{ country: 'RS', value: '3000000.001' }] },
      reason: 'all to Serbia',
    });

    expectProblem(reply, 400);
    expect(errorFieldsOf(reply)).toEqual(['changes.allocations[0].value']);
  });

  it.each([
    ['zero', '0.00', /greater than zero/],
    ['negative', '-5.00', /decimal string/],
    ['too precise', '1.005', /2 minor digits/],
    ['too large', '1000000000000.00', /999999999999\.99/],
    ['not a number', '30m', /decimal string/],
  ])('refuses an amount that is %s', async (_name, value, message) => {
    const ledger = await aLedgerWithProgrammes();

    const reply = await clientOf(ledger).post('/announcements', theThirtyMillion({ amount: { value, currency: 'GBP' } }));

    expectProblem(reply, 400);
    expect(reply.json.errors).toEqual([expect.objectContaining({ field: 'amount.value', message: expect.stringMatching(message) })]);
  });

  it.each([
    [
      'allocations[0].country for a country that does not exist',
      theThreeMillion({ country: undefined, allocations: [{ country: 'ZZ', value: '3000000.00' }] }),
      ['allocations[0].country'],
    ],
    [
      'allocations[1].value when an allocation has more decimals than the currency',
      theThreeMillion({
        country: undefined,
        allocations: [
          { country: 'RS', value: '1000000.00' },
          { country: 'XK', value: '2000000.001' },
        ],
      }),
      ['allocations[1].value'],
    ],
    [
      'every offending field at once',
      theThirtyMillion({
        funder: 'UK',
        announcedOn: '2025-02-30',
        amount: { value: '30000000.001', currency: 'GBP' },
        statedEquivalent: { value: '36000000.00', currency: 'USD' },
        title: undefined,
        colour: 'blue',
      }),
      ['amount.value', 'announcedOn', 'colour', 'funder', 'statedEquivalent.currency', 'title'],
    ],
  ])('names %s', async (_name, body, fields) => {
    const ledger = await aLedgerWithProgrammes();

    const reply = await clientOf(ledger).post('/announcements', body);

    expectProblem(reply, 400);
    expect(errorFieldsOf(reply).sort()).toEqual(fields);
  });

  it('refuses an announcement id that is not a UUID, in the path too', async () => {
    const ledger = await aLedgerWithProgrammes();
    const api = clientOf(ledger);

    expect(errorFieldsOf(await api.post('/announcements', theThirtyMillion({ id: 'announcement-1' })))).toEqual(['id']);
    const reply = await api.get('/announcements/announcement-1');
    expectProblem(reply, 400);
    expect(reply.json.errors).toEqual([expect.objectContaining({ in: 'path', field: 'id' })]);
  });

  it('refuses an If-Match that is not a quoted revision', async () => {
    const ledger = await aLedgerWithProgrammes();
    const created = await announce(ledger, theThreeMillion());

    const reply = await clientOf(ledger).post(
      `/announcements/${created.id}/withdrawal`,
      { reason: 'stale copy' },
      { headers: { 'if-match': 'W/"0"' } },
    );

    expectProblem(reply, 400);
    expect(errorFieldsOf(reply)).toEqual(['If-Match']);
  });

  it('refuses a programme code that is not a lower-case slug', async () => {
    const ledger = await startInjectedLedger();

    const reply = await clientOf(ledger).post('/programmes', { code: 'OIC Supply', name: 'Supply chains' });

    expectProblem(reply, 400);
    expect(errorFieldsOf(reply)).toEqual(['code']);
  });
});

describe('404', () => {
  it('answers 404 for an announcement that does not exist, when read, amended or withdrawn', async () => {
    const ledger = await aLedgerWithProgrammes();
    const api = clientOf(ledger);

    expectProblem(await api.get(`/announcements/${UNKNOWN_ID}`), 404);
    expectProblem(
      await api.post(`/announcements/${UNKNOWN_ID}/amendments`, { changes: { title: 'New title' }, reason: 'typo in title' }),
      404,
    );
    expectProblem(await api.post(`/announcements/${UNKNOWN_ID}/withdrawal`, { reason: 'never existed' }), 404);
    expect(await ledger.eventsIn('announcement-')).toEqual([]);
  });

  it('answers 404 for a programme that is not registered', async () => {
    const ledger = await startInjectedLedger();

    expectProblem(await clientOf(ledger).get('/programmes/no-such-programme'), 404);
  });

  it('answers 404 for an unknown route', async () => {
    const ledger = await startInjectedLedger();

    const reply = await clientOf(ledger).get('/no-such-route');

    expectProblem(reply, 404);
    expect(reply.json.detail).toContain('/no-such-route');
  });
});

describe('409', () => {
  it('refuses to register a programme code twice', async () => {
    const ledger = await startInjectedLedger();
    const api = clientOf(ledger);
    const [programme] = theProgrammes();
    expectStatus(await api.post('/programmes', programme), 201);

    const reply = await api.post('/programmes', { ...programme, name: 'Another name' });

    expectProblem(reply, 409);
    expect(errorFieldsOf(reply)).toEqual(['code']);
    expect((await api.get(`/programmes/${String(programme!.code)}`)).json.name).toBe(programme!.name);
  });

  it('refuses a client-chosen announcement id that is already taken', async () => {
    const ledger = await aLedgerWithProgrammes();
    const id = 'c3a1e2b4-5d6f-4a7b-8c9d-0e1f2a3b4c5d';
    await announce(ledger, theThirtyMillion({ id }));

    const reply = await clientOf(ledger).post('/announcements', theThreeMillion({ id }));

    expectProblem(reply, 409);
    expect((await clientOf(ledger).get(`/announcements/${id}`)).json.amount.value).toBe('30000000.00');
  });
});

describe('412', () => {
  it('refuses an amendment or withdrawal whose If-Match names an old revision', async () => {
    const ledger = await aLedgerWithProgrammes();
    const api = clientOf(ledger);
    const created = await announce(ledger, theThirtyMillion());
    expectStatus(
      await api.post(
        `/announcements/${created.id}/amendments`,
        { changes: { title: 'First change' }, reason: 'first editor' },
        { headers: { 'if-match': '"0"' } },
      ),
      200,
    );

    const amended = await api.post(
      `/announcements/${created.id}/amendments`,
      { changes: { title: 'Second change' }, reason: 'second editor' },
      { headers: { 'if-match': '"0"' } },
    );
    const withdrawn = await api.post(
      `/announcements/${created.id}/withdrawal`,
      { reason: 'second editor' },
      { headers: { 'if-match': '"0"' } },
    );

    expectProblem(amended, 412);
    expectProblem(withdrawn, 412);
    const shown = await api.get(`/announcements/${created.id}`);
    expect(shown.json).toMatchObject({ title: 'First change', status: 'active', revision: 1 });
  });
});

describe('413', () => {
  it('refuses a body over 64 KiB', async () => {
    const ledger = await aLedgerWithProgrammes();
    const body = JSON.stringify(theThirtyMillion({ title: 'x'.repeat(65 * 1024) }));
    expect(body.length).toBeGreaterThan(64 * 1024);

    const reply = await request(ledger, 'POST', '/announcements', {
      key: ledger.adminKey,
      body,
      headers: { 'content-type': 'application/json' },
    });

    expectProblem(reply, 413);
  });

  it('accepts a body just under the limit up to validation', async () => {
    const ledger = await aLedgerWithProgrammes();
    const body = JSON.stringify(theThirtyMillion({ title: 'x'.repeat(60 * 1024) }));

    const reply = await request(ledger, 'POST', '/announcements', {
      key: ledger.adminKey,
      body,
      headers: { 'content-type': 'application/json' },
    });

    // Past the size check, the 500-character title limit is what refuses it.
    expectProblem(reply, 400);
    expect(errorFieldsOf(reply)).toEqual(['title']);
  });
});

describe('415', () => {
  it('refuses a text/plain body', async () => {
    const ledger = await aLedgerWithProgrammes();

    const reply = await request(ledger, 'POST', '/announcements', {
      key: ledger.adminKey,
      body: JSON.stringify(theThirtyMillion()),
      headers: { 'content-type': 'text/plain' },
    });

    expectProblem(reply, 415);
    expect(await ledger.eventsIn('announcement-')).toEqual([]);
  });

  it('refuses a form-encoded body', async () => {
    const ledger = await startInjectedLedger();

    const reply = await request(ledger, 'POST', '/programmes', {
      key: ledger.adminKey,
      body: 'code=oic-supply-chains&name=Supply',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });

    expectProblem(reply, 415);
  });
});

describe('422', () => {
  it('refuses an announcement naming a programme that is not registered', async () => {
    const ledger = await aLedgerWithProgrammes();

    const reply = await clientOf(ledger).post('/announcements', theThirtyMillion({ programme: 'western-balkans-summit' }));

    expectProblem(reply, 422);
    expect(errorFieldsOf(reply)).toEqual(['programme']);
  });

  it('refuses an amendment moving an announcement to a programme that is not registered', async () => {
    const ledger = await aLedgerWithProgrammes();
    const created = await announce(ledger, theThirtyMillion());

    const reply = await clientOf(ledger).post(`/announcements/${created.id}/amendments`, {
      changes: { programme: 'western-balkans-summit' },
      reason: 'moved',
    });

    expectProblem(reply, 422);
    expect(errorFieldsOf(reply)).toEqual(['changes.programme']);
  });

  it.each([
    ['short by a penny', ['1500000.00', '1499999.99']],
    ['over by a penny', ['1500000.00', '1500000.01']],
  ])('refuses allocations %s', async (_name, [rs, xk]) => {
    const ledger = await aLedgerWithProgrammes();

    const reply = await clientOf(ledger).post(
      '/announcements',
      theThreeMillion({
        country: undefined,
        allocations: [
          { country: 'RS', value: rs },
          { country: 'XK', value: xk },
        ],
      }),
    );

    expectProblem(reply, 422);
    expect(reply.json.errors).toEqual([{ field: 'allocations', message: expect.stringMatching(/sum exactly/) }]);
  });

  it('refuses both a country and allocations, and a country allocated twice', async () => {
    const ledger = await aLedgerWithProgrammes();

    const reply = await clientOf(ledger).post(
      '/announcements',
      theThreeMillion({
        allocations: [
          { country: 'RS', value: '1000000.00' },
          { country: 'RS', value: '2000000.00' },
        ],
      }),
    );

    expectProblem(reply, 422);
    expect(errorFieldsOf(reply).sort()).toEqual(['allocations', 'allocations[1].country']);
  });

  it('refuses an amendment whose new amount no longer matches the allocations', async () => {
    const ledger = await aLedgerWithProgrammes();
    const created = await announce(ledger, theThreeMillionSplit());

    const reply = await clientOf(ledger).post(`/announcements/${created.id}/amendments`, {
      changes: { amount: { value: '3500000.00', currency: 'GBP' } },
      reason: 'more money',
    });

    expectProblem(reply, 422);
    expect(errorFieldsOf(reply)).toEqual(['changes.allocations']);
  });

  it('refuses an amendment giving both a country and allocations', async () => {
    const ledger = await aLedgerWithProgrammes();
    const created = await announce(ledger, theThreeMillion());

    const reply = await clientOf(ledger).post(`/announcements/${created.id}/amendments`, {
      changes: { country: 'RS', allocations: [{ country: 'RS', value: '3000000.00' }] },
      reason: 'ambiguous',
    });

    expectProblem(reply, 422);
    expect(errorFieldsOf(reply)).toEqual(['changes.allocations']);
    expect((await clientOf(ledger).get(`/announcements/${created.id}`)).json).toMatchObject({ country: 'GB', revision: 0 });
  });

  it('refuses a stated equivalent in the amount’s own currency', async () => {
    const ledger = await aLedgerWithProgrammes();

    const reply = await clientOf(ledger).post(
      '/announcements',
      theThirtyMillion({ statedEquivalent: { value: '30000000.00', currency: 'GBP' } }),
    );

    expectProblem(reply, 422);
    expect(errorFieldsOf(reply)).toEqual(['statedEquivalent.currency']);
  });

  it('refuses any change to a withdrawn announcement', async () => {
    const ledger = await aLedgerWithProgrammes();
    const created = await announce(ledger, theThirtyMillion());
    expectStatus(await clientOf(ledger).post(`/announcements/${created.id}/withdrawal`, { reason: 'duplicate entry' }), 200);

    const reply = await clientOf(ledger).post(
      `/announcements/${created.id}/amendments`,
      { changes: { title: 'Changed' }, reason: 'after withdrawal' },
      { headers: { 'if-match': '"1"' } },
    );

    expectProblem(reply, 422);
  });
});

describe('503 while the projections catch up', () => {
  it('refuses every kind of write with Retry-After and records nothing, while reads still answer', async () => {
    const ledger = await aLedgerWithProgrammes();
    const api = clientOf(ledger);
    const { id } = await announce(ledger, theThirtyMillion());
    const head = await ledger.storeHead();
    vi.spyOn(ledger.ledger.context.projections, 'ready', 'get').mockReturnValue(false);

    const writes = [
      await api.post('/programmes', { ...theProgrammes()[0], code: 'a-new-programme' }),
      await api.post('/announcements', theThreeMillion()),
      await api.post(`/announcements/${id}/amendments`, { changes: { title: 'New title' }, reason: 'typo in title' }),
      await api.post(`/announcements/${id}/withdrawal`, { reason: 'announced twice' }),
      await api.post('/exchange-rates', anExchangeRate()),
    ];

    for (const reply of writes) {
      expectProblem(reply, 503);
      expect(reply.json.type).toBe('urn:funding-ledger:problem:not-ready');
      expect(reply.headers.get('retry-after')).toBe('2');
    }
    expect(await ledger.storeHead()).toBe(head);
    expectStatus(await api.get('/totals'), 200);
    expectStatus(await api.get(`/announcements/${id}`), 200);
  });
});

describe('bad input changes nothing', () => {
  it('leaves the store, the readiness position and the list as they were, and never answers 500', async () => {
    const ledger = await aLedgerWithProgrammes();
    const api = clientOf(ledger);
    const created = await announce(ledger, theThirtyMillion());
    const headBefore = await ledger.storeHead();
    const readyBefore = (await api.get('/health/ready')).json.position;
    const listBefore = (await api.get('/announcements')).json;
    const json = { 'content-type': 'application/json' };

    const replies = [
      await request(ledger, 'POST', '/announcements', { key: ledger.adminKey, body: '{"funder":', headers: json }),
      await request(ledger, 'POST', '/announcements', {
        key: ledger.adminKey,
        body: JSON.stringify(theThirtyMillion()),
        headers: { 'content-type': 'text/plain' },
      }),
      await request(ledger, 'POST', '/announcements', {
        key: ledger.adminKey,
        body: JSON.stringify(anAnnouncement({ title: 'x'.repeat(70_000) })),
        headers: json,
      }),
      await api.post('/announcements', theThirtyMillion({ amount: { value: 30000000, currency: 'GBP' } })),
      await api.post('/announcements', theThirtyMillion({ programme: 'unknown-programme' })),
      await api.post('/announcements', theThreeMillion({ country: undefined, allocations: [{ country: 'RS', value: '1.00' }] })),
      await api.post('/announcements', theThirtyMillion({ id: created.id })),
      await api.post('/announcements', null),
      await api.post('/announcements', []),
      await api.post('/announcements', 'just a string'),
      await api.post('/programmes', theProgrammes()[0]),
      await api.post('/programmes', { code: 'x', name: '' }),
      await api.post(
        `/announcements/${created.id}/amendments`,
        { changes: { title: 'New' }, reason: 'stale' },
        { headers: { 'if-match': '"7"' } },
      ),
      await api.post(`/announcements/${created.id}/amendments`, { changes: { amount: { value: '1.00', currency: 'EUR' } }, reason: 'no' }),
      await api.post(`/announcements/${created.id}/amendments`, { changes: {}, reason: 'nothing at all' }),
      await api.post(`/announcements/${created.id}/amendments`, { changes: { title: 'New' }, reason: '' }),
      await api.post(`/announcements/${UNKNOWN_ID}/withdrawal`, { reason: 'does not exist' }),
      await api.post('/exchange-rates', { base: 'GBP', quote: 'GBP', rate: '1', effectiveOn: '2025-03-31', source: 'x' }),
      await api.post('/exchange-rates', { base: 'GBP', quote: 'EUR', rate: 1.19, effectiveOn: '2025-03-31', source: 'x' }),
      await api.get('/announcements?limit=-1'),
      await api.get('/exchange-rates?base=USD'),
    ];

    for (const reply of replies) {
      expect(reply.status, reply.text).toBeGreaterThanOrEqual(400);
      expect(reply.status, reply.text).toBeLessThan(500);
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect(await ledger.storeHead()).toBe(headBefore);
    expect((await api.get('/health/ready')).json.position).toBe(readyBefore);
    expect((await api.get('/announcements')).json).toEqual(listBefore);
  });
});
