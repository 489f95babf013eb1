// A damaged events.sqlite (not a database, truncated, pages overwritten), keys store, keys.json or signing key stops
// start-up with one message naming the file and the damage, a non-zero exit and no stack trace; a damaged page first
// read at run time (after a start from a snapshot) fails that request with a 503 problem while the rest is served.
import { spawn } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { snapshotPath } from '../../src/projections/storage/snapshot.js';
import { embeddedDatabasePath, openEmbeddedStore } from '../../src/store/embedded.js';
import { freePort, startChildLedger } from '../support/childLedger.js';
import { clientOf, expectStatus, request, startTestLedger } from '../support/ledger.js';
import { registerProgrammes, theThirtyMillion } from '../support/scenarios.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const tsxLoader = pathToFileURL(path.join(repoRoot, 'node_modules/tsx/dist/loader.mjs')).href;

/** Starts src/server.ts on `dataDir` and waits for it to exit (it must, within 20 s): its code and everything it wrote. */
async function startExpectingExit(dataDir: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', tsxLoader, path.join(repoRoot, 'src/server.ts')], {
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      LOG_LEVEL: 'info',
      ...env,
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, output: chunks.join('') };
}

/** A stopped ledger with 120 announcements (about 40 pages of events), their ids in order, and its admin key. */
async function aStoppedLedgerWithSnapshot(): Promise<{ dataDir: string; ids: string[]; adminKey: string }> {
  const ledger = await startTestLedger();
  await registerProgrammes(ledger);
  const api = clientOf(ledger);
  const ids: string[] = [];
  for (let i = 0; i < 120; i += 1) {
    const reply = expectStatus(
      await api.post('/announcements', theThirtyMillion({ title: `Announcement ${i} ${'of some length '.repeat(10)}` })),
      201,
    );
    ids.push((reply.json as { id: string }).id);
  }
  await ledger.close();
  return { dataDir: ledger.dataDir, ids, adminKey: ledger.adminKey };
}

/** The same without its snapshot, so a start reads every event. */
async function aStoppedLedger(): Promise<string> {
  const { dataDir } = await aStoppedLedgerWithSnapshot();
  rmSync(path.join(dataDir, 'snapshots'), { recursive: true, force: true });
  return dataDir;
}

/** The events table's leaf pages (1-based page numbers) in b-tree order, that is in position order; read while the store is stopped. */
function leafPagesOfEvents(file: string): number[] {
  const db = new Database(file);
  try {
    return db
      .prepare<[], { pageno: number }>("SELECT pageno FROM dbstat WHERE name = 'events' AND pagetype = 'leaf' ORDER BY path")
      .all()
      .map((row) => row.pageno);
  } finally {
    db.close();
  }
}

function overwritePages(file: string, from: number, to: number): void {
  const pageSize = readFileSync(file).readUInt16BE(16);
  const garbage = Buffer.alloc(pageSize, 0xa5);
  const fd = openSync(file, 'r+');
  try {
    for (let page = from; page < to; page += 1) writeSync(fd, garbage, 0, pageSize, page * pageSize);
  } finally {
    closeSync(fd);
  }
}

/** One fatal log line naming the file, the damage and the way back; no stack trace anywhere (as text or in a JSON log). */
function expectOneMessage(output: string, file: string, damage: RegExp): void {
  const fatal = output.split('\n').filter((line) => line.includes('"level":60'));
  expect(fatal, output).toHaveLength(1);
  const message = (JSON.parse(fatal[0] as string) as { msg: string }).msg;
  expect(message.startsWith(`${file} is damaged (`), message).toBe(true);
  expect(message).toMatch(damage);
  expect(message).toContain('ledger restore --from <backup>');
  expect(output).not.toMatch(/\n\s+at |\\n\s+at |"stack"/);
}

