// One Idempotency-Key through two replicas on one EventStoreDB (the stand-in): the events are recorded once, and every
// answer is the first one, a replay of it, or a 409 whose retry replays it; another body under the key gets 422.
import { describe, expect, it } from 'vitest';
import { announcementStream } from '../../src/commands/announcement/events.js';
import { clientOf, expectStatus, type Reply, type TestLedger } from '../support/ledger.js';
import { registerProgrammes, theThirtyMillion, theThreeMillion, type Body } from '../support/scenarios.js';
import { aStandIn, replicasOn } from './replicas.js';

const keyed = (key: string, extra: Record<string, string> = {}) => ({ headers: { 'idempotency-key': key, ...extra } });

/** Holds a replica's read models still, so it has applied none of what the others write meanwhile. */
async function behind(ledger: TestLedger): Promise<() => void> {
  return ledger.ledger.context.projections.hold();
}

async function streamOf(ledger: TestLedger, id: string) {
  const events = [];
  for await (const event of ledger.ledger.context.store.readStream(announcementStream(id))) events.push(event);
  return events;
}

/** A 409 is the answer that tells the client to retry: its retry (through the same replica) must replay the first. */
async function settled(send: () => Promise<Reply>): Promise<{ first: number; final: Reply }> {
  const first = await send();
  if (first.status !== 409) return { first: first.status, final: first };
  return { first: first.status, final: await send() };
}

