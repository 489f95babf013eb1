// GET /announcements/:id/history over real HTTP: every version, with the event, who, when, why, what changed and the state then.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Clock } from '../audit/ledgerHistory.js';
import { clientOf, expectStatus, startInjectedLedger, type Reply } from '../support/ledger.js';
import { registerProgrammes, theThirtyMillion, type Body } from '../support/scenarios.js';

const at = (minute: number): string => `2025-04-02T09:${String(minute).padStart(2, '0')}:00.000Z`;

/** The state as the write answered it; history shows states without the global position. */
function stateOf(reply: Reply): Body {
  const { position: _position, ...state } = reply.json as Body;
  return state;
}

/** The £30m announced by admin, amended twice (by clerk, then admin), then withdrawn by clerk, a minute apart. */
async function anAnnouncementWithFourVersions() {
  const clock = new Clock(at(0));
  const ledger = await startInjectedLedger({ now: clock.now });
  const clerk = ledger.createKey('clerk', ['read', 'write']);
  const admin = clientOf(ledger);
  const asClerk = clientOf(ledger, clerk);
  await registerProgrammes(ledger);

  clock.set(at(1));
  const announced = expectStatus(await admin.post('/announcements', theThirtyMillion()), 201);
  const id = announced.json.id as string;
  clock.set(at(2));
  const firstAmendment = expectStatus(
    await asClerk.post(
      `/announcements/${id}/amendments`,
      {
        changes: { title: '£31 million for supply chains', amount: { currency: 'GBP', value: '31000000.00' } },
        reason: 'the press release was corrected',
      },
      { headers: { 'x-correlation-id': 'ticket-4711' } },
    ),
    200,
  );
  clock.set(at(3));
  const secondAmendment = expectStatus(
    await admin.post(`/announcements/${id}/amendments`, {
      changes: {
        allocations: [
          { country: 'GB', value: '21000000.00' },
          { country: 'FR', value: '10000000.00' },
        ],
        statedEquivalent: null,
      },
      reason: 'allocated between the UK and France',
    }),
    200,
  );
  clock.set(at(4));
  const withdrawal = expectStatus(await asClerk.post(`/announcements/${id}/withdrawal`, { reason: 'announced twice by mistake' }), 200);
  return {
    ledger,
    id,
    replies: [announced, firstAmendment, secondAmendment, withdrawal],
    reader: clientOf(ledger, ledger.createKey('reader', ['read'])),
  };
}

describe('GET /announcements/:id/history', () => {
  it('answers every version, oldest first, with its event, revision and position', async () => {
    const { id, reader } = await anAnnouncementWithFourVersions();

    const reply = await reader.get(`/announcements/${id}/history`);

    expect(reply.status).toBe(200);
    expect(reply.json.id).toBe(id);
    expect(reply.json.versions.map((v: Body) => [v.revision, v.position, v.event])).toEqual([
      [0, '3', 'FundingAnnounced'],
      [1, '4', 'FundingAmended'],
      [2, '5', 'FundingAmended'],
      [3, '6', 'FundingWithdrawn'],
    ]);
  });

  it('says who wrote each version, when, under which correlation id, and why', async () => {
    const { id, reader } = await anAnnouncementWithFourVersions();

    const versions = (await reader.get(`/announcements/${id}/history`)).json.versions as Body[];

    expect(versions.map((v) => [v.actor, v.recordedAt, v.reason])).toEqual([
      ['admin', at(1), null],
      ['clerk', at(2), 'the press release was corrected'],
      ['admin', at(3), 'allocated between the UK and France'],
      ['clerk', at(4), 'announced twice by mistake'],
    ]);
    expect(versions[1]!.correlationId).toBe('ticket-4711');
    expect(versions.every((v) => typeof v.correlationId === 'string' && typeof v.eventId === 'string')).toBe(true);
  });

  it("names the fields each version set or changed, and shows an amendment's changes as sent", async () => {
    const { id, reader } = await anAnnouncementWithFourVersions();

    const versions = (await reader.get(`/announcements/${id}/history`)).json.versions as Body[];

    expect((versions[0]!.changed as string[]).sort()).toEqual([
      'amount',
      'announcedOn',
      'funder',
      'programme',
      'statedEquivalent',
      'tags',
      'title',
    ]);
    expect(versions[0]).not.toHaveProperty('changes');
    expect((versions[1]!.changed as string[]).sort()).toEqual(['amount', 'title']);
    expect(versions[1]!.changes).toEqual({ title: '£31 million for supply chains', amount: { currency: 'GBP', value: '31000000.00' } });
    expect((versions[2]!.changed as string[]).sort()).toEqual(['allocations', 'statedEquivalent']);
    expect(versions[2]!.changes).toEqual({
      allocations: [
        { country: 'GB', value: '21000000.00' },
        { country: 'FR', value: '10000000.00' },
      ],
      statedEquivalent: null,
    });
    expect(versions[3]!.changed).toEqual(['status']);
  });

  it('shows the whole announcement as it stood at each version: what the write answered then', async () => {
    const { id, reader, replies } = await anAnnouncementWithFourVersions();

    const versions = (await reader.get(`/announcements/${id}/history`)).json.versions as Body[];

    expect(versions.map((v) => v.state)).toEqual(replies.map(stateOf));
    expect(versions[0]!.state).toMatchObject({
      status: 'active',
      title: theThirtyMillion().title,
      amount: { currency: 'GBP', value: '30000000.00' },
      revision: 0,
    });
    expect(versions[2]!.state).not.toHaveProperty('statedEquivalent');
    expect(versions[3]!.state).toMatchObject({
      status: 'withdrawn',
      withdrawalReason: 'announced twice by mistake',
      amount: { value: '31000000.00' },
    });
  });

  it('matches the journal: one version per event of the stream, with the same event ids', async () => {
    const { ledger, id, reader } = await anAnnouncementWithFourVersions();

    const versions = (await reader.get(`/announcements/${id}/history`)).json.versions as Body[];
    const journal = await clientOf(ledger).get(`/events?stream=announcement-${id}`);

    expect(versions.map((v) => v.eventId)).toEqual(journal.json.items.map((item: Body) => item.id));
  });

  it('answers 404 for an id no announcement has, and 400 for one that is not a UUID', async () => {
    const { reader } = await anAnnouncementWithFourVersions();

    const unknown = await reader.get(`/announcements/${randomUUID()}/history`);
    const malformed = await reader.get('/announcements/not-a-uuid/history');

    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(malformed.status).toBe(400);
  });

  it('needs the read scope: 401 without a key, 403 for an audit-only key', async () => {
    const { ledger, id } = await anAnnouncementWithFourVersions();

    expect((await clientOf(ledger, null).get(`/announcements/${id}/history`)).status).toBe(401);
    expect((await clientOf(ledger, ledger.createKey('auditor', ['audit'])).get(`/announcements/${id}/history`)).status).toBe(403);
  });
});
