// kill -9 in the middle of a burst of writes, twice: every acknowledged announcement survives, nothing is recorded twice.
import { describe, expect, it } from 'vitest';
import { ledger as ledgerCli } from '../cli/ledgerCli.js';
import { createKeys, startChildLedger, tempDataDir, type ChildLedger } from '../support/childLedger.js';
import { theProgrammes, theThreeMillion } from '../support/scenarios.js';
import { agentOf, answered, inBatches, send } from './http.js';
import { eventsOfType, expectReplayMatches, expectUnique } from './journal.js';

/** Announcements in the burst; CRASH_REQUESTS overrides. */
const REQUESTS = Number(process.env.CRASH_REQUESTS ?? 3000);
/** Requests on the wire at once; the rest wait in the client, as behind a busy proxy. */
const SOCKETS = 64;
const ENV = { RATE_LIMIT_WRITES_PER_MINUTE: '0' };

const idempotencyKeyOf = (n: number): string => `burst-${n}`;
const bodyOf = (n: number) => theThreeMillion({ title: `Announcement ${n} of a burst cut by kill -9` });

interface Round {
  /** Request numbers answered 201 in this round, with the announcement id. */
  readonly acknowledged: Map<number, string>;
  /** Every other outcome: status, or the client error. */
  readonly failures: string[];
}

/**
 * Sends POST /announcements for `numbers` at once; after `killAfter` 201s (if given) the server is killed with
 * SIGKILL while the rest are still in flight or queued.
 */
async function burst(server: ChildLedger, key: string, numbers: readonly number[], killAfter?: number): Promise<Round> {
  const agent = agentOf(SOCKETS);
  const acknowledged = new Map<number, string>();
  const failures: string[] = [];
  await Promise.all(
    numbers.map(async (n) => {
      const reply = await send(agent, server.baseUrl, {
        method: 'POST',
        path: '/announcements',
        headers: { authorization: `Bearer ${key}`, 'idempotency-key': idempotencyKeyOf(n) },
        body: bodyOf(n),
      });
      if (answered(reply) && reply.status === 201) {
        acknowledged.set(n, reply.json.id as string);
        if (acknowledged.size === killAfter) server.signal('SIGKILL');
      } else {
        failures.push(answered(reply) ? String(reply.status) : reply.error);
      }
    }),
  );
  agent.destroy();
  return { acknowledged, failures };
}

