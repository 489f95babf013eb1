// Heavy work never stalls other clients: twenty heavy reads at once against a generated ledger, the admission gate's
// refusals, HEAD without building, and /health/live outside the overload guard.
import { IDLE_MS } from '../../src/http/heavyWork.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { get, type ClientRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { totalsProjection } from '../../src/projections/models/totals/projection.js';
import { queryTotals } from '../../src/projections/models/totals/query.js';
import type { Dimension } from '../../src/projections/models/totals/state.js';
import { ledger as runLedger } from '../cli/ledgerCli.js';
import { expectProblem, request, startTestLedger, type Reply, type TestLedger } from '../support/ledger.js';

/** About 10,000 events: enough that each heavy read takes many slices, small enough for CI. */
const ANNOUNCEMENTS = 8_000;
let generated: string;

beforeAll(async () => {
  generated = mkdtempSync(join(tmpdir(), 'funding-ledger-heavy-'));
  const ran = await runLedger([
    'generate',
    '--announcements',
    String(ANNOUNCEMENTS),
    '--seed',
    '7',
    '--data-dir',
    join(generated, 'ledger'),
  ]);
  if (ran.code !== 0) throw new Error(`ledger generate failed: ${ran.stderr}`);
  return () => rmSync(generated, { recursive: true, force: true });
}, 120_000);

/** A service on a private copy of the generated ledger. */
async function generatedLedger(env: Record<string, string> = {}): Promise<TestLedger> {
  const dataDir = mkdtempSync(join(tmpdir(), 'funding-ledger-heavy-run-'));
  onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
  const { cpSync } = await import('node:fs');
  cpSync(join(generated, 'ledger'), dataDir, { recursive: true });
  return startTestLedger({ dataDir, env });
}

