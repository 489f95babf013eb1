// Restarts over real HTTP: programmes, announcements, rates and idempotency keys survive closing and starting on the same DATA_DIR.
import { describe, expect, it } from 'vitest';
import { announce, clientOf, expectStatus, itemsOf, startTestLedger } from '../support/ledger.js';
import { anExchangeRate, registerProgrammes, theThirtyMillion, theThreeMillion } from '../support/scenarios.js';

describe('after a restart on the same data directory', () => {
  it('shows the same programmes, announcements, rates and position', async () => {
    const before = await startTestLedger();
    await registerProgrammes(before);
    const thirty = await announce(before, theThirtyMillion());
    const three = await announce(before, theThreeMillion());
    const api = clientOf(before);
    expectStatus(
      await api.post(`/announcements/${thirty.id}/amendments`, {
        changes: { allocations: [{ country: 'RS', value: '30000000.00' }] },
        reason: 'all to Serbia',
      }),
      200,
    );
    expectStatus(await api.post(`/announcements/${three.id}/withdrawal`, { reason: 'duplicate' }), 200);
    expectStatus(await api.post('/exchange-rates', anExchangeRate()), 201);
    const paths = [
      '/programmes',
      '/programmes/oic-supply-chains',
      `/announcements/${thirty.id}`,
      `/announcements/${three.id}`,
      '/announcements',
      '/announcements?country=RS',
      '/exchange-rates',
      '/health/ready',
    ];
    const seen = await Promise.all(paths.map(async (path) => [path, (await api.get(path)).json] as const));

    const after = await before.restart();
    const again = await Promise.all(paths.map(async (path) => [path, (await clientOf(after).get(path)).json] as const));

    expect(after.baseUrl).not.toBe(before.baseUrl);
    expect(again).toEqual(seen);
    expect(again.find(([path]) => path === '/health/ready')?.[1]).toMatchObject({ ready: true, position: '7', caughtUp: true });
    const shown = await clientOf(after).get(`/announcements/${thirty.id}`);
    expect(shown.headers.get('etag')).toBe('"1"');
    expect(shown.json).toMatchObject({ allocations: [{ country: 'RS', value: '30000000.00' }], revision: 1 });
  });

  it('takes new writes, continuing revisions and positions, and still enforces the rules', async () => {
    const before = await startTestLedger();
    await registerProgrammes(before);
    const thirty = await announce(before, theThirtyMillion());

    const after = await before.restart();
    const api = clientOf(after);
    const amended = await api.post(
      `/announcements/${thirty.id}/amendments`,
      { changes: { title: 'After restart' }, reason: 'checking' },
      { headers: { 'if-match': '"0"' } },
    );
    const duplicate = await api.post('/programmes', { code: 'oic-supply-chains', name: 'Again' });
    const stale = await api.post(`/announcements/${thirty.id}/withdrawal`, { reason: 'stale' }, { headers: { 'if-match': '"0"' } });

    expect(amended.status).toBe(200);
    expect(amended.json).toMatchObject({ revision: 1, position: '4' });
    expect(duplicate.status).toBe(409);
    expect(stale.status).toBe(412);
  });

  it('answers a retried Idempotency-Key with the first answer, and refuses it with another body', async () => {
    const before = await startTestLedger();
    await registerProgrammes(before);
    const first = await clientOf(before).post('/announcements', theThirtyMillion(), { headers: { 'idempotency-key': 'import-oic' } });
    const rate = await clientOf(before).post('/exchange-rates', anExchangeRate(), { headers: { 'idempotency-key': 'rate-oic' } });
    expectStatus(first, 201);

    const after = await before.restart();
    const api = clientOf(after);
    const head = await after.storeHead();
    const retry = await api.post('/announcements', theThirtyMillion(), { headers: { 'idempotency-key': 'import-oic' } });
    const retriedRate = await api.post('/exchange-rates', anExchangeRate(), { headers: { 'idempotency-key': 'rate-oic' } });
    const reused = await api.post('/announcements', theThreeMillion(), { headers: { 'idempotency-key': 'import-oic' } });

    expect(retry.status).toBe(201);
    expect(retry.json).toEqual(first.json);
    expect(retry.headers.get('location')).toBe(first.headers.get('location'));
    expect(retriedRate.json).toEqual(rate.json);
    expect(reused.status).toBe(422);
    expect(await after.storeHead()).toBe(head);
    expect(await after.eventsIn('announcement-')).toHaveLength(1);
  });

  it('answers concurrent retries after a restart with one answer and no write', async () => {
    const before = await startTestLedger();
    await registerProgrammes(before);
    const first = expectStatus(
      await clientOf(before).post('/announcements', theThreeMillion(), { headers: { 'idempotency-key': 'k' } }),
      201,
    );

    const after = await before.restart();
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => clientOf(after).post('/announcements', theThreeMillion(), { headers: { 'idempotency-key': 'k' } })),
    );

    for (const reply of replies) {
      expect(reply.status).toBe(201);
      expect(reply.json).toEqual(first.json);
    }
    expect(await after.eventsIn('announcement-')).toHaveLength(1);
  });

  it('survives several restarts in a row', async () => {
    let ledger = await startTestLedger();
    await registerProgrammes(ledger);
    for (let round = 1; round <= 3; round += 1) {
      await announce(ledger, theThirtyMillion({ title: `Round ${round}` }));
      ledger = await ledger.restart();
    }

    const list = await clientOf(ledger).get('/announcements');

    expect(itemsOf<{ title: string }>(list).map((a) => a.title)).toEqual(['Round 1', 'Round 2', 'Round 3']);
  });
});
