// Programmes over real HTTP: register once, show, list, rename.
import { describe, expect, it } from 'vitest';
import { clientOf, expectStatus, itemsOf, startInjectedLedger } from '../support/ledger.js';
import { aProgramme, registerProgrammes, theProgrammes } from '../support/scenarios.js';

describe('POST /programmes', () => {
  it('registers a programme: 201 with Location, ETag and the programme', async () => {
    const ledger = await startInjectedLedger({ now: () => '2025-04-02T08:00:00.000Z' });

    const reply = await clientOf(ledger).post('/programmes', aProgramme());

    expect(reply.status).toBe(201);
    expect(reply.headers.get('location')).toBe('/programmes/oic-supply-chains');
    expect(reply.headers.get('etag')).toBe('"0"');
    expect(reply.json).toEqual({
      code: 'oic-supply-chains',
      name: 'Organised immigration crime: supply chains, illicit finance and trafficking routes',
      description: 'Funding to tackle the supply chains, illicit finances and trafficking routes of people-smuggling gangs.',
      registeredAt: '2025-04-02T08:00:00.000Z',
      revision: 0,
      position: '1',
    });
    const events = await ledger.eventsIn('programme-');
    expect(events.map((e) => [e.stream, e.type])).toEqual([['programme-oic-supply-chains', 'ProgrammeRegistered']]);
  });

  it('defaults the description to empty', async () => {
    const ledger = await startInjectedLedger();

    const reply = await clientOf(ledger).post('/programmes', { code: 'western-balkans', name: 'Western Balkans' });

    expect(reply.status).toBe(201);
    expect(reply.json.description).toBe('');
  });
});

describe('GET /programmes and /programmes/:code', () => {
  it('lists registered programmes by code and shows one with its ETag', async () => {
    const ledger = await startInjectedLedger();
    await registerProgrammes(ledger);
    const api = clientOf(ledger);

    const list = await api.get('/programmes');
    const one = await api.get('/programmes/cps-smuggling-prosecutions');

    expect(list.status).toBe(200);
    expect(itemsOf<{ code: string }>(list).map((p) => p.code)).toEqual(['cps-smuggling-prosecutions', 'oic-supply-chains']);
    expect(list.json.position).toBe('2');
    expect(one.status).toBe(200);
    expect(one.headers.get('etag')).toBe('"0"');
    expect(one.json).toMatchObject({ ...theProgrammes()[1], revision: 0 });
  });
});

describe('POST /programmes/:code/rename', () => {
  it('renames with a reason and If-Match: 200 and the next revision', async () => {
    const ledger = await startInjectedLedger();
    await registerProgrammes(ledger);
    const api = clientOf(ledger);

    const reply = await api.post(
      '/programmes/oic-supply-chains/rename',
      { name: 'OIC supply chains', reason: 'shorter name' },
      { headers: { 'if-match': '"0"' } },
    );

    expect(reply.status).toBe(200);
    expect(reply.headers.get('etag')).toBe('"1"');
    expect(reply.json).toMatchObject({ code: 'oic-supply-chains', name: 'OIC supply chains', revision: 1 });
    expect((await api.get('/programmes')).json.items[1]).toMatchObject({
      code: 'oic-supply-chains',
      name: 'OIC supply chains',
      revision: 1,
    });
    expectStatus(
      await api.post('/programmes/oic-supply-chains/rename', { name: 'Stale', reason: 'stale copy' }, { headers: { 'if-match': '"0"' } }),
      412,
    );
  });
});