describe('a damaged file under DATA_DIR stops start-up', () => {
  it('events.sqlite that is not a database: exit 3, one message naming it', async () => {
    const dataDir = await aStoppedLedger();
    const file = embeddedDatabasePath(dataDir);
    writeFileSync(file, 'this is a text file where the events were\n'.repeat(100));
    const { code, output } = await startExpectingExit(dataDir);
    expect(code).toBe(3);
    expectOneMessage(output, file, /is damaged \(it is not a SQLite database\)/);
  }, 60_000);

  it('events.sqlite truncated: exit 3, one message naming it', async () => {
    const dataDir = await aStoppedLedger();
    const file = embeddedDatabasePath(dataDir);
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const { code, output } = await startExpectingExit(dataDir);
    expect(code).toBe(3);
    expectOneMessage(output, file, /is damaged \(it is truncated: \d+ bytes where its header says \d+ pages/);
  }, 60_000);

  it('events.sqlite emptied to 0 bytes: exit 3, one message naming it', async () => {
    const dataDir = await aStoppedLedger();
    const file = embeddedDatabasePath(dataDir);
    truncateSync(file, 0);
    const { code, output } = await startExpectingExit(dataDir);
    expect(code).toBe(3);
    expectOneMessage(output, file, /is damaged \(it is empty \(0 bytes\), which this service never leaves: its contents are lost\)/);
    expect(statSync(file).size).toBe(0);
  }, 60_000);

  it('a new store never leaves its file empty, even before its first event: so an empty one is always damage', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'funding-ledger-new-store-'));
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
    const store = openEmbeddedStore({ dataDir });
    const file = embeddedDatabasePath(dataDir);
    try {
      expect(readFileSync(file).subarray(0, 16).toString('latin1')).toBe('SQLite format 3\u0000');
      expect(readdirSync(dataDir).filter((name) => name.endsWith('.new'))).toEqual([]);
    } finally {
      await store.close();
    }
    // And it opens again as the empty ledger it is.
    const reopened = openEmbeddedStore({ dataDir });
    expect(await reopened.headPosition()).toBeUndefined();
    await reopened.close();
  });

  it('events.sqlite with pages overwritten by garbage: exit 3, one message naming it', async () => {
    const dataDir = await aStoppedLedger();
    const file = embeddedDatabasePath(dataDir);
    const pages = statSync(file).size / readFileSync(file).readUInt16BE(16);
    overwritePages(file, Math.floor(pages / 3), Math.floor(pages / 2));
    const { code, output } = await startExpectingExit(dataDir);
    expect(code).toBe(3);
    expectOneMessage(output, file, /is damaged \(damaged pages: /);
  }, 60_000);

  it('the keys store not a database: exit 3, one message naming it', async () => {
    const dataDir = await aStoppedLedger();
    const file = embeddedDatabasePath(path.join(dataDir, 'keys'));
    writeFileSync(file, 'garbage '.repeat(1_000));
    const { code, output } = await startExpectingExit(dataDir);
    expect(code).toBe(3);
    expectOneMessage(output, file, /is damaged \(it is not a SQLite database\)/);
  }, 60_000);

  it('a keys.json that is not JSON: exit 2, one message naming it', async () => {
    const dataDir = await aStoppedLedger();
    const file = path.join(dataDir, 'keys.json');
    writeFileSync(file, '{"keys": [{"name": "ops", "sco');
    const { code, output } = await startExpectingExit(dataDir);
    expect(code).toBe(2);
    expect(output).toMatch(
      new RegExp(`^funding-ledger: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not JSON \\(.+\\); fix or remove it`, 'm'),
    );
    expect(output).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('a damaged signing key file: exit 2, one message naming it', async () => {
    const dataDir = await aStoppedLedger();
    const file = path.join(dataDir, 'audit', 'signing.key');
    writeFileSync(file, `${readFileSync(file, 'utf8').slice(0, 20)}\u0000garbage\n`);
    const { code, output } = await startExpectingExit(dataDir);
    expect(code).toBe(2);
    expect(output).toContain(`funding-ledger: ${file}: does not hold a signer key`);
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('a signing key file kept outside DATA_DIR (AUDIT_SIGNING_KEY_FILE) emptied: exit 2, one message naming it', async () => {
    const dataDir = await aStoppedLedger();
    const secrets = mkdtempSync(path.join(tmpdir(), 'funding-ledger-secrets-'));
    onTestFinished(() => rmSync(secrets, { recursive: true, force: true }));
    const file = path.join(secrets, 'signing.key');
    writeFileSync(file, '', { mode: 0o600 });
    const { code, output } = await startExpectingExit(dataDir, { AUDIT_SIGNING_KEY_FILE: file });
    expect(code).toBe(2);
    expect(output).toMatch(new RegExp(`^funding-ledger: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: does not hold a signer key`));
    expect(output.trim().split('\n')).toHaveLength(1);
    expect(output).not.toMatch(/\n\s+at /);
    // Left as it was: the service does not write a new key over a damaged one.
    expect(statSync(file).size).toBe(0);
  }, 60_000);
});

describe('a damaged page first read at run time', () => {
  it('fails the request that reads it with a 503 problem naming the damage and ledger restore, logs one error line, and serves the rest', async () => {
    const { dataDir, ids, adminKey } = await aStoppedLedgerWithSnapshot();
    expect(statSync(snapshotPath(dataDir)).size).toBeGreaterThan(0);
    const file = embeddedDatabasePath(dataDir);
    // The middle third of the events' leaves: the start from the snapshot reads neither end's, nor any index or interior page.
    const leaves = leafPagesOfEvents(file);
    expect(leaves.length).toBeGreaterThan(20);
    for (const page of leaves.slice(Math.floor(leaves.length / 3), Math.ceil((2 * leaves.length) / 3)))
      overwritePages(file, page - 1, page);

    const service = await startChildLedger({ dataDir });
    expect(service.output()).toContain('projections restored from a snapshot');
    const get = (route: string) => request(service.baseUrl, 'GET', route, { key: adminKey });
    const middle = ids[60] as string;

    const damagedReads = [`/announcements/${middle}`, `/announcements/${middle}/history`, '/events?limit=1000'];
    for (const route of damagedReads) {
      const reply = await get(route);
      expect(reply.status, `${route}: ${reply.text}`).toBe(503);
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(reply.headers.get('retry-after')).toBeNull();
      expect(reply.json).toMatchObject({
        type: 'urn:funding-ledger:problem:store-damaged',
        title: 'Service unavailable',
        status: 503,
        instance: route,
      });
      expect(reply.json.detail).toMatch(/^the event store's file is damaged \(damaged pages: .+\): .*ledger restore --from <backup>/);
      expect(reply.text).not.toContain(dataDir);
      expect(reply.text).not.toMatch(/\n\s+at |"stack"/);
    }

    // What the projections hold, and what lies in sound pages, is still served; the service stays up.
    expect((await get('/health/live')).status).toBe(200);
    expect((await get('/totals')).status).toBe(200);
    expect((await get('/totals?groupBy=country,fiscalYear')).status).toBe(200);
    expect((await get('/programmes')).status).toBe(200);
    expect((await get(`/announcements/${ids[0] as string}/history`)).status).toBe(200);
    expect((await get(`/announcements/${ids.at(-1) as string}/history`)).status).toBe(200);

    // An export streams its rows after the headers: the damage can only cut it short, never pass for a whole file.
    const exported = await fetch(`${service.baseUrl}/exports/events.csv`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(exported.status).toBe(200);
    await expect(exported.text()).rejects.toThrow(/terminated/);
    expect((await get('/health/live')).status).toBe(200);

    // One error line per failed request or cut-off export, naming the file and the way back; no stack trace anywhere.
    const errors = () =>
      service
        .output()
        .split('\n')
        .filter((line) => line.includes('"level":50'))
        .map((line) => JSON.parse(line) as { msg: string; reason: string });
    await expect.poll(() => errors().length).toBe(damagedReads.length + 1);
    expect(errors().map((line) => line.msg)).toEqual([
      ...damagedReads.map(() => 'the event store is damaged'),
      'the event store is damaged; the export was cut off',
    ]);
    for (const line of errors())
      expect(line.reason).toMatch(
        new RegExp(
          `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is damaged \\(damaged pages: .+\\); stop the service and restore it from a backup: ledger restore --from <backup>$`,
        ),
      );
    expect(service.output()).not.toMatch(/\n\s+at |\\n\s+at |"stack"/);
  }, 90_000);
});
