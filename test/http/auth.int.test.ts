// Authentication and scopes over real HTTP: bearer keys, 401/403, PUBLIC_READ, public health, the bootstrap admin key.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clientOf, expectProblem, expectStatus, request, startTestLedger, type Reply } from '../support/ledger.js';
import { aProgramme, theThirtyMillion } from '../support/scenarios.js';

function expectUnauthorized(reply: Reply): void {
  expectProblem(reply, 401);
  expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
}

describe('401 without a valid key', () => {
  it.each([
    ['no Authorization header', {}],
    ['an unknown key', { authorization: 'Bearer flk_thisIsNotAKeyThisLedgerEverGaveOut000000' }],
    ['a key of the wrong scheme', { authorization: 'Basic YWRtaW46YWRtaW4=' }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ])('refuses reads and writes with %s', async (_name, headers) => {
    const ledger = await startTestLedger();

    const read = await request(ledger.baseUrl, 'GET', '/programmes', { headers });
    const write = await request(ledger.baseUrl, 'POST', '/programmes', { headers, body: aProgramme() });

    expectUnauthorized(read);
    expectUnauthorized(write);
    expect(await ledger.storeHead()).toBe('0');
  });

  it('does not take the admin key with a character changed', async () => {
    const ledger = await startTestLedger();
    const last = ledger.adminKey.at(-1) === 'A' ? 'B' : 'A';

    expectUnauthorized(await clientOf(ledger, `${ledger.adminKey.slice(0, -1)}${last}`).get('/programmes'));
    expect((await clientOf(ledger).get('/programmes')).status).toBe(200);
  });
});

describe('403 without the scope', () => {
  it('lets a read key read but not write, and a write key write but not read', async () => {
    const ledger = await startTestLedger();
    const reader = clientOf(ledger, ledger.createKey('dashboard', ['read']));
    const writer = clientOf(ledger, ledger.createKey('importer', ['write']));

    const refusedWrite = await reader.post('/programmes', aProgramme());
    const allowedWrite = await writer.post('/programmes', aProgramme());
    const refusedRead = await writer.get('/programmes');
    const allowedRead = await reader.get('/programmes');

    expect(refusedWrite.status).toBe(403);
    expect(refusedWrite.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refusedWrite.json.detail).toContain('write');
    expect(allowedWrite.status).toBe(201);
    expect(refusedRead.status).toBe(403);
    expect(allowedRead.status).toBe(200);
    expect(allowedRead.json.items).toHaveLength(1);
  });

  it('records the key’s name as the actor of what it writes', async () => {
    const ledger = await startTestLedger();
    const importer = clientOf(ledger, ledger.createKey('importer', ['read', 'write']));

    expectStatus(await importer.post('/programmes', aProgramme()), 201);
    const created = expectStatus(await importer.post('/announcements', theThirtyMillion()), 201).json;

    const events = [...(await ledger.eventsIn('programme-')), ...(await ledger.eventsIn(`announcement-${created.id}`))];
    expect(events.map((e) => e.metadata.actor)).toEqual(['importer', 'importer']);
  });
});

describe('keys created while the service runs', () => {
  it('are accepted at once, without waiting for the next refresh from the store', async () => {
    const ledger = await startTestLedger();
    expectStatus(await clientOf(ledger).get('/programmes'), 200);
    const fresh = ledger.createKey('fresh-reader', ['read']);
    expectStatus(await clientOf(ledger, fresh).get('/programmes'), 200);
  });

  it('are refused within a second of being revoked, however often they were used before', async () => {
    const ledger = await startTestLedger();
    const reader = clientOf(ledger, ledger.createKey('soon-revoked', ['read']));
    for (let i = 0; i < 5; i += 1) expectStatus(await reader.get('/totals'), 200);

    ledger.revokeKey('soon-revoked');
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    expectUnauthorized(await reader.get('/totals'));
    expectStatus(await clientOf(ledger).get('/totals'), 200);
  });
});

describe('PUBLIC_READ', () => {
  it('with PUBLIC_READ=true, reads need no key but writes still do', async () => {
    const ledger = await startTestLedger({ env: { PUBLIC_READ: 'true' } });
    const anonymous = clientOf(ledger, null);
    expectStatus(await clientOf(ledger).post('/programmes', aProgramme()), 201);

    expect((await anonymous.get('/programmes')).json.items).toHaveLength(1);
    expect((await anonymous.get('/programmes/oic-supply-chains')).status).toBe(200);
    expect((await anonymous.get('/announcements')).status).toBe(200);
    expect((await anonymous.get('/exchange-rates')).status).toBe(200);
    expectUnauthorized(await anonymous.post('/programmes', aProgramme({ code: 'another-programme' })));
    expectUnauthorized(await anonymous.post('/announcements', theThirtyMillion()));
    expect(await ledger.eventsIn('')).toHaveLength(1);
    // A wrong key is still refused, so a client learns its key is bad rather than reading anonymously.
    expectUnauthorized(
      await request(ledger.baseUrl, 'GET', '/programmes', {
        headers: { authorization: 'Bearer flk_notAKey0000000000000000000000000000000000' },
      }),
    );
  });

  it('without it, reads need a key', async () => {
    const ledger = await startTestLedger({ env: { PUBLIC_READ: 'false' } });

    expectUnauthorized(await clientOf(ledger, null).get('/announcements'));
  });
});

describe('health endpoints', () => {
  it('answers /health/live and /health/ready without a key', async () => {
    const ledger = await startTestLedger();

    const live = await request(ledger.baseUrl, 'GET', '/health/live');
    const ready = await request(ledger.baseUrl, 'GET', '/health/ready');

    expect(live.status).toBe(200);
    expect(live.json).toEqual({ status: 'live' });
    expect(ready.status).toBe(200);
    expect(ready.json).toEqual({ ready: true, position: '0', caughtUp: true, overloaded: false, heavyWork: { running: 0, queued: 0 } });
  });
});

describe('the bootstrap admin key', () => {
  it('is written alone to <DATA_DIR>/admin.key with mode 0600; the keys store holds only its hash', async () => {
    const ledger = await startTestLedger();
    const path = join(ledger.dataDir, 'admin.key');

    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe(`${ledger.adminKey}\n`);
    expect(ledger.adminKey.length).toBeGreaterThanOrEqual(32);
    expect(ledger.ledger.context.keys.list()).toEqual([
      expect.objectContaining({ name: 'admin', scopes: ['admin'], sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
    ]);
    const keysStore = join(ledger.dataDir, 'keys');
    for (const file of readdirSync(keysStore)) {
      expect(readFileSync(join(keysStore, file)).includes(ledger.adminKey), file).toBe(false);
      expect(statSync(join(keysStore, file)).mode & 0o777, file).toBe(0o600);
    }
  });

  it('is created only once: a restart keeps the same key working', async () => {
    const first = await startTestLedger();
    const second = await first.restart();

    expect(second.adminKey).toBe(first.adminKey);
    expect((await clientOf(second, first.adminKey).get('/programmes')).status).toBe(200);
  });
});
