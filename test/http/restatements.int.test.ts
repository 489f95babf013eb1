// Re-announcements over HTTP: restated parts on announce and amend, refused with 422 naming the field, shown both ways.
import { describe, expect, it } from 'vitest';
import { announce, clientOf, errorFieldsOf, expectStatus } from '../support/ledger.js';
import { aLedgerWithProgrammes, eur, gbp, theGermanContribution, theThirtyMillion, theThreeMillion } from '../support/scenarios.js';

const restating = (announcement: string, value: string) => ({ announcement, value });

describe('restates on POST /announcements', () => {
  it('records the restated parts and shows them on both announcements', async () => {
    const ledger = await aLedgerWithProgrammes();
    const earlier = await announce(ledger, theThirtyMillion());
    const api = clientOf(ledger);

    const later = await api.post('/announcements', theThreeMillion({ restates: [restating(earlier.id, '2000000.00')] }));
    const shown = await api.get(`/announcements/${earlier.id}`);

    expect(later.status).toBe(201);
    expect(later.json.restates).toEqual([{ announcement: earlier.id, value: '2000000.00' }]);
    expect(shown.json.restatedBy).toEqual([{ announcement: later.json.id, value: '2000000.00' }]);
    const listed = (await api.get('/announcements')).json.items;
    expect(listed[0].restatedBy).toEqual([{ announcement: later.json.id, value: '2000000.00' }]);
    expect(listed[1].restates).toEqual([{ announcement: earlier.id, value: '2000000.00' }]);
  });

  it('refuses parts beyond what others have not restated, over the amount, or in another currency: 422 naming the field', async () => {
    const ledger = await aLedgerWithProgrammes();
    const earlier = await announce(ledger, theThreeMillion());
    const euros = await announce(ledger, theGermanContribution());
    const api = clientOf(ledger);
    expectStatus(await api.post('/announcements', theThirtyMillion({ restates: [restating(earlier.id, '2000000.00')] })), 201);

    const beyond = await api.post('/announcements', theThirtyMillion({ restates: [restating(earlier.id, '1000000.01')] }));
    const over = await api.post(
      '/announcements',
      theThreeMillion({ amount: gbp('1000000.00'), statedEquivalent: undefined, restates: [restating(earlier.id, '1000000.01')] }),
    );
    const otherCurrency = await api.post('/announcements', theThirtyMillion({ restates: [restating(euros.id, '1.00')] }));

    expect(beyond.status).toBe(422);
    expect(beyond.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(errorFieldsOf(beyond)).toEqual(['restates[0].value']);
    expect(errorFieldsOf(over)).toEqual(['restates[0].value', 'restates']);
    expect(errorFieldsOf(otherCurrency)).toEqual(['restates[0].value']);
  });

  it('refuses an unknown, withdrawn or repeated earlier announcement, or itself: 422 naming restates[i].announcement', async () => {
    const ledger = await aLedgerWithProgrammes();
    const earlier = await announce(ledger, theThirtyMillion());
    const gone = await announce(ledger, theThreeMillion());
    const api = clientOf(ledger);
    expectStatus(await api.post(`/announcements/${gone.id}/withdrawal`, { reason: 'announced twice' }), 200);
    const self = '6f0c2a4e-1b7d-4c3a-9e2f-8d5b6a7c9e01';

    const reply = await api.post(
      '/announcements',
      theThirtyMillion({
        id: self,
        restates: [
          restating('6f0c2a4e-1b7d-4c3a-9e2f-8d5b6a7c9e02', '1.00'),
          restating(gone.id, '1.00'),
          restating(earlier.id, '1.00'),
          restating(earlier.id, '1.00'),
          restating(self, '1.00'),
        ],
      }),
    );

    expect(reply.status).toBe(422);
    expect(errorFieldsOf(reply)).toEqual([
      'restates[0].announcement',
      'restates[1].announcement',
      'restates[3].announcement',
      'restates[4].announcement',
    ]);
  });

  it('answers a malformed part with 400 naming it', async () => {
    const ledger = await aLedgerWithProgrammes();
    const earlier = await announce(ledger, theThirtyMillion());
    const api = clientOf(ledger);

    const zero = await api.post('/announcements', theThreeMillion({ restates: [restating(earlier.id, '0.00')] }));
    const notAnId = await api.post('/announcements', theThreeMillion({ restates: [restating('nope', '1.00')] }));

    expect(zero.status).toBe(400);
    expect(errorFieldsOf(zero)).toEqual(['restates[0].value']);
    expect(notAnId.status).toBe(400);
    expect(errorFieldsOf(notAnId)).toEqual(['restates[0].announcement']);
  });
});

describe('restates on amendments', () => {
  it('changes and removes the parts of the later announcement, and refuses a cycle', async () => {
    const ledger = await aLedgerWithProgrammes();
    const api = clientOf(ledger);
    const a = await announce(ledger, theThirtyMillion());
    const b = await announce(ledger, theThreeMillion({ restates: [restating(a.id, '1000000.00')] }));

    const cycle = await api.post(`/announcements/${a.id}/amendments`, {
      changes: { restates: [restating(b.id, '1.00')] },
      reason: 'cycle',
    });
    const changed = await api.post(`/announcements/${b.id}/amendments`, {
      changes: { restates: [restating(a.id, '3000000.00')] },
      reason: 'all of it',
    });
    const removed = await api.post(`/announcements/${b.id}/amendments`, { changes: { restates: null }, reason: 'new money after all' });

    expect(cycle.status).toBe(422);
    expect(errorFieldsOf(cycle)).toEqual(['changes.restates[0].announcement']);
    expect(changed.status).toBe(200);
    expect(changed.json.restates).toEqual([{ announcement: a.id, value: '3000000.00' }]);
    expect(removed.status).toBe(200);
    expect(removed.json).not.toHaveProperty('restates');
    expect((await api.get(`/announcements/${a.id}`)).json).not.toHaveProperty('restatedBy');
  });

  it('refuses lowering a restated announcement below what others restate, or changing its currency', async () => {
    const ledger = await aLedgerWithProgrammes();
    const api = clientOf(ledger);
    const a = await announce(ledger, theThirtyMillion({ statedEquivalent: undefined }));
    expectStatus(await api.post('/announcements', theThreeMillion({ restates: [restating(a.id, '3000000.00')] })), 201);

    const lower = await api.post(`/announcements/${a.id}/amendments`, { changes: { amount: gbp('2999999.99') }, reason: 'corrected' });
    const euros = await api.post(`/announcements/${a.id}/amendments`, { changes: { amount: eur('30000000.00') }, reason: 'corrected' });
    const enough = await api.post(`/announcements/${a.id}/amendments`, { changes: { amount: gbp('3000000.00') }, reason: 'corrected' });

    expect(lower.status).toBe(422);
    expect(errorFieldsOf(lower)).toEqual(['changes.amount.value']);
    expect(euros.status).toBe(422);
    expect(errorFieldsOf(euros)).toEqual(['changes.amount.currency']);
    expect(enough.status).toBe(200);
  });

  it('shows the restated parts of an amendment in the history', async () => {
    const ledger = await aLedgerWithProgrammes();
    const api = clientOf(ledger);
    const a = await announce(ledger, theThirtyMillion());
    const b = await announce(ledger, theThreeMillion());
    expectStatus(
      await api.post(`/announcements/${b.id}/amendments`, { changes: { restates: [restating(a.id, '5.00')] }, reason: 'restated' }),
      200,
    );

    const versions = (await api.get(`/announcements/${b.id}/history`)).json.versions;

    expect(versions[1]).toMatchObject({
      changed: ['restates'],
      changes: { restates: [{ announcement: a.id, value: '5.00' }] },
      state: { restates: [{ announcement: a.id, value: '5.00' }] },
    });
  });
});
