// Announcements over real HTTP: announce, show with ETag, amend with If-Match, withdraw, list with filters and paging.
import { describe, expect, it } from 'vitest';
import { announce, clientOf, errorFieldsOf, expectStatus, idsOf, startInjectedLedger } from '../support/ledger.js';
import {
  aLedgerWithProgrammes,
  aLedgerWithTheRealAnnouncements,
  anAnnouncement,
  registerProgrammes,
  theBalkansBorderTechnology,
  theGermanContribution,
  theSummitSplit,
  theThirtyMillion,
  theThreeMillion,
  theThreeMillionSplit,
} from '../support/scenarios.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('POST /announcements', () => {
  it('records the £30m announcement with its stated euro equivalent, unallocated', async () => {
    const ledger = await aLedgerWithProgrammes();

    const reply = await clientOf(ledger).post('/announcements', theThirtyMillion());

    expect(reply.status).toBe(201);
    expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
    expect(reply.json).toEqual({
      id: expect.stringMatching(UUID),
      status: 'active',
      funder: 'GB',
      programme: 'oic-supply-chains',
      title: '£30 million to tackle supply chains, illicit finances and trafficking routes',
      announcedOn: '2025-03-31',
      amount: { value: '30000000.00', currency: 'GBP' },
      statedEquivalent: { value: '36000000.00', currency: 'EUR' },
      tags: ['organised-immigration-crime', 'summit-london-2025'],
      revision: 0,
      position: expect.stringMatching(/^[1-9][0-9]*$/),
    });
    expect(reply.headers.get('etag')).toBe('"0"');
    expect(reply.headers.get('location')).toBe(`/announcements/${reply.json.id}`);
  });

  it('records the £3m announcement going to one country', async () => {
    const ledger = await aLedgerWithProgrammes();

    const reply = await clientOf(ledger).post('/announcements', theThreeMillion());

    expect(reply.status).toBe(201);
    expect(reply.json).toMatchObject({
      programme: 'cps-smuggling-prosecutions',
      amount: { value: '3000000.00', currency: 'GBP' },
      country: 'GB',
      statedEquivalent: { value: '3500000.00', currency: 'EUR' },
      status: 'active',
      revision: 0,
    });
    expect(reply.json).not.toHaveProperty('allocations');
  });

  it('keeps a client-chosen id and answers with it in Location', async () => {
    const ledger = await aLedgerWithProgrammes();
    const id = '6f0c2a4e-1b7d-4c3a-9e2f-8d5b6a7c9e01';

    const reply = await clientOf(ledger).post('/announcements', theThirtyMillion({ id }));

    expect(reply.status).toBe(201);
    expect(reply.json.id).toBe(id);
    expect(reply.headers.get('location')).toBe(`/announcements/${id}`);
  });

  it('records allocations that sum exactly to the amount', async () => {
    const ledger = await aLedgerWithProgrammes();
    const allocations = [
      { country: 'RS', value: '1000000.01' },
      { country: 'XK', value: '999999.99' },
      { country: 'MK', value: '1000000' },
    ];

    const reply = await clientOf(ledger).post('/announcements', theThreeMillion({ country: undefined, allocations }));

    expect(reply.status).toBe(201);
    expect(reply.json.allocations).toEqual([
      { country: 'RS', value: '1000000.01' },
      { country: 'XK', value: '999999.99' },
      { country: 'MK', value: '1000000.00' },
    ]);
    expect(reply.json).not.toHaveProperty('country');
  });

  it('records the event with its metadata: actor, correlation, causation, time and schema version', async () => {
    const ledger = await startInjectedLedger({ now: () => '2025-04-02T09:30:00.000Z' });
    await registerProgrammes(ledger);

    const reply = await clientOf(ledger).post('/announcements', theThirtyMillion(), { headers: { 'x-correlation-id': 'summit-import-1' } });

    expect(reply.status).toBe(201);
    const events = await ledger.eventsIn(`announcement-${reply.json.id}`);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'FundingAnnounced', revision: 0n });
    expect(events[0]!.metadata).toMatchObject({
      actor: 'admin',
      correlationId: 'summit-import-1',
      causationId: expect.any(String),
      recordedAt: '2025-04-02T09:30:00.000Z',
      schemaVersion: 2,
    });
    // Money is stored in integer minor units, never as a float.
    expect(events[0]!.data.amount).toEqual({ currency: 'GBP', minor: 3_000_000_000 });
  });
});

describe('GET /announcements/:id', () => {
  it('answers the current state with its revision as ETag', async () => {
    const ledger = await aLedgerWithProgrammes();
    const created = await announce(ledger, theThreeMillion());

    const reply = await clientOf(ledger).get(`/announcements/${created.id}`);

    expect(reply.status).toBe(200);
    expect(reply.headers.get('etag')).toBe('"0"');
    expect(reply.json).toEqual(created);
  });
});