describe('idempotency across replicas on one EventStoreDB', () => {
  it('a create with its own id, retried through a replica that has not applied it, is answered as a replay; another body is 422', async () => {
    const [a, b] = (await replicasOn(await aStandIn(), 2)) as [TestLedger, TestLedger];
    await registerProgrammes(a);
    const body = theThirtyMillion({ id: '6f1c2e9a-3b4d-4e5f-8a9b-0c1d2e3f4a5b' });
    const release = await behind(b);

    const first = expectStatus(await clientOf(a).post('/announcements', body, keyed('create-1')), 201);
    const retried = await clientOf(b).post('/announcements', body, keyed('create-1'));
    const reused = await clientOf(b).post('/announcements', { ...body, title: 'another request' }, keyed('create-1'));
    release();

    expect(retried.status).toBe(201);
    expect(retried.json).toEqual(first.json);
    expect(retried.headers.get('location')).toBe(first.headers.get('location'));
    expect(retried.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(reused.status).toBe(422);
    expect(await streamOf(a, body.id as string)).toHaveLength(1);
  });

  it('an amendment retried through a replica that has not applied it replays (not 412 on its If-Match, not a second amendment)', async () => {
    const [a, b] = (await replicasOn(await aStandIn(), 2)) as [TestLedger, TestLedger];
    await registerProgrammes(a);
    const created = expectStatus(await clientOf(a).post('/announcements', theThreeMillion()), 201).json as Body;
    const id = created.id as string;
    await clientOf(b).get(`/totals?minPosition=${created.position as string}`);
    const release = await behind(b);
    const amendment = { changes: { title: 'Additional £3m for the CPS' }, reason: 'shorter title' };

    const first = expectStatus(
      await clientOf(a).post(`/announcements/${id}/amendments`, amendment, keyed('amend-1', { 'if-match': '"0"' })),
      200,
    );
    const retried = await clientOf(b).post(`/announcements/${id}/amendments`, amendment, keyed('amend-1', { 'if-match': '"0"' }));
    release();

    expect(retried.status).toBe(200);
    expect(retried.json).toEqual(first.json);
    expect((await streamOf(a, id)).map((event) => event.type)).toEqual(['FundingAnnounced', 'FundingAmended']);
  });

  it('the same requests sent to two replicas at once are recorded once each: both 201 alike, or a 409 whose retry replays', async () => {
    const [a, b] = (await replicasOn(await aStandIn(), 2)) as [TestLedger, TestLedger];
    await registerProgrammes(a);
    const keys = Array.from({ length: 40 }, (_, index) => `pair-${index}`);

    const pairs = await Promise.all(
      keys.map(async (key, index) => {
        const body = theThreeMillion({ title: `Announcement ${index}` });
        return Promise.all([a, b].map((replica) => settled(() => clientOf(replica).post('/announcements', body, keyed(key)))));
      }),
    );

    const statuses = new Map<string, number>();
    for (const pair of pairs) {
      for (const { first } of pair) statuses.set(String(first), (statuses.get(String(first)) ?? 0) + 1);
      const [one, other] = pair.map(({ final }) => final) as [Reply, Reply];
      expect([one.status, other.status]).toEqual([201, 201]);
      expect(other.json).toEqual(one.json);
      expect(await streamOf(a, one.json.id as string)).toHaveLength(1);
    }
    expect([...statuses.keys()].every((status) => ['201', '409'].includes(status))).toBe(true);
    const announced = await a.eventsIn('announcement-');
    expect(announced).toHaveLength(keys.length);
  });

  it('amendments with one key at one revision through two replicas at once amend once', async () => {
    const [a, b] = (await replicasOn(await aStandIn(), 2)) as [TestLedger, TestLedger];
    await registerProgrammes(a);
    const ids: string[] = [];
    for (let index = 0; index < 20; index += 1)
      ids.push(
        expectStatus(await clientOf(a).post('/announcements', theThreeMillion({ title: `To amend ${index}` })), 201).json.id as string,
      );

    await Promise.all(
      ids.map(async (id, index) => {
        const amendment = { changes: { title: `Amended ${index}` }, reason: 'a retried correction' };
        const send = (replica: TestLedger) =>
          settled(() =>
            clientOf(replica).post(`/announcements/${id}/amendments`, amendment, keyed(`amend-${index}`, { 'if-match': '"0"' })),
          );
        const [one, other] = await Promise.all([send(a), send(b)]);
        expect([one.final.status, other.final.status]).toEqual([200, 200]);
        expect(other.final.json).toEqual(one.final.json);
        expect((await streamOf(a, id)).map((event) => event.type)).toEqual(['FundingAnnounced', 'FundingAmended']);
      }),
    );
  });

  it('two different requests under one key through two replicas at once: one is recorded, the other is refused with 422', async () => {
    const [a, b] = (await replicasOn(await aStandIn(), 2)) as [TestLedger, TestLedger];
    await registerProgrammes(a);

    for (let index = 0; index < 10; index += 1) {
      const key = `clash-${index}`;
      const [one, other] = await Promise.all(
        [a, b].map((replica, which) =>
          settled(() => clientOf(replica).post('/announcements', theThreeMillion({ title: `Clash ${index} from ${which}` }), keyed(key))),
        ),
      );
      const finals = [one!.final, other!.final];
      expect(finals.map((reply) => reply.status).sort()).toEqual([201, 422]);
      const recorded = finals.find((reply) => reply.status === 201)!;
      expect(await streamOf(a, recorded.json.id as string)).toHaveLength(1);
    }
  });
});

describe('read-your-writes across replicas', () => {
  it("a write's position as minPosition on another replica gets an answer that includes the write", async () => {
    const replicas = (await replicasOn(await aStandIn(), 3)) as [TestLedger, TestLedger, TestLedger];
    await registerProgrammes(replicas[0]);

    for (let round = 0; round < 9; round += 1) {
      const writer = replicas[round % 3]!;
      const reader = replicas[(round + 1) % 3]!;
      const written = expectStatus(await clientOf(writer).post('/announcements', theThreeMillion({ title: `Round ${round}` })), 201)
        .json as Body;
      const totals = expectStatus(await clientOf(reader).get(`/totals?minPosition=${written.position as string}`), 200);
      expect(totals.json.total.count).toBe(round + 1);
      expect(totals.json.position).not.toBe('0');
      const csv = expectStatus(await clientOf(reader).get(`/exports/totals.csv?minPosition=${written.position as string}`), 200);
      expect(csv.text).toContain(String(round + 1));
    }
  });
});
