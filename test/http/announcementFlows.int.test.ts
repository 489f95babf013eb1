// Commitments and disbursements over HTTP: recorded through the one write helper, shown on the announcement and in its history.
import { describe, expect, it } from 'vitest';
import { announce, clientOf, errorFieldsOf, expectStatus } from '../support/ledger.js';
import { aLedgerWithProgrammes, theThirtyMillion, theThreeMillion, theThreeMillionSplit } from '../support/scenarios.js';

const key = (value: string) => ({ headers: { 'idempotency-key': value } });

describe('POST /announcements/:id/commitments', () => {
  it('records a commitment: 201, Location, ETag, and the announcement with its commitments and their sum', async () => {
    const ledger = await aLedgerWithProgrammes();
    const { id } = await announce(ledger, theThirtyMillion());

    const reply = await clientOf(ledger).post(`/announcements/${id}/commitments`, {
      value: '10000000.00',
      on: '2025-05-01',
      source: { url: 'https://www.gov.uk/contracts/1' },
    });

    expect(reply.status).toBe(201);
    expect(reply.headers.get('location')).toBe(`/announcements/${id}`);
    expect(reply.headers.get('etag')).toBe('"1"');
    expect(reply.json).toMatchObject({
      id,
      revision: 1,
      commitments: [{ value: '10000000.00', on: '2025-05-01', source: { url: 'https://www.gov.uk/contracts/1' } }],
      committed: '10000000.00',
    });
    expect(reply.json).not.toHaveProperty('disbursements');
    const events = await ledger.eventsIn(`announcement-${id}`);
    expect(events[1]).toMatchObject({ type: 'FundingCommitted', data: { amount: { currency: 'GBP', minor: 1_000_000_000 } } });
    expect(events[1]!.metadata).toMatchObject({ schemaVersion: 2 });
  });

  it('takes a negative correction with a reason, and refuses one without (422 naming reason)', async () => {
    const ledger = await aLedgerWithProgrammes();
    const { id } = await announce(ledger, theThirtyMillion());
    const api = clientOf(ledger);
    expectStatus(await api.post(`/announcements/${id}/commitments`, { value: '5000000.00', on: '2025-05-01' }), 201);

    const without = await api.post(`/announcements/${id}/commitments`, { value: '-1000000.00', on: '2025-06-01' });
    const corrected = await api.post(`/announcements/${id}/commitments`, {
      value: '-1000000.00',
      on: '2025-06-01',
      reason: 'contract re-let',
    });

    expect(without.status).toBe(422);
    expect(without.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(errorFieldsOf(without)).toEqual(['reason']);
    expect(corrected.status).toBe(201);
    expect(corrected.json.committed).toBe('4000000.00');
    expect(corrected.json.commitments[1]).toEqual({ value: '-1000000.00', on: '2025-06-01', reason: 'contract re-let' });
  });

  it('keeps the sum within 0..amount and refuses zero: 422 naming value; a malformed value is 400 naming it', async () => {
    const ledger = await aLedgerWithProgrammes();
    const { id } = await announce(ledger, theThreeMillion());
    const api = clientOf(ledger);

    const over = await api.post(`/announcements/${id}/commitments`, { value: '3000000.01', on: '2025-05-01' });
    const zero = await api.post(`/announcements/${id}/commitments`, { value: '0.00', on: '2025-05-01' });
    const below = await api.post(`/announcements/${id}/commitments`, { value: '-1.00', on: '2025-05-01', reason: 'a correction' });
    const malformed = await api.post(`/announcements/${id}/commitments`, { value: '1.001', on: '2025-05-01' });
    const number = await api.post(`/announcements/${id}/commitments`, { value: 12, on: '2025-05-01' });

    for (const reply of [over, zero, below]) {
      expect(reply.status).toBe(422);
      expect(errorFieldsOf(reply)).toEqual(['value']);
    }
    expect(malformed.status).toBe(400);
    expect(errorFieldsOf(malformed)).toEqual(['value']);
    expect(number.status).toBe(400);
  });

  it('answers 404 for an unknown announcement and 422 once it is withdrawn', async () => {
    const ledger = await aLedgerWithProgrammes();
    const { id } = await announce(ledger, theThirtyMillion());
    const api = clientOf(ledger);
    const unknown = await api.post('/announcements/6f0c2a4e-1b7d-4c3a-9e2f-8d5b6a7c9e01/commitments', { value: '1.00', on: '2025-05-01' });
    expectStatus(await api.post(`/announcements/${id}/withdrawal`, { reason: 'announced twice' }), 200);

    const after = await api.post(`/announcements/${id}/commitments`, { value: '1.00', on: '2025-05-01' });

    expect(unknown.status).toBe(404);
    expect(after.status).toBe(422);
    expect(after.json.detail).toMatch(/withdrawn/);
  });

  it('replays a retry with the same Idempotency-Key and records nothing more', async () => {
    const ledger = await aLedgerWithProgrammes();
    const { id } = await announce(ledger, theThirtyMillion());
    const api = clientOf(ledger);
    const body = { value: '1000.00', on: '2025-05-01' };

    const first = await api.post(`/announcements/${id}/commitments`, body, key('commit-1'));
    const retry = await api.post(`/announcements/${id}/commitments`, body, key('commit-1'));
    const reused = await api.post(`/announcements/${id}/commitments`, { ...body, value: '2000.00' }, key('commit-1'));

    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.json).toEqual(first.json);
    expect(retry.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(reused.status).toBe(422);
    expect(await ledger.eventsIn(`announcement-${id}`)).toHaveLength(2);
  });

  it('refuses a stale If-Match with 412 and takes the current one', async () => {
    const ledger = await aLedgerWithProgrammes();
    const { id } = await announce(ledger, theThirtyMillion());
    const api = clientOf(ledger);
    expectStatus(await api.post(`/announcements/${id}/commitments`, { value: '1.00', on: '2025-05-01' }), 201);

    const stale = await api.post(
      `/announcements/${id}/commitments`,
      { value: '1.00', on: '2025-05-02' },
      { headers: { 'if-match': '"0"' } },
    );
    const current = await api.post(
      `/announcements/${id}/commitments`,
      { value: '1.00', on: '2025-05-02' },
      { headers: { 'if-match': '"1"' } },
    );

    expect(stale.status).toBe(412);
    expect(current.status).toBe(201);
    expect(current.headers.get('etag')).toBe('"2"');
  });
});

describe('POST /announcements/:id/disbursements', () => {
  it("records a disbursement to the announcement's one country when none is named", async () => {
    const ledger = await aLedgerWithProgrammes();
    const { id } = await announce(ledger, theThreeMillion());

    const reply = await clientOf(ledger).post(`/announcements/${id}/disbursements`, { value: '1000000.00', on: '2025-07-01' });

    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({
      disbursements: [{ value: '1000000.00', on: '2025-07-01', country: 'GB' }],
      disbursed: '1000000.00',
    });
  });

  it('needs one of the allocations when there are several (422 naming country)', async () => {
    const ledger = await aLedgerWithProgrammes();
    const { id } = await announce(ledger, theThreeMillionSplit());
    const api = clientOf(ledger);

    const unnamed = await api.post(`/announcements/${id}/disbursements`, { value: '1.00', on: '2025-07-01' });
    const elsewhere = await api.post(`/announcements/${id}/disbursements`, { value: '1.00', on: '2025-07-01', country: 'FR' });
    const kosovo = await api.post(`/announcements/${id}/disbursements`, { value: '1.00', on: '2025-07-01', country: 'XK' });

    expect(unnamed.status).toBe(422);
    expect(errorFieldsOf(unnamed)).toEqual(['country']);
    expect(elsewhere.status).toBe(422);
    expect(errorFieldsOf(elsewhere)).toEqual(['country']);
    expect(kosovo.status).toBe(201);
    expect(kosovo.json.disbursements[0].country).toBe('XK');
  });

  it('refuses an amendment of the amount below what was disbursed, or of its currency', async () => {
    const ledger = await aLedgerWithProgrammes();
    const { id } = await announce(ledger, theThreeMillion());
    const api = clientOf(ledger);
    expectStatus(await api.post(`/announcements/${id}/disbursements`, { value: '2000000.00', on: '2025-07-01' }), 201);

    const lower = await api.post(`/announcements/${id}/amendments`, {
      changes: { amount: { value: '1999999.99', currency: 'GBP' } },
      reason: 'corrected',
    });
    const euros = await api.post(`/announcements/${id}/amendments`, {
      changes: { amount: { value: '3000000.00', currency: 'EUR' } },
      reason: 'corrected',
    });

    expect(lower.status).toBe(422);
    expect(errorFieldsOf(lower)).toEqual(['changes.amount.value']);
    expect(euros.status).toBe(422);
    // The £3m quotes a euro equivalent, which a euro amount would also contradict.
    expect(errorFieldsOf(euros)).toEqual(['changes.statedEquivalent.currency', 'changes.amount.currency']);
  });
});

describe('reading commitments and disbursements', () => {
  it('GET /announcements/:id lists them with their positions and sums; the list shows them too', async () => {
    const ledger = await aLedgerWithProgrammes();
    const { id } = await announce(ledger, theThreeMillion());
    const api = clientOf(ledger);
    const committed = expectStatus(await api.post(`/announcements/${id}/commitments`, { value: '3000000.00', on: '2025-05-01' }), 201);
    const disbursed = expectStatus(await api.post(`/announcements/${id}/disbursements`, { value: '500000.00', on: '2025-07-01' }), 201);

    const shown = await api.get(`/announcements/${id}`);
    const listed = await api.get('/announcements');

    expect(shown.json).toMatchObject({
      commitments: [{ value: '3000000.00', on: '2025-05-01', position: committed.json.position }],
      committed: '3000000.00',
      disbursements: [{ value: '500000.00', on: '2025-07-01', country: 'GB', position: disbursed.json.position }],
      disbursed: '500000.00',
      revision: 2,
    });
    expect(listed.json.items[0]).toMatchObject({ committed: '3000000.00', disbursed: '500000.00' });
  });

  it('GET /announcements/:id/history shows each as a version', async () => {
    const ledger = await aLedgerWithProgrammes();
    const { id } = await announce(ledger, theThreeMillion());
    const api = clientOf(ledger);
    expectStatus(await api.post(`/announcements/${id}/commitments`, { value: '3000000.00', on: '2025-05-01' }), 201);
    expectStatus(await api.post(`/announcements/${id}/disbursements`, { value: '-0.00', on: '2025-07-01' }), 422);
    expectStatus(
      await api.post(`/announcements/${id}/disbursements`, { value: '500000.00', on: '2025-07-01', reason: 'first tranche' }),
      201,
    );

    const versions = (await api.get(`/announcements/${id}/history`)).json.versions;

    expect(versions).toHaveLength(3);
    expect(versions[1]).toMatchObject({
      event: 'FundingCommitted',
      reason: null,
      changed: ['commitments', 'committed'],
      changes: { value: '3000000.00', on: '2025-05-01' },
      state: { committed: '3000000.00', revision: 1 },
    });
    expect(versions[2]).toMatchObject({
      event: 'FundingDisbursed',
      reason: 'first tranche',
      changed: ['disbursements', 'disbursed'],
      changes: { value: '500000.00', country: 'GB' },
      state: { disbursed: '500000.00', revision: 2 },
    });
  });
});