describe('POST /announcements/:id/amendments', () => {
  it('amends with If-Match and a reason: 200, the new state and the next revision', async () => {
    const ledger = await aLedgerWithProgrammes();
    const api = clientOf(ledger);
    const created = await announce(ledger, theThirtyMillion());

    const reply = await api.post(
      `/announcements/${created.id}/amendments`,
      {
        changes: {
          allocations: theSummitSplit(),
        },
        reason: 'split announced at the summit',
      },
      { headers: { 'if-match': '"0"' } },
    );

    expect(reply.status).toBe(200);
    expect(reply.headers.get('etag')).toBe('"1"');
    expect(reply.json).toMatchObject({
      id: created.id,
      status: 'active',
      revision: 1,
      amount: { value: '30000000.00', currency: 'GBP' },
      allocations: theSummitSplit(),
    });
    expect(BigInt(reply.json.position)).toBeGreaterThan(BigInt(created.position));

    const shown = await api.get(`/announcements/${created.id}`);
    expect(shown.headers.get('etag')).toBe('"1"');
    expect(shown.json).toEqual(reply.json);
    const events = await ledger.eventsIn(`announcement-${created.id}`);
    expect(events.map((e) => e.type)).toEqual(['FundingAnnounced', 'FundingAmended']);
    expect(events[1]!.data.reason).toBe('split announced at the summit');
  });

  it('amends without If-Match too, and removes an optional field with null', async () => {
    const ledger = await aLedgerWithProgrammes();
    const created = await announce(ledger, theThreeMillion());

    const reply = await clientOf(ledger).post(`/announcements/${created.id}/amendments`, {
      changes: { statedEquivalent: null, title: 'CPS: £3m to prosecute smugglers' },
      reason: 'the euro figure was a press estimate',
    });

    expect(reply.status).toBe(200);
    expect(reply.json.revision).toBe(1);
    expect(reply.json.title).toBe('CPS: £3m to prosecute smugglers');
    expect(reply.json).not.toHaveProperty('statedEquivalent');
  });

  it('moves the money from allocations to one country, dropping the allocations', async () => {
    const ledger = await aLedgerWithProgrammes();
    const created = await announce(ledger, theThreeMillionSplit());

    const reply = await clientOf(ledger).post(`/announcements/${created.id}/amendments`, {
      changes: { country: 'GB' },
      reason: 'all of it stays in the UK',
    });

    expect(reply.status).toBe(200);
    expect(reply.json.country).toBe('GB');
    expect(reply.json).not.toHaveProperty('allocations');
  });

  it('refuses an amendment without a reason (400, field reason)', async () => {
    const ledger = await aLedgerWithProgrammes();
    const created = await announce(ledger, theThreeMillion());

    const reply = await clientOf(ledger).post(`/announcements/${created.id}/amendments`, { changes: { title: 'Another title' } });

    expect(reply.status).toBe(400);
    expect(reply.json.errors).toContainEqual(expect.objectContaining({ field: 'reason' }));
  });

  it('refuses an amendment that changes nothing (422)', async () => {
    const ledger = await aLedgerWithProgrammes();
    const created = await announce(ledger, theThreeMillion());

    const reply = await clientOf(ledger).post(`/announcements/${created.id}/amendments`, {
      changes: { country: 'GB' },
      reason: 'no real change',
    });

    expect(reply.status).toBe(422);
    expect(await ledger.eventsIn(`announcement-${created.id}`)).toHaveLength(1);
  });
});