describe('heavy reads and everyone else', () => {
  it('answers every /health/live probe with 200 while twenty heavy reads of mixed kinds run at once, and completes them all', async () => {
    const ledger = await generatedLedger();
    const readers = Array.from({ length: 4 }, (_, index) => ledger.createKey(`reader-${index}`, ['read']));
    const auditor = ledger.createKey('auditor', ['read', 'audit']);
    const dims = 'programme,country,year,funder,currency';
    // Five clients with four heavy reads each: the per-client share (4) admits them all, the global limit queues them.
    const heavy: { path: string; key: string; method?: string }[] = [
      ...readers.flatMap((key, index) => [
        { path: '/exports/announcements.csv', key },
        { path: `/totals?groupBy=${dims}&currency=EUR&yearFrom=${1990 + index}`, key },
        { path: `/exports/totals.csv?groupBy=${dims}&currency=GBP&yearFrom=${1990 + index}`, key },
        { path: `/totals?groupBy=country,year&asOf=${2_000 * (index + 1)}`, key },
      ]),
      { path: '/exports/events.csv', key: auditor },
      { path: '/audit/export', key: auditor },
      { path: '/events?limit=1000&actor=nobody', key: auditor },
      { path: '/audit/replay', key: auditor, method: 'POST' },
    ];
    expect(heavy).toHaveLength(20);

    const probes: number[] = [];
    const loads: { running: number; queued: number }[] = [];
    let done = false;
    const probing = (async () => {
      while (!done) {
        probes.push((await request(ledger.baseUrl, 'GET', '/health/live')).status);
        loads.push((await request(ledger.baseUrl, 'GET', '/health/ready')).json.heavyWork);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const answers = await Promise.all(heavy.map(({ path, key, method }) => request(ledger.baseUrl, method ?? 'GET', path, { key })));
    done = true;
    await probing;

    for (const [index, answer] of answers.entries())
      expect({ path: heavy[index]?.path, status: answer.status }).toEqual({ path: heavy[index]?.path, status: 200 });
    for (const answer of answers.filter((reply) => reply.headers.get('content-type')?.startsWith('text/csv')))
      expect(answer.text.endsWith('\r\n')).toBe(true);
    expect(
      answers
        .filter((reply) => reply.headers.get('content-type')?.startsWith('application/json'))
        .every((reply) => reply.json !== undefined),
    ).toBe(true);
    expect(probes.length).toBeGreaterThan(5);
    expect(probes.every((status) => status === 200)).toBe(true);
    // The gate held: never more than HEAVY_CONCURRENCY (2) at once, and the rest waited in its queue.
    expect(Math.max(...loads.map((load) => load.running))).toBeLessThanOrEqual(2);
    expect(Math.max(...loads.map((load) => load.queued))).toBeGreaterThan(0);
  }, 120_000);

  it('refuses a client beyond its share with 429, and everyone beyond the queue with 503, each with Retry-After', async () => {
    const ledger = await generatedLedger({ HEAVY_CONCURRENCY: '1', HEAVY_QUEUE: '0', HEAVY_PER_CLIENT: '1' });
    const first = ledger.createKey('first', ['read']);
    const second = ledger.createKey('second', ['read']);
    // The first export holds the only slot while its body stays unread.
    const held = await new Promise<ClientRequest>((resolve, reject) => {
      const pending = get(
        new URL('/exports/announcements.csv', ledger.baseUrl),
        { headers: { authorization: `Bearer ${first}` } },
        (response) => {
          expect(response.statusCode).toBe(200);
          response.pause();
          resolve(pending);
        },
      );
      pending.on('error', reject);
    });

    expectProblem(await request(ledger.baseUrl, 'GET', '/exports/announcements.csv', { key: first }), 429, {
      type: 'too-many-heavy-requests',
      retryAfter: true,
    });
    expectProblem(await request(ledger.baseUrl, 'GET', '/exports/announcements.csv', { key: second }), 503, {
      type: 'overloaded',
      retryAfter: true,
    });
    // Light reads go on meanwhile.
    expect((await request(ledger.baseUrl, 'GET', '/programmes', { key: second })).status).toBe(200);

    held.destroy();
    // The slot comes back once the aborted answer is closed.
    let after: Reply | undefined;
    for (let attempt = 0; attempt < 50 && after?.status !== 200; attempt += 1) {
      after = await request(ledger.baseUrl, 'GET', '/exports/announcements.csv', { key: second });
      if (after.status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(after?.status).toBe(200);
    expect(after?.text.endsWith('\r\n')).toBe(true);
  });

  it('counts heavy reads per key id against their own budget, however the Authorization header is spelled', async () => {
    const ledger = await generatedLedger({ HEAVY_READS_PER_MINUTE: '2' });
    const key = ledger.createKey('budget', ['read']);
    const spellings = [`Bearer ${key}`, `bearer ${key}`, `BEARER  ${key}`, `Bearer ${key} `];
    const ask = (authorization: string, year: number) =>
      request(ledger.baseUrl, 'GET', `/totals?groupBy=country,year&yearFrom=${year}`, { headers: { authorization } });
    expect((await ask(spellings[0] as string, 2001)).status).toBe(200);
    expect((await ask(spellings[1] as string, 2002)).status).toBe(200);
    for (const [index, spelling] of spellings.entries())
      expectProblem(await ask(spelling, 2010 + index), 429, { type: 'too-many-heavy-requests', retryAfter: true });
    // A cached answer is not heavy work and is still served.
    expect((await ask(spellings[2] as string, 2001)).status).toBe(200);
    // Another key has its own budget.
    expect(
      (await request(ledger.baseUrl, 'GET', '/totals?groupBy=country,year&yearFrom=2020', { key: ledger.createKey('other', ['read']) }))
        .status,
    ).toBe(200);
  });
});

describe('once heavy work is over', () => {
  it("lets go of the burst's large cached answers and scratch memory, and keeps a dashboard's small answer", async () => {
    // A budget of three heavy reads: once it is spent, only an answer still cached can be served (a cached answer is
    // not heavy work); so what the idle moment let go shows as a 429.
    const ledger = await generatedLedger({ HEAVY_READS_PER_MINUTE: '3' });
    const key = ledger.createKey('burst', ['read']);
    const large = '/totals?groupBy=programme,country,year,funder,currency';
    const small = '/totals?groupBy=currency';
    const asked = await request(ledger.baseUrl, 'GET', large, { key });
    expect(asked.status).toBe(200);
    expect(asked.bytes.length).toBeGreaterThan(64 * 1024);
    expect((await request(ledger.baseUrl, 'GET', small, { key })).status).toBe(200);
    expect((await request(ledger.baseUrl, 'GET', '/totals?asOf=5000', { key })).status).toBe(200);
    // Before the idle moment, both answers are served from the cache, the budget spent.
    expect((await request(ledger.baseUrl, 'GET', large, { key })).status).toBe(200);
    // The past state was made for its request from the history and not kept; what past states and queries hand back
    // waits in the scratch pool (arrays of this small ledger are below its smallest size, so one is put there).
    const { pastTotals, scratch } = ledger.ledger.context;
    expect(pastTotals.cachedAt({ position: { commit: 5000n, prepare: 5000n } })).toBeUndefined();
    scratch.give(new ArrayBuffer(1024 * 1024));
    expect(scratch.bytes).toBeGreaterThan(0);

    // The heavy-work gate counts as idle two seconds after its last heavy request; the pool is emptied then. The large
    // answer was served again before that, so it is looked at once more a period later, and goes then, unread.
    await vi.waitFor(() => expect(scratch.bytes).toBe(0), { timeout: 15_000, interval: 100 });
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS + 500));
    expect((await request(ledger.baseUrl, 'GET', small, { key })).status).toBe(200);
    expectProblem(await request(ledger.baseUrl, 'GET', large, { key }), 429, { type: 'too-many-heavy-requests', retryAfter: true });
  });
});

describe('a large answer in use', () => {
  it('stays cached through the idle moment while clients keep reading it, so they need no heavy work', async () => {
    // Budget of two heavy reads: the first large answer and the as-of one. A large answer dropped at idle could then
    // only come back as a 429.
    const ledger = await generatedLedger({ HEAVY_READS_PER_MINUTE: '2' });
    const key = ledger.createKey('dashboard', ['read']);
    const large = '/totals?groupBy=programme,country,year,funder,currency';
    expect((await request(ledger.baseUrl, 'GET', large, { key })).status).toBe(200);
    expect((await request(ledger.baseUrl, 'GET', '/totals?asOf=5000', { key })).status).toBe(200);
    const { scratch } = ledger.ledger.context;
    // Read from the cache (no heavy work) until the gate has gone idle (it empties the scratch pool then).
    scratch.give(new ArrayBuffer(1024 * 1024));
    await vi.waitFor(
      async () => {
        expect((await request(ledger.baseUrl, 'GET', large, { key })).status).toBe(200);
        expect(scratch.bytes).toBe(0);
      },
      { timeout: 15_000, interval: 200 },
    );
    expect((await request(ledger.baseUrl, 'GET', large, { key })).status).toBe(200);
    // The budget is spent: what is not cached (this past moment) is refused, so the 200s above came from the cache.
    expect((await request(ledger.baseUrl, 'GET', '/totals?asOf=4000', { key })).status).toBe(429);
  });
});

describe('answers too large to cache', () => {
  it('streams an answer over CACHE_ENTRY_MAX_BYTES, the same bytes JSON.stringify gives, and caches one under it', async () => {
    const ledger = await generatedLedger({ CACHE_ENTRY_MAX_BYTES: '4096' });
    const state = ledger.ledger.context.projections.stateOf(totalsProjection);
    const position = (await request(ledger.baseUrl, 'GET', '/health/ready')).json.position as string;
    const query = { groupBy: ['programme', 'country', 'year'] as Dimension[], currency: 'EUR' as const, filter: {} };
    const expected = JSON.stringify({ position, groupBy: query.groupBy, currency: 'EUR', ...queryTotals(state, query) });
    expect(expected.length).toBeGreaterThan(4096);

    const large = await request(ledger.baseUrl, 'GET', '/totals?groupBy=programme,country,year&currency=EUR', { key: ledger.adminKey });
    expect(large.status).toBe(200);
    expect(large.headers.get('content-length')).toBeNull();
    expect(large.headers.get('transfer-encoding')).toBe('chunked');
    expect(large.headers.get('etag')).toBe(`"${position}"`);
    expect(large.text).toBe(expected);

    const small = await request(ledger.baseUrl, 'GET', '/totals?groupBy=currency', { key: ledger.adminKey });
    expect(Number(small.headers.get('content-length'))).toBe(Buffer.byteLength(small.text));
    expect(small.text).toBe(
      JSON.stringify({ position, groupBy: ['currency'], currency: null, ...queryTotals(state, { groupBy: ['currency'], filter: {} }) }),
    );
  });
});

describe('HEAD on the exports', () => {
  it('answers the headers of each export without reading a row', async () => {
    const ledger = await generatedLedger();
    const store = ledger.ledger.context.store;
    let reads = 0;
    const readStream = store.readStream.bind(store);
    const readAll = store.readAll.bind(store);
    store.readStream = (...args: Parameters<typeof readStream>) => ((reads += 1), readStream(...args));
    store.readAll = (...args: Parameters<typeof readAll>) => ((reads += 1), readAll(...args));
    const position = (await request(ledger.baseUrl, 'GET', '/health/ready')).json.position as string;

    for (const [path, kind] of [
      ['/exports/announcements.csv', 'announcements'],
      ['/exports/events.csv', 'events'],
      ['/exports/totals.csv?groupBy=programme,country,year,funder&currency=EUR', 'totals'],
    ] as const) {
      const reply = await request(ledger.baseUrl, 'HEAD', path, { key: ledger.adminKey });
      expect(reply.status).toBe(200);
      expect(reply.text).toBe('');
      expect(reply.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(reply.headers.get('content-disposition')).toBe(`attachment; filename="${kind}-${position}.csv"`);
      expect(reply.headers.get('x-ledger-position')).toBe(position);
    }
    expect(reads).toBe(0);
    // The GET does read: the counter is live.
    expect((await request(ledger.baseUrl, 'GET', '/exports/events.csv', { key: ledger.adminKey })).status).toBe(200);
    expect(reads).toBeGreaterThan(0);
  });
});

describe('the overload guard', () => {
  it('keeps /health/live at 200 while every other route answers 503, and /health/ready says why', async () => {
    const ledger = await generatedLedger({ MAX_HEAP_USED_BYTES: '1' });
    let refused: Reply | undefined;
    for (let attempt = 0; attempt < 60 && refused?.status !== 503; attempt += 1) {
      refused = await request(ledger.baseUrl, 'GET', '/totals', { key: ledger.adminKey });
      if (refused.status !== 503) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expectProblem(refused as Reply, 503, { type: 'overloaded', retryAfter: true });
    expect(refused?.json.detail).toMatch(/heapUsedBytes/);
    const live = await request(ledger.baseUrl, 'GET', '/health/live');
    expect(live.status).toBe(200);
    expect(live.json).toEqual({ status: 'live' });
    const ready = await request(ledger.baseUrl, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.json).toMatchObject({ ready: false, caughtUp: true, overloaded: true });
  });
});
