// SIGTERM in the middle of a burst of writes: the service finishes what it took on, exits 0 in bounded time, loses nothing.
import { describe, expect, it } from 'vitest';
import { createKeys, startChildLedger, tempDataDir } from '../support/childLedger.js';
import { theProgrammes, theThreeMillion } from '../support/scenarios.js';
import { agentOf, answered, inBatches, send } from './http.js';
import { eventsOfType, expectReplayMatches, expectUnique } from './journal.js';

const REQUESTS = 1500;
const SOCKETS = 64;
/** The service's own bound is SHUTDOWN_TIMEOUT_MS (60 s by default); a clean shutdown under this load must take far less. */
const SHUTDOWN_BOUND_MS = 10_000;
const ENV = { RATE_LIMIT_WRITES_PER_MINUTE: '0' };

const idempotencyKeyOf = (n: number): string => `sigterm-${n}`;
const bodyOf = (n: number) => theThreeMillion({ title: `Announcement ${n} of a burst cut by SIGTERM` });

describe('SIGTERM under load', () => {
  it('exits 0 within the bound, and every write answered 201 is there after a restart', { timeout: 90_000 }, async () => {
    const dataDir = tempDataDir();
    const keys = createKeys(dataDir, { admin: ['admin'], newsroom: ['read', 'write'] });
    const server = await startChildLedger({ dataDir, env: ENV });
    const setup = agentOf(4);
    for (const programme of theProgrammes()) {
      expect(
        (
          await send(setup, server.baseUrl, {
            method: 'POST',
            path: '/programmes',
            headers: { authorization: `Bearer ${keys.admin}` },
            body: programme,
          })
        ).status,
      ).toBe(201);
    }
    setup.destroy();

    const agent = agentOf(SOCKETS);
    const acknowledged = new Map<number, string>();
    const outcomes = new Map<string, number>();
    let signalledAt = 0;
    const post = async (n: number): Promise<void> => {
      const reply = await send(agent, server.baseUrl, {
        method: 'POST',
        path: '/announcements',
        headers: { authorization: `Bearer ${keys.newsroom}`, 'idempotency-key': idempotencyKeyOf(n) },
        body: bodyOf(n),
      });
      const outcome = answered(reply) ? String(reply.status) : reply.error;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      if (answered(reply) && reply.status === 201) {
        acknowledged.set(n, reply.json.id as string);
        if (acknowledged.size === REQUESTS / 5) {
          signalledAt = Date.now();
          server.signal('SIGTERM');
        }
      }
    };
    const load = Promise.all(Array.from({ length: REQUESTS }, (_, n) => post(n)));
    const exit = await server.exited;
    const shutdownMs = Date.now() - signalledAt;
    await load;
    agent.destroy();

    expect(exit).toEqual({ code: 0, signal: null });
    expect(shutdownMs).toBeLessThan(SHUTDOWN_BOUND_MS);
    expect(server.output()).toContain('shutting down');
    // While closing, a request is answered (201, or 503 telling the client to retry) or refused at the socket; never a 500.
    expect([...outcomes.keys()].filter((outcome) => /^\d+$/.test(outcome) && outcome !== '201' && outcome !== '503')).toEqual([]);

    const after = await startChildLedger({ dataDir, env: ENV });
    const check = agentOf(16);
    const announced = await eventsOfType(check, after.baseUrl, keys.admin, 'FundingAnnounced');
    const recorded = new Set(announced.map((event) => event.data.announcementId));
    expect(
      [...acknowledged.values()].filter((id) => !recorded.has(id)),
      'acknowledged before SIGTERM, missing after',
    ).toEqual([]);
    // Unlike kill -9, a graceful stop finishes every write it started: none is recorded without its answer having gone out.
    expect(recorded.size, 'writes recorded but never answered').toBe(acknowledged.size);
    expectUnique(
      announced.map((event) => event.stream),
      'announcement stream',
    );
    // The rest, retried with their keys, are appended exactly once each.
    const pending = Array.from({ length: REQUESTS }, (_, n) => n).filter((n) => !acknowledged.has(n));
    const retried = await inBatches(pending.length, SOCKETS, async (i) =>
      send(check, after.baseUrl, {
        method: 'POST',
        path: '/announcements',
        headers: { authorization: `Bearer ${keys.newsroom}`, 'idempotency-key': idempotencyKeyOf(pending[i] as number) },
        body: bodyOf(pending[i] as number),
      }),
    );
    expect(retried.filter((reply) => reply.status !== 201)).toEqual([]);
    const finally_ = await eventsOfType(check, after.baseUrl, keys.admin, 'FundingAnnounced');
    expect(finally_).toHaveLength(REQUESTS);
    expectUnique(
      finally_.map((event) => String(event.metadata.idempotencyKey)),
      'Idempotency-Key',
    );
    await expectReplayMatches(check, after.baseUrl, keys.admin);
    check.destroy();
    for (const key of Object.values(keys))
      expect(server.output().includes(key) || after.output().includes(key), 'an API key in the log').toBe(false);

    console.info(
      `sigterm: ${REQUESTS} announcements, exit 0 after ${shutdownMs} ms, answers ${JSON.stringify(Object.fromEntries(outcomes))}, ` +
        `${acknowledged.size} acknowledged and ${recorded.size - acknowledged.size} recorded without an answer before the exit, 0 lost`,
    );
  });
});
