// Several ledger instances on one EventStoreDB (the test-only stand-in) share their keys through the apikeys stream:
// a change made through any of them or the CLI counts on every one within a second, the admin key and a keys.json
// import happen once per ledger, and the store holds hashes only.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ledger as ledgerCli } from '../cli/ledgerCli.js';
import { startStandIn, type StandIn } from '../support/esdbStandIn/server.js';
import { clientOf, expectStatus, startTestLedger, type TestLedger } from '../support/ledger.js';

/** Generous: the promise is a second; what is asserted is that the change reaches the other instance. */
const WITHIN_MS = 3_000;

async function aStandIn(): Promise<StandIn> {
  const standIn = await startStandIn();
  onTestFinished(() => standIn.close());
  return standIn;
}

function aDataDir(): string {
  const dataDir = mkdtempSync(join(tmpdir(), 'funding-ledger-keys-'));
  onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
  return dataDir;
}

function envOf(standIn: StandIn): Record<string, string> {
  return { EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: standIn.connectionString };
}

/** An instance on the stand-in with a data directory of its own, as each replica behind a load balancer has. */
function anInstanceOn(standIn: StandIn, dataDir: string = aDataDir()): Promise<TestLedger> {
  return startTestLedger({ dataDir, env: envOf(standIn) });
}

/** The status `key` gets for GET /totals from `ledger`. */
async function statusOf(ledger: TestLedger, key: string): Promise<number> {
  return (await clientOf(ledger, key).get('/totals')).status;
}

