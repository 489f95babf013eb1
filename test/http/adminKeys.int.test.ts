// Keys managed over HTTP (POST/GET /admin/keys, revocation) and with `ledger keys` while the service is stopped, on the
// embedded store: each takes effect, bad input changes nothing, and no key ever reaches a file under DATA_DIR.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ledger as ledgerCli } from '../cli/ledgerCli.js';
import { clientOf, expectStatus, startInjectedLedger, type LedgerUnderTest } from '../support/ledger.js';
import { aProgramme } from '../support/scenarios.js';

async function createOverHttp(ledger: LedgerUnderTest, body: unknown) {
  return clientOf(ledger).post('/admin/keys', body);
}

/** Every file under a directory, recursively, as bytes. */
function filesUnder(dir: string): { path: string; bytes: Buffer }[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((entry) => join(dir, entry))
    .filter((path) => statSync(path).isFile())
    .map((path) => ({ path, bytes: readFileSync(path) }));
}

describe('POST /admin/keys', () => {
  it('answers the key once (201, no-store), and the key works at once with its scopes', async () => {
    const ledger = await startInjectedLedger();

    const reply = expectStatus(await createOverHttp(ledger, { name: 'newsroom', scopes: ['read', 'write'] }), 201);

    expect(reply.headers.get('cache-control')).toBe('no-store');
    expect(reply.json).toEqual({
      name: 'newsroom',
      scopes: ['read', 'write'],
      createdAt: expect.any(String),
      key: expect.stringMatching(/^flk_[A-Za-z0-9_-]{43}$/),
    });
    const newsroom = clientOf(ledger, reply.json.key);
    expect((await newsroom.post('/programmes', aProgramme())).status).toBe(201);
    expect((await newsroom.get('/programmes')).status).toBe(200);
    expect((await newsroom.get('/events')).status).toBe(403);
    expect((await newsroom.get('/admin/keys')).status).toBe(403);
    const [event] = await ledger.eventsIn('programme-');
    expect(event?.metadata).toMatchObject({ actor: 'newsroom' });
  });

  it('refuses bad input naming the field (400), a name an active key has (409), and changes nothing', async () => {
    const ledger = await startInjectedLedger();
    expectStatus(await createOverHttp(ledger, { name: 'newsroom', scopes: ['read'] }), 201);
    const before = (await clientOf(ledger).get('/admin/keys')).json;

    const badName = await createOverHttp(ledger, { name: 'news room', scopes: ['read'] });
    const badScope = await createOverHttp(ledger, { name: 'other', scopes: ['root'] });
    const noScope = await createOverHttp(ledger, { name: 'other', scopes: [] });
    const extra = await createOverHttp(ledger, { name: 'other', scopes: ['read'], sha256: 'a'.repeat(64) });
    const taken = await createOverHttp(ledger, { name: 'newsroom', scopes: ['write'] });

    for (const [reply, field] of [
      [badName, 'name'],
      [badScope, 'scopes[0]'],
      [noScope, 'scopes'],
    ] as const) {
      expect(reply.status, reply.text).toBe(400);
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(reply.json.errors.map((error: { field: string }) => error.field)).toContain(field);
    }
    expect(extra.status).toBe(400);
    expect(taken.status).toBe(409);
    expect(taken.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(taken.json.errors).toEqual([expect.objectContaining({ field: 'name' })]);
    expect((await clientOf(ledger).get('/admin/keys')).json).toEqual(before);
  });
});

describe('GET /admin/keys', () => {
  it('lists names, scopes and dates of every key, revoked ones too, and never a key or a hash', async () => {
    const ledger = await startInjectedLedger();
    const created = expectStatus(await createOverHttp(ledger, { name: 'dashboard', scopes: ['read'] }), 201).json;
    expectStatus(await clientOf(ledger).post('/admin/keys/dashboard/revocation', undefined), 200);

    const list = expectStatus(await clientOf(ledger).get('/admin/keys'), 200);

    expect(list.json.items).toEqual([
      { name: 'admin', scopes: ['admin'], createdAt: expect.any(String) },
      { name: 'dashboard', scopes: ['read'], createdAt: created.createdAt, revokedAt: expect.any(String) },
    ]);
    expect(list.text).not.toContain(created.key);
    expect(list.text).not.toMatch(/[0-9a-f]{64}/);
  });
});

describe('POST /admin/keys/{name}/revocation', () => {
  it('revokes the key (200): it is refused from then on; 404 for an unknown name, 409 once revoked', async () => {
    const ledger = await startInjectedLedger();
    const key = expectStatus(await createOverHttp(ledger, { name: 'dashboard', scopes: ['read'] }), 201).json.key as string;
    expectStatus(await clientOf(ledger, key).get('/totals'), 200);

    const revoked = await clientOf(ledger).post('/admin/keys/dashboard/revocation', undefined);
    const again = await clientOf(ledger).post('/admin/keys/dashboard/revocation', undefined);
    const unknown = await clientOf(ledger).post('/admin/keys/nobody/revocation', undefined);
    const badName = await clientOf(ledger).post('/admin/keys/no%20body/revocation', undefined);

    expect(revoked.status, revoked.text).toBe(200);
    expect(revoked.json).toEqual({ name: 'dashboard', scopes: ['read'], createdAt: expect.any(String), revokedAt: expect.any(String) });
    expect((await clientOf(ledger, key).get('/totals')).status).toBe(401);
    expect(again.status).toBe(409);
    expect(unknown.status).toBe(404);
    expect(badName.status).toBe(400);
    for (const reply of [again, unknown, badName]) expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('lets a new key take a revoked key’s name; the old key stays refused', async () => {
    const ledger = await startInjectedLedger();
    const first = expectStatus(await createOverHttp(ledger, { name: 'newsroom', scopes: ['read'] }), 201).json.key as string;
    expectStatus(await clientOf(ledger).post('/admin/keys/newsroom/revocation', undefined), 200);
    const second = expectStatus(await createOverHttp(ledger, { name: 'newsroom', scopes: ['read'] }), 201).json.key as string;

    expect((await clientOf(ledger, first).get('/totals')).status).toBe(401);
    expect((await clientOf(ledger, second).get('/totals')).status).toBe(200);
  });
});

describe('keys in the store', () => {
  it('are hashes only: no key created here is in any file under DATA_DIR but admin.key', async () => {
    const ledger = await startInjectedLedger();
    const overHttp = expectStatus(await createOverHttp(ledger, { name: 'newsroom', scopes: ['read'] }), 201).json.key as string;
    const helper = ledger.createKey('helper', ['read']);
    expectStatus(await clientOf(ledger, helper).get('/totals'), 200);
    await ledger.close();

    const files = filesUnder(ledger.dataDir);
    expect(files.map((file) => file.path)).toContain(join(ledger.dataDir, 'keys', 'events.sqlite'));
    for (const { path, bytes } of files) {
      for (const key of [overHttp, helper]) expect(bytes.includes(key), path).toBe(false);
      if (!path.endsWith('admin.key')) expect(bytes.includes(ledger.adminKey), path).toBe(false);
    }
  });

  it('do not move the ledger’s positions: the first write of a ledger is still at position 1', async () => {
    const ledger = await startInjectedLedger();
    ledger.createKey('first', ['write']);
    expectStatus(await createOverHttp(ledger, { name: 'second', scopes: ['write'] }), 201);

    expect(expectStatus(await clientOf(ledger).post('/programmes', aProgramme()), 201).json.position).toBe('1');
  });
});

describe('a keys.json of an earlier version', () => {
  it('is imported once on first start (its keys work, revoked ones stay revoked), renamed, and not read again', async () => {
    const ledger = await startInjectedLedger();
    const dataDir = ledger.dataDir;
    await ledger.close();
    const fileKeys = { kept: 'flk_keptKeyOfAnEarlierVersion000000000000000000', gone: 'flk_revokedKeyOfAnEarlierVersion00000000000000' };
    const { createHash } = await import('node:crypto');
    const sha = (key: string) => createHash('sha256').update(key).digest('hex');
    const file = join(dataDir, 'keys.json');
    writeFileSync(
      file,
      JSON.stringify({
        keys: [
          { name: 'kept', scopes: ['read'], sha256: sha(fileKeys.kept), createdAt: '2025-01-01T00:00:00.000Z' },
          {
            name: 'gone',
            scopes: ['read'],
            sha256: sha(fileKeys.gone),
            createdAt: '2025-01-01T00:00:00.000Z',
            revokedAt: '2025-02-01T00:00:00.000Z',
          },
        ],
      }),
      { mode: 0o600 },
    );

    const started = await startInjectedLedger({ dataDir });
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.imported`)).toBe(true);
    expect((await clientOf(started, fileKeys.kept).get('/totals')).status).toBe(200);
    expect((await clientOf(started, fileKeys.gone).get('/totals')).status).toBe(401);
    const listed = (await clientOf(started).get('/admin/keys')).json.items;
    expect(listed.map((key: { name: string }) => key.name)).toEqual(['admin', 'kept', 'gone']);
    expect(listed[1]).toEqual({ name: 'kept', scopes: ['read'], createdAt: '2025-01-01T00:00:00.000Z' });

    // The same file again (a copy left behind, or put back): nothing is imported twice.
    writeFileSync(file, readFileSync(`${file}.imported`));
    const again = await started.restart();
    expect((await clientOf(again).get('/admin/keys')).json.items).toEqual(listed);
    expect((await clientOf(again, fileKeys.kept).get('/totals')).status).toBe(200);
  });
});

describe('ledger keys (the CLI) on the embedded store, while the service is stopped', () => {
  it('creates, lists and revokes through the keys stream; the service honours each on start', { timeout: 60_000 }, async () => {
    const first = await startInjectedLedger();
    const { dataDir, adminKey } = first;
    await first.close();

    const created = await ledgerCli(['keys', 'create', '--name', 'ops', '--scopes', 'read,audit', '--data-dir', dataDir]);
    const taken = await ledgerCli(['keys', 'create', '--name', 'ops', '--scopes', 'read', '--data-dir', dataDir]);
    const doomed = await ledgerCli(['keys', 'create', '--name', 'doomed', '--scopes', 'read', '--data-dir', dataDir]);
    const revoked = await ledgerCli(['keys', 'revoke', '--name', 'doomed', '--data-dir', dataDir]);
    const unknown = await ledgerCli(['keys', 'revoke', '--name', 'nobody', '--data-dir', dataDir]);
    const listed = await ledgerCli(['keys', 'list', '--data-dir', dataDir]);

    expect(created.code, created.stderr).toBe(0);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/active key named "ops"/);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no key named "nobody"/);
    expect(
      listed.stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\t')[0] + ' ' + line.split('\t')[3]?.split(' ')[0]),
    ).toEqual(['admin active', 'ops active', 'doomed revoked']);
    expect(listed.stdout).not.toMatch(/[0-9a-f]{64}/);
    const opsKey = created.stdout.trim();
    const doomedKey = doomed.stdout.trim();

    const service = await startInjectedLedger({ dataDir });
    expect(service.adminKey).toBe(adminKey);
    expect((await clientOf(service, opsKey).get('/events')).status).toBe(200);
    expect((await clientOf(service, doomedKey).get('/totals')).status).toBe(401);
  });

  it('is refused while the service holds the embedded store, pointing at POST /admin/keys', { timeout: 30_000 }, async () => {
    const service = await startInjectedLedger();

    const ran = await ledgerCli(['keys', 'create', '--name', 'ops', '--scopes', 'read', '--data-dir', service.dataDir]);

    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain('POST /admin/keys');
  });
});
