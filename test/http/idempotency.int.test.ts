// Idempotency-Key over real HTTP: a retry gets the first answer and writes nothing; a reused key with another body is refused.
import { describe, expect, it } from 'vitest';
import { announce, answerOf, clientOf, expectStatus, startInjectedLedger } from '../support/ledger.js';
import { anExchangeRate, aProgramme, registerProgrammes, theThirtyMillion, theThreeMillion } from '../support/scenarios.js';

const key = (value: string) => ({ headers: { 'idempotency-key': value } });

describe('a retry with the same key and body', () => {
  it('returns the first announcement answer and appends nothing', async () => {
    const ledger = await startInjectedLedger();
    await registerProgrammes(ledger);
    const api = clientOf(ledger);

    const first = await api.post('/announcements', theThirtyMillion(), key('import-2025-03-31-oic'));
    const head = await ledger.storeHead();
    const retry = await api.post('/announcements', theThirtyMillion(), key('import-2025-03-31-oic'));

    expect(first.status).toBe(201);
    expect(answerOf(retry)).toEqual(answerOf(first));
    expect(await ledger.storeHead()).toBe(head);
    expect((await api.get('/announcements')).json.items).toHaveLength(1);
    expect(await ledger.eventsIn('announcement-')).toHaveLength(1);
  });

  it('counts the same JSON with its keys in another order as the same body', async () => {
    const ledger = await startInjectedLedger();
    await registerProgrammes(ledger);
    const api = clientOf(ledger);
    const body = theThreeMillion();
    const reordered = Object.fromEntries(Object.entries(body).reverse());

    const first = await api.post('/announcements', body, key('k-1'));
    const retry = await api.post('/announcements', reordered, key('k-1'));

    expect(answerOf(retry)).toEqual(answerOf(first));
    expect(await ledger.eventsIn('announcement-')).toHaveLength(1);
  });

  it('answers a repeated programme registration with the first 201, not 409', async () => {
    const ledger = await startInjectedLedger();
    const api = clientOf(ledger);

    const first = await api.post('/programmes', aProgramme(), key('register-oic'));
    const retry = await api.post('/programmes', aProgramme(), key('register-oic'));
    const withoutKey = await api.post('/programmes', aProgramme());

    expect(first.status).toBe(201);
    expect(answerOf(retry)).toEqual(answerOf(first));
    expect(withoutKey.status).toBe(409);
    expect(await ledger.eventsIn('programme-')).toHaveLength(1);
  });

  it('answers a repeated amendment with the first 200, even after later changes', async () => {
    const ledger = await startInjectedLedger();
    await registerProgrammes(ledger);
    const api = clientOf(ledger);
    const created = await announce(ledger, theThirtyMillion());
    const amendment = { changes: { title: 'Supply chains: £30m' }, reason: 'shorter title' };

    const first = await api.post(`/announcements/${created.id}/amendments`, amendment, {
      headers: { 'idempotency-key': 'amend-1', 'if-match': '"0"' },
    });
    expectStatus(
      await api.post(`/announcements/${created.id}/amendments`, { changes: { title: 'Later title' }, reason: 'another editor' }),
      200,
    );
    const retry = await api.post(`/announcements/${created.id}/amendments`, amendment, {
      headers: { 'idempotency-key': 'amend-1', 'if-match': '"0"' },
    });

    expect(first.status).toBe(200);
    expect(answerOf(retry)).toEqual(answerOf(first));
    expect(retry.json).toMatchObject({ title: 'Supply chains: £30m', revision: 1 });
    expect(await ledger.eventsIn(`announcement-${created.id}`)).toHaveLength(3);
  });

  it('answers a repeated withdrawal and exchange rate with the first answer', async () => {
    const ledger = await startInjectedLedger();
    await registerProgrammes(ledger);
    const api = clientOf(ledger);
    const created = await announce(ledger, theThirtyMillion());

    const withdrawal = await api.post(`/announcements/${created.id}/withdrawal`, { reason: 'duplicate' }, key('withdraw-1'));
    const rate = await api.post('/exchange-rates', anExchangeRate(), key('rate-1'));
    const head = await ledger.storeHead();

    expect(answerOf(await api.post(`/announcements/${created.id}/withdrawal`, { reason: 'duplicate' }, key('withdraw-1')))).toEqual(
      answerOf(withdrawal),
    );
    expect(answerOf(await api.post('/exchange-rates', anExchangeRate(), key('rate-1')))).toEqual(answerOf(rate));
    expect(withdrawal.status).toBe(200);
    expect(rate.status).toBe(201);
    expect(await ledger.storeHead()).toBe(head);
  });
});