/** Milliseconds until `ledger` answers `status` for `key`; fails past WITHIN_MS. */
async function msUntil(ledger: TestLedger, key: string, status: number): Promise<number> {
  const start = performance.now();
  while ((await statusOf(ledger, key)) !== status) {
    if (performance.now() - start > WITHIN_MS) throw new Error(`${ledger.baseUrl} still does not answer ${status} after ${WITHIN_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return performance.now() - start;
}

/** The events of the apikeys stream as the stand-in holds them: type and data, and the raw bytes of every event. */
function keyEventsOf(standIn: StandIn) {
  const events = standIn.log.events.filter((event) => event.stream === 'apikeys');
  return events.map((event) => ({
    type: event.type,
    data: JSON.parse(Buffer.from(event.data).toString('utf8')) as Record<string, unknown>,
  }));
}

function storeHolds(standIn: StandIn, text: string): boolean {
  return standIn.log.events.some((event) => Buffer.from(event.data).includes(text) || Buffer.from(event.customMetadata).includes(text));
}

describe('API keys shared by instances on one EventStoreDB', () => {
  it('creates the admin key once per ledger, even when two instances start at once on an empty store', async () => {
    const standIn = await aStandIn();

    const [a, b] = await Promise.all([anInstanceOn(standIn), anInstanceOn(standIn)]);

    const writers = [a, b].filter((instance) => existsSync(join(instance.dataDir, 'admin.key')));
    expect(writers).toHaveLength(1);
    const admin = writers[0]!.adminKey;
    expect(keyEventsOf(standIn)).toEqual([{ type: 'ApiKeyCreated', data: expect.objectContaining({ name: 'admin', scopes: ['admin'] }) }]);
    expect(await statusOf(a, admin)).toBe(200);
    expect(await statusOf(b, admin)).toBe(200);
    // A third instance, later, finds the key in the store and writes no admin.key either.
    const c = await anInstanceOn(standIn);
    expect(existsSync(join(c.dataDir, 'admin.key'))).toBe(false);
    expect(await statusOf(c, admin)).toBe(200);
  });

  it('a key created through one instance works on another at once; revoked there, the first refuses it within a second', async () => {
    const standIn = await aStandIn();
    const a = await anInstanceOn(standIn);
    const b = await anInstanceOn(standIn);
    const admin = a.adminKey;

    const created = expectStatus(await clientOf(a, admin).post('/admin/keys', { name: 'dashboard', scopes: ['read'] }), 201).json
      .key as string;
    expect(await statusOf(b, created)).toBe(200);
    expect(await statusOf(a, created)).toBe(200);

    expectStatus(await clientOf(b, admin).post('/admin/keys/dashboard/revocation', undefined), 200);
    const tookMs = await msUntil(a, created, 401);

    console.log(`a revocation through one instance reached the other in ${Math.round(tookMs)} ms`);
    expect(await statusOf(b, created)).toBe(401);
    // The list is the same on every instance.
    expect((await clientOf(a, admin).get('/admin/keys')).json).toEqual((await clientOf(b, admin).get('/admin/keys')).json);
  });

  it('ledger keys with EVENT_STORE=eventstoredb changes keys on running instances', { timeout: 60_000 }, async () => {
    const standIn = await aStandIn();
    const a = await anInstanceOn(standIn);
    const b = await anInstanceOn(standIn);
    const cli = (args: string[]) => ledgerCli(['keys', ...args, '--data-dir', aDataDir()], { env: envOf(standIn) });

    const created = await cli(['create', '--name', 'ops', '--scopes', 'read']);
    expect(created.code, created.stderr).toBe(0);
    const key = created.stdout.trim();
    expect(await statusOf(a, key)).toBe(200);
    expect(await statusOf(b, key)).toBe(200);

    const revoked = await cli(['revoke', '--name', 'ops']);
    expect(revoked.code, revoked.stderr).toBe(0);
    await msUntil(a, key, 401);
    await msUntil(b, key, 401);
    const listed = await cli(['list']);
    expect(listed.stdout).toMatch(/^ops\tread\t\S+\trevoked /m);
  });

  it('imports a keys.json once, though two instances start with a copy of it', async () => {
    const standIn = await aStandIn();
    const key = 'flk_keyFromTheSingleProcessDays00000000000000';
    const file = JSON.stringify({
      keys: [
        {
          name: 'newsroom',
          scopes: ['read', 'write'],
          sha256: createHash('sha256').update(key).digest('hex'),
          createdAt: '2025-06-01T00:00:00.000Z',
        },
      ],
    });
    const dirs = [aDataDir(), aDataDir()] as const;
    for (const dir of dirs) writeFileSync(join(dir, 'keys.json'), file, { mode: 0o600 });

    const [a, b] = await Promise.all([anInstanceOn(standIn, dirs[0]), anInstanceOn(standIn, dirs[1])]);

    expect(keyEventsOf(standIn).filter((event) => event.data.name === 'newsroom')).toHaveLength(1);
    // Keys came with the file, so neither instance made an admin key.
    expect(keyEventsOf(standIn).map((event) => event.data.name)).toEqual(['newsroom']);
    expect(dirs.map((dir) => existsSync(join(dir, 'admin.key')))).toEqual([false, false]);
    expect(await statusOf(a, key)).toBe(200);
    expect(await statusOf(b, key)).toBe(200);
    const restarted = await a.restart();
    expect(await statusOf(restarted, key)).toBe(200);
    expect(keyEventsOf(standIn)).toHaveLength(1);
  });

  it('holds only hashes: no key created through the API, the CLI or at start is in any event', { timeout: 60_000 }, async () => {
    const standIn = await aStandIn();
    const a = await anInstanceOn(standIn);
    const overHttp = expectStatus(await clientOf(a).post('/admin/keys', { name: 'newsroom', scopes: ['write'] }), 201).json.key as string;
    const helper = a.createKey('helper', ['read']);
    expect(await statusOf(a, helper)).toBe(200);
    const viaCli = (
      await ledgerCli(['keys', 'create', '--name', 'ops', '--scopes', 'read', '--data-dir', aDataDir()], { env: envOf(standIn) })
    ).stdout.trim();
    expect(viaCli).toMatch(/^flk_/);

    for (const key of [a.adminKey, overHttp, helper, viaCli]) {
      expect(storeHolds(standIn, key)).toBe(false);
      expect(storeHolds(standIn, createHash('sha256').update(key).digest('hex'))).toBe(true);
    }
  });
});
