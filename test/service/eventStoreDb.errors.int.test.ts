// The whole service on EVENT_STORE=eventstoredb answering the server's failures: each a problem+json the client can act
// on (400, 410, 413, 503 with Retry-After), never a 500; and a start-up the server refuses exits non-zero saying why.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { EventStoreDBClient } from '@eventstore/db-client';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { aCertificate, aFreezableProxy } from '../support/esdbStandIn/faults.js';
import { startStandIn, type StandIn, type StandInOptions } from '../support/esdbStandIn/server.js';
import { announce, clientOf, expectProblem, expectStatus, startTestLedger, type TestLedger } from '../support/ledger.js';
import { registerProgrammes, theThirtyMillion, theThreeMillion } from '../support/scenarios.js';

async function aStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const standIn = await startStandIn(options);
  onTestFinished(() => standIn.close());
  return standIn;
}

function aServiceOn(connectionString: string): Promise<TestLedger> {
  return startTestLedger({ env: { EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: connectionString } });
}

/** An audit key, once the service takes it (a key is written to the store, and read back, before it is valid). */
async function auditorOf(ledger: TestLedger) {
  const auditor = clientOf(ledger, ledger.createKey('auditor', ['audit']));
  await vi.waitFor(async () => expect((await auditor.get('/events?limit=1')).status).toBe(200), { timeout: 10_000, interval: 25 });
  return auditor;
}

describe('the service on EventStoreDB (the test-only stand-in) when the server refuses a request', () => {
  it('answers GET /events?after= with a position inside a record 400 naming `after`; positions it gave still page', async () => {
    const standIn = await aStandIn();
    const service = await aServiceOn(standIn.connectionString);
    await registerProgrammes(service);
    await announce(service, theThirtyMillion());
    const auditor = await auditorOf(service);

    const first = expectStatus(await auditor.get('/events?limit=1'), 200);
    const position = BigInt(first.json.items[0].position as string);
    const inside = await auditor.get(`/events?after=${position + 1n}`);
    expectProblem(inside, 400, { type: 'validation' });
    expect(inside.json.errors).toEqual([{ in: 'query', field: 'after', message: expect.stringMatching(/not the position of an event/) }]);

    const next = expectStatus(await auditor.get(`/events?after=${first.json.nextCursor as string}&limit=1`), 200);
    expect(BigInt(next.json.items[0].position as string)).toBeGreaterThan(position);
    expectStatus(await auditor.get('/events?after=0&limit=1'), 200);
  });

  it("answers a write whose events exceed the server's MaxAppendSize 413, recording nothing", async () => {
    // A limit the programmes and keys fit under but an announcement with a long title does not.
    const standIn = await aStandIn({ maxAppendSize: 1_500 });
    const service = await aServiceOn(standIn.connectionString);
    await registerProgrammes(service);
    const before = standIn.log.events.length;
    // About 2.5 KB of event data: the longest title and 32 tags of 64 characters.
    const tags = Array.from({ length: 32 }, (_, i) => `tag-${i}-`.padEnd(64, 'x'));
    const reply = await clientOf(service).post('/announcements', theThreeMillion({ title: 'T'.repeat(500), tags }));
    expectProblem(reply, 413, { type: 'append-too-large' });
    expect(reply.json.detail).toContain('1500 bytes');
    expect(standIn.log.events.length).toBe(before);
  });

  it('answers reads and writes of an announcement whose stream was tombstoned outside the ledger 410 Gone', async () => {
    const { service, created, api } = await anAnnouncementRemovedOutside('tombstone');
    expectProblem(
      await api.post(`/announcements/${created.id}/amendments`, { changes: { title: 'Changed' }, reason: 'a correction' }),
      410,
      { type: 'stream-deleted' },
    );
    expectProblem(await api.post(`/announcements/${created.id}/withdrawal`, { reason: 'announced in error' }), 410, {
      type: 'stream-deleted',
    });
    expectProblem(await api.get(`/announcements/${created.id}/history`), 410, { type: 'stream-deleted' });
    // Everything else goes on.
    await announce(service, theThreeMillion());
  });

  it('answers writes and history of an announcement whose stream was soft-deleted outside the ledger 404, as missing', async () => {
    const { created, api } = await anAnnouncementRemovedOutside('delete');
    expectProblem(
      await api.post(`/announcements/${created.id}/amendments`, { changes: { title: 'Changed' }, reason: 'a correction' }),
      404,
      { type: 'not-found' },
    );
    expectProblem(await api.get(`/announcements/${created.id}/history`), 404, { type: 'not-found' });
  });

  it('answers writes and reads 503 with Retry-After while the node is not the leader, not ready or too busy, and serves again after', async () => {
    const standIn = await aStandIn();
    const service = await aServiceOn(standIn.connectionString);
    await registerProgrammes(service);
    const auditor = await auditorOf(service);
    const port = Number(new URL(standIn.connectionString.replace('esdb://', 'http://')).port);
    for (const refusal of [{ kind: 'not-leader', host: '127.0.0.1', port }, { kind: 'not-ready' }, { kind: 'too-busy' }] as const) {
      standIn.refuse(refusal);
      for (const reply of [await clientOf(service).post('/announcements', theThirtyMillion()), await auditor.get('/events?limit=5')]) {
        expectProblem(reply, 503, { type: 'store-unavailable' });
        expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      standIn.refuse(undefined);
    }
    await announce(service, theThirtyMillion());
  });

  it('answers a read 503 within its deadline when the server stops answering on a connection that stays open', async () => {
    const standIn = await aStandIn();
    const proxy = await aFreezableProxy(standIn);
    // The read deadline is the client's defaultDeadline, set in the connection string.
    const service = await aServiceOn(`${proxy.connectionString}&defaultDeadline=500`);
    await registerProgrammes(service);
    const auditor = await auditorOf(service);
    proxy.freeze();
    const started = Date.now();
    expectProblem(await auditor.get('/events?limit=5'), 503, { type: 'store-unavailable' });
    // The client's keep-alive alone would take 10 s + 10 s to notice.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('the service process at start-up on a secure EventStoreDB', () => {
  it('exits non-zero naming the $admins membership when its user may not read $all', async () => {
    const standIn = await aStandIn({ secure: aCertificate() });
    const connectionString = standIn.connectionString.replace('esdb://', 'esdb://ops:changeit@');
    const { code, output } = await runServer({ EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: connectionString });
    expect(code, output).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output).toMatch(/denied reading \$all: reading \$all needs a user in the \$admins group/);
    expect(output).not.toContain('ops:changeit');
  });
});

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** `node src/server.ts` until it exits by itself (it is killed after 30 s): its exit code and everything it wrote. */
async function runServer(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'funding-ledger-start-'));
  onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
  const tsx = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;
  const child = spawn(process.execPath, ['--import', tsx, path.join(repoRoot, 'src/server.ts')], {
    env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, output };
}

/** A service with one announcement whose stream an operator then tombstoned or soft-deleted in the store itself. */
async function anAnnouncementRemovedOutside(how: 'tombstone' | 'delete') {
  const standIn = await aStandIn();
  const service = await aServiceOn(standIn.connectionString);
  await registerProgrammes(service);
  const created = await announce(service, theThirtyMillion());
  const operator = EventStoreDBClient.connectionString(standIn.connectionString);
  onTestFinished(() => operator.dispose());
  const stream = `announcement-${created.id}`;
  await (how === 'tombstone' ? operator.tombstoneStream(stream) : operator.deleteStream(stream));
  return { service, created, api: clientOf(service) };
}