describe('the same key with another body', () => {
  it('is refused with 422 and writes nothing', async () => {
    const ledger = await startInjectedLedger();
    await registerProgrammes(ledger);
    const api = clientOf(ledger);
    expectStatus(await api.post('/announcements', theThirtyMillion(), key('import-1')), 201);
    const head = await ledger.storeHead();

    const reply = await api.post('/announcements', theThreeMillion(), key('import-1'));

    expect(reply.status).toBe(422);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(reply.json.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
    expect(await ledger.storeHead()).toBe(head);
  });

  it('is refused on another route too', async () => {
    const ledger = await startInjectedLedger();
    const api = clientOf(ledger);
    expectStatus(await api.post('/programmes', aProgramme(), key('shared-key')), 201);

    const reply = await api.post('/exchange-rates', anExchangeRate(), key('shared-key'));

    expect(reply.status).toBe(422);
    expect(await ledger.eventsIn('fx-')).toEqual([]);
  });
});

describe('keys belong to their API key', () => {
  it('lets two clients use the same Idempotency-Key for different requests', async () => {
    const ledger = await startInjectedLedger();
    const alice = clientOf(ledger, ledger.createKey('alice', ['read', 'write']));
    const bob = clientOf(ledger, ledger.createKey('bob', ['read', 'write']));
    await registerProgrammes(ledger);

    const fromAlice = await alice.post('/announcements', theThirtyMillion(), key('batch-1'));
    const fromBob = await bob.post('/announcements', theThreeMillion(), key('batch-1'));

    expect(fromAlice.status).toBe(201);
    expect(fromBob.status).toBe(201);
    expect(fromBob.json.id).not.toBe(fromAlice.json.id);
    expect(await ledger.eventsIn('announcement-')).toHaveLength(2);
  });
});

describe('concurrent requests with one key', () => {
  it('write once; every request gets the same answer', async () => {
    const ledger = await startInjectedLedger();
    await registerProgrammes(ledger);
    const api = clientOf(ledger);
    const head = BigInt(await ledger.storeHead());

    const replies = await Promise.all(Array.from({ length: 10 }, () => api.post('/announcements', theThirtyMillion(), key('burst-1'))));

    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(201));
    for (const reply of replies) expect(answerOf(reply)).toEqual(answerOf(replies[0]!));
    expect(await ledger.eventsIn('announcement-')).toHaveLength(1);
    expect(BigInt(await ledger.storeHead())).toBe(head + 1n);
  });

  it('write once for programme registrations too', async () => {
    const ledger = await startInjectedLedger();
    const api = clientOf(ledger);

    const replies = await Promise.all(Array.from({ length: 10 }, () => api.post('/programmes', aProgramme(), key('burst-programme'))));

    expect(replies.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(await ledger.eventsIn('programme-')).toHaveLength(1);
  });
});

describe('the Idempotency-Key header', () => {
  it('is refused when it is not 1-200 visible ASCII characters (400)', async () => {
    const ledger = await startInjectedLedger();

    const reply = await clientOf(ledger).post('/programmes', aProgramme(), key('x'.repeat(201)));

    expect(reply.status).toBe(400);
    expect(reply.json.errors).toEqual([expect.objectContaining({ field: 'Idempotency-Key' })]);
    expect(await ledger.storeHead()).toBe('0');
  });

  it('is recorded in the event metadata', async () => {
    const ledger = await startInjectedLedger();

    expectStatus(await clientOf(ledger).post('/programmes', aProgramme(), key('register-oic')), 201);

    const [event] = await ledger.eventsIn('programme-');
    expect(event!.metadata).toMatchObject({ actor: 'admin', idempotencyKey: 'register-oic' });
  });
});