describe('kill -9 during a burst of announcements', () => {
  it(
    'keeps every acknowledged write, records nothing twice, and retries append each missing one exactly once',
    { timeout: 150_000 },
    async () => {
      const dataDir = tempDataDir();
      const keys = createKeys(dataDir, { admin: ['admin'], newsroom: ['read', 'write'], auditor: ['audit'] });
      const outputs: string[] = [];
      const agent = agentOf(16);
      let server = await startChildLedger({ dataDir, env: ENV });
      for (const programme of theProgrammes()) {
        const reply = await send(agent, server.baseUrl, {
          method: 'POST',
          path: '/programmes',
          headers: { authorization: `Bearer ${keys.admin}` },
          body: programme,
        });
        expect(reply.status).toBe(201);
      }
      const all = Array.from({ length: REQUESTS }, (_, n) => n);
      const acknowledged = new Map<number, string>();
      const failures: string[] = [];
      let crashes = 0;
      let committedUnanswered = 0;
      const startedAt = Date.now();

      // Round 1 and 2 end in kill -9; round 3 retries whatever is still unanswered, with the same keys and bodies.
      for (const killAt of [Math.floor(REQUESTS / 3), Math.floor(REQUESTS / 6), undefined]) {
        const pending = all.filter((n) => !acknowledged.has(n));
        const round = await burst(server, keys.newsroom, pending, killAt === undefined ? undefined : Math.min(killAt, pending.length - 1));
        for (const [n, id] of round.acknowledged) acknowledged.set(n, id);
        failures.push(...round.failures);
        if (killAt === undefined) break;
        expect(await server.exited).toEqual({ code: null, signal: 'SIGKILL' });
        crashes += 1;
        outputs.push(server.output());
        server = await startChildLedger({ dataDir, env: ENV });
        // Right after the restart: every acknowledged write is there; some unanswered ones made it too (cut after the commit).
        const recorded = new Set(
          (await eventsOfType(agent, server.baseUrl, keys.auditor, 'FundingAnnounced')).map((event) => event.data.announcementId),
        );
        expect([...acknowledged.values()].filter((id) => !recorded.has(id))).toEqual([]);
        committedUnanswered += recorded.size - acknowledged.size;
      }
      const seconds = (Date.now() - startedAt) / 1000;

      // Every request ends acknowledged; before that, a request either got no answer (the kill) or a 503 (overload).
      expect(acknowledged.size).toBe(REQUESTS);
      expect(failures.filter((failure) => /^\d+$/.test(failure) && failure !== '503')).toEqual([]);
      // Each acknowledged announcement is there, as sent.
      const shown = await inBatches(REQUESTS, 32, async (n) =>
        send(agent, server.baseUrl, {
          method: 'GET',
          path: `/announcements/${acknowledged.get(n)}`,
          headers: { authorization: `Bearer ${keys.newsroom}` },
        }),
      );
      expect(shown.filter((reply, n) => !answered(reply) || reply.status !== 200 || reply.json.title !== bodyOf(n).title)).toEqual([]);
      // One FundingAnnounced per request: no duplicate event, stream or Idempotency-Key; none missing.
      const announced = await eventsOfType(agent, server.baseUrl, keys.auditor, 'FundingAnnounced');
      expect(announced).toHaveLength(REQUESTS);
      expectUnique(
        announced.map((event) => event.id),
        'event id',
      );
      expectUnique(
        announced.map((event) => event.stream),
        'announcement stream',
      );
      expectUnique(
        announced.map((event) => String(event.metadata.idempotencyKey)),
        'Idempotency-Key',
      );
      expect(new Set(announced.map((event) => event.data.announcementId))).toEqual(new Set(acknowledged.values()));
      // A retry of an acknowledged request is answered from the first write and appends nothing.
      const retried = await inBatches(100, 16, async (i) => {
        const n = Math.floor((i * REQUESTS) / 100);
        return send(agent, server.baseUrl, {
          method: 'POST',
          path: '/announcements',
          headers: { authorization: `Bearer ${keys.newsroom}`, 'idempotency-key': idempotencyKeyOf(n) },
          body: bodyOf(n),
        });
      });
      expect(retried.map((reply) => (answered(reply) ? `${reply.status} ${reply.json.id}` : reply.error))).toEqual(
        retried.map((_, i) => `201 ${acknowledged.get(Math.floor((i * REQUESTS) / 100))}`),
      );
      expect(await eventsOfType(agent, server.baseUrl, keys.auditor, 'FundingAnnounced')).toHaveLength(REQUESTS);
      const { digest } = await expectReplayMatches(agent, server.baseUrl, keys.auditor);

      agent.destroy();
      server.signal('SIGTERM');
      expect(await server.exited).toEqual({ code: 0, signal: null });
      outputs.push(server.output());
      // With the service stopped, the command-line tools agree: every hash chain holds, and a rebuild gives the same totals.
      const verified = await ledgerCli(['audit', 'verify', '--data-dir', dataDir]);
      expect(verified.code, verified.stdout + verified.stderr).toBe(0);
      const replayed = await ledgerCli(['replay', '--expect', digest, '--data-dir', dataDir]);
      expect(replayed.code, replayed.stdout + replayed.stderr).toBe(0);
      for (const output of outputs)
        for (const key of Object.values(keys)) expect(output.includes(key), 'an API key in the log').toBe(false);

      console.info(
        `crash: ${REQUESTS} announcements, ${crashes} kill -9, ${failures.length} failed attempts retried ` +
          `(${committedUnanswered} had been recorded before the kill cut their answer), 0 lost, 0 duplicated, ${seconds.toFixed(1)} s`,
      );
    },
  );
});
