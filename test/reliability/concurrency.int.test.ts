// Races test/http/concurrency.int.test.ts does not run: 50 registrations of one code, in process and against a separate process.
import { describe, expect, it } from 'vitest';
import { createKeys, startChildLedger } from '../support/childLedger.js';
import { announce, startTestLedger } from '../support/ledger.js';
import { aProgramme, registerProgrammes, theThirtyMillion } from '../support/scenarios.js';
import { agentOf, answered, send } from './http.js';
import { eventsOfType } from './journal.js';

const WRITERS = 50;

function statusesOf(replies: readonly Awaited<ReturnType<typeof send>>[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const reply of replies) {
    const key = answered(reply) ? String(reply.status) : reply.error;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

describe('50 parallel registrations of one programme code', () => {
  it('in process: exactly one 201, the rest 409, one event', async () => {
    const ledger = await startTestLedger();
    const agent = agentOf(WRITERS);

    const replies = await Promise.all(
      Array.from({ length: WRITERS }, (_, n) =>
        send(agent, ledger.baseUrl, {
          method: 'POST',
          path: '/programmes',
          headers: { authorization: `Bearer ${ledger.adminKey}` },
          body: aProgramme({ name: `Registrar ${n}` }),
        }),
      ),
    );

    expect(statusesOf(replies)).toEqual({ 201: 1, 409: WRITERS - 1 });
    expect(await ledger.eventsIn('programme-')).toHaveLength(1);
    agent.destroy();
  });

  it('against the service in its own process, with amendments racing on one If-Match too', { timeout: 60_000 }, async () => {
    const server = await startChildLedger({ env: { RATE_LIMIT_WRITES_PER_MINUTE: '0' } });
    const { racer: admin } = createKeys(server.dataDir, { racer: ['admin'] });
    const agent = agentOf(WRITERS);
    const headers = { authorization: `Bearer ${admin}` };

    const registrations = await Promise.all(
      Array.from({ length: WRITERS }, (_, n) =>
        send(agent, server.baseUrl, { method: 'POST', path: '/programmes', headers, body: aProgramme({ name: `Registrar ${n}` }) }),
      ),
    );
    const created = await send(agent, server.baseUrl, { method: 'POST', path: '/announcements', headers, body: theThirtyMillion() });
    const id = answered(created) ? (created.json.id as string) : '';
    const amendments = await Promise.all(
      Array.from({ length: WRITERS }, (_, n) =>
        send(agent, server.baseUrl, {
          method: 'POST',
          path: `/announcements/${id}/amendments`,
          headers: { ...headers, 'if-match': '"0"' },
          body: { changes: { title: `Editor ${n}` }, reason: `editor ${n} edits` },
        }),
      ),
    );

    expect(statusesOf(registrations)).toEqual({ 201: 1, 409: WRITERS - 1 });
    const amended = statusesOf(amendments);
    expect(amended['200']).toBe(1);
    expect(Object.keys(amended).filter((status) => !['200', '409', '412'].includes(status))).toEqual([]);
    expect(await eventsOfType(agent, server.baseUrl, admin, 'ProgrammeRegistered')).toHaveLength(1);
    expect(await eventsOfType(agent, server.baseUrl, admin, 'FundingAmended')).toHaveLength(1);
    agent.destroy();
  });
});

describe('parallel writes to many streams at once', () => {
  it('answer each amendment of 50 announcements, 4 editors each, with one 200 per announcement', async () => {
    const ledger = await startTestLedger({ env: { RATE_LIMIT_WRITES_PER_MINUTE: '0' } });
    await registerProgrammes(ledger);
    const ids = await Promise.all(
      Array.from({ length: WRITERS }, async (_, n) => (await announce(ledger, theThirtyMillion({ title: `Announcement ${n}` }))).id),
    );
    const agent = agentOf(WRITERS);

    const replies = await Promise.all(
      ids.flatMap((id) =>
        [1, 2, 3, 4].map((editor) =>
          send(agent, ledger.baseUrl, {
            method: 'POST',
            path: `/announcements/${id}/amendments`,
            headers: { authorization: `Bearer ${ledger.adminKey}`, 'if-match': '"0"' },
            body: { changes: { title: `Editor ${editor}` }, reason: `editor ${editor} edits` },
          }).then((reply) => ({ id, reply })),
        ),
      ),
    );

    for (const id of ids) {
      const mine = replies.filter((entry) => entry.id === id).map((entry) => entry.reply.status);
      expect(
        mine.filter((status) => status === 200),
        id,
      ).toHaveLength(1);
      expect(
        mine.filter((status) => status !== 200 && status !== 409 && status !== 412),
        id,
      ).toEqual([]);
    }
    expect((await ledger.eventsIn('announcement-')).filter((event) => event.type === 'FundingAmended')).toHaveLength(WRITERS);
    agent.destroy();
  });
});