describe('POST /announcements/:id/withdrawal', () => {
  it('withdraws: 200 with status withdrawn; afterwards amendments and a second withdrawal are refused with 422', async () => {
    const ledger = await aLedgerWithProgrammes();
    const api = clientOf(ledger);
    const created = await announce(ledger, theThreeMillion());

    const withdrawn = await api.post(
      `/announcements/${created.id}/withdrawal`,
      { reason: 'announced twice by mistake' },
      { headers: { 'if-match': '"0"' } },
    );

    expect(withdrawn.status).toBe(200);
    expect(withdrawn.headers.get('etag')).toBe('"1"');
    expect(withdrawn.json).toMatchObject({
      id: created.id,
      status: 'withdrawn',
      withdrawalReason: 'announced twice by mistake',
      revision: 1,
    });
    expect((await api.get(`/announcements/${created.id}`)).json.status).toBe('withdrawn');

    const amended = await api.post(`/announcements/${created.id}/amendments`, {
      changes: { title: 'Too late' },
      reason: 'after withdrawal',
    });
    expect(amended.status).toBe(422);
    expect(amended.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(amended.json.detail).toMatch(/withdrawn/);

    const again = await api.post(`/announcements/${created.id}/withdrawal`, { reason: 'withdraw once more' });
    expect(again.status).toBe(422);

    expect(await ledger.eventsIn(`announcement-${created.id}`)).toHaveLength(2);
  });
});

describe('GET /announcements', () => {
  /** The two real announcements plus three made-up ones that differ in funder, country, date and status. */
  async function aLedgerWithFiveAnnouncementsOneWithdrawn() {
    const { ledger, thirty, three } = await aLedgerWithTheRealAnnouncements();
    const balkans = await announce(ledger, theBalkansBorderTechnology());
    const german = await announce(ledger, theGermanContribution());
    const withdrawn = await announce(
      ledger,
      anAnnouncement({ title: 'Announced twice', announcedOn: '2025-01-15', statedEquivalent: undefined }),
    );
    expectStatus(await clientOf(ledger).post(`/announcements/${withdrawn.id}/withdrawal`, { reason: 'duplicate of the £30m' }), 200);
    return { ledger, ids: { thirty: thirty.id, three: three.id, balkans: balkans.id, german: german.id, withdrawn: withdrawn.id } };
  }

  it('lists every announcement in the order announced, with a null nextCursor when nothing is left', async () => {
    const { ledger, ids } = await aLedgerWithFiveAnnouncementsOneWithdrawn();

    const reply = await clientOf(ledger).get('/announcements');

    expect(reply.status).toBe(200);
    expect(idsOf(reply)).toEqual([ids.thirty, ids.three, ids.balkans, ids.german, ids.withdrawn]);
    expect(reply.json.nextCursor).toBeNull();
    expect(reply.json.items[4]).toMatchObject({ status: 'withdrawn', revision: 1 });
  });

  it.each([
    ['programme=cps-smuggling-prosecutions', ['three']],
    ['programme=oic-supply-chains', ['thirty', 'balkans', 'german', 'withdrawn']],
    ['country=GB', ['three']],
    ['country=RS', ['balkans', 'german']],
    ['country=XK', ['balkans']],
    ['country=unallocated', ['thirty', 'withdrawn']],
    ['funder=DE', ['german']],
    ['funder=GB', ['thirty', 'three', 'balkans', 'withdrawn']],
    ['status=withdrawn', ['withdrawn']],
    ['status=active', ['thirty', 'three', 'balkans', 'german']],
    ['announcedFrom=2025-04-01', ['balkans', 'german']],
    ['announcedTo=2025-03-31', ['thirty', 'three', 'withdrawn']],
    ['announcedFrom=2025-03-31&announcedTo=2025-04-17', ['thirty', 'three', 'balkans']],
    ['funder=GB&country=RS', ['balkans']],
    ['programme=oic-supply-chains&status=active&announcedFrom=2025-04-01', ['balkans', 'german']],
    ['country=FR', []],
  ] as const)('filters with ?%s', async (query, expected) => {
    const { ledger, ids } = await aLedgerWithFiveAnnouncementsOneWithdrawn();

    const reply = await clientOf(ledger).get(`/announcements?${query}`);

    expect(reply.status).toBe(200);
    expect(idsOf(reply)).toEqual(expected.map((name) => ids[name]));
    expect(reply.json.nextCursor).toBeNull();
  });

  it('refuses a bad filter value with the query field named (400)', async () => {
    const ledger = await aLedgerWithProgrammes();

    const reply = await clientOf(ledger).get('/announcements?country=gb&announcedFrom=2025-02-30&limit=0');

    expect(reply.status).toBe(400);
    expect(errorFieldsOf(reply).sort()).toEqual(['announcedFrom', 'country', 'limit']);
  });

  it('pages with limit and cursor until nextCursor is null, each announcement exactly once', async () => {
    const ledger = await aLedgerWithProgrammes();
    const api = clientOf(ledger);
    const announced: string[] = [];
    for (let day = 1; day <= 7; day += 1) {
      announced.push((await announce(ledger, anAnnouncement({ title: `Announcement ${day}`, announcedOn: `2025-05-0${day}` }))).id);
    }

    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? '?limit=3' : `?limit=3&cursor=${encodeURIComponent(cursor)}`;
      const reply = await api.get(`/announcements${query}`);
      expect(reply.status).toBe(200);
      pages.push(idsOf(reply));
      cursor = reply.json.nextCursor as string | null;
    } while (cursor !== null && pages.length < 10);

    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(announced);
  });

  it('gives a null nextCursor on the last full page, and pages through a filter', async () => {
    const ledger = await aLedgerWithProgrammes();
    const api = clientOf(ledger);
    const gb: string[] = [];
    for (let n = 1; n <= 6; n += 1) {
      gb.push((await announce(ledger, theThreeMillion({ title: `To GB ${n}` }))).id);
      await announce(ledger, theThreeMillion({ title: `To FR ${n}`, country: 'FR' }));
    }

    const first = await api.get('/announcements?country=GB&limit=3');
    const second = await api.get(`/announcements?country=GB&limit=3&cursor=${encodeURIComponent(first.json.nextCursor)}`);

    expect(idsOf(first)).toEqual(gb.slice(0, 3));
    expect(first.json.nextCursor).toEqual(expect.any(String));
    expect(idsOf(second)).toEqual(gb.slice(3));
    expect(second.json.nextCursor).toBeNull();
  });

  it('refuses a cursor it did not give out (400, field cursor)', async () => {
    const ledger = await aLedgerWithProgrammes();

    const reply = await clientOf(ledger).get('/announcements?cursor=not-a-cursor');

    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(reply.json.errors).toContainEqual(expect.objectContaining({ field: 'cursor' }));
  });
});
