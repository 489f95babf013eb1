// GET /metrics: the Prometheus text, behind the metrics scope, counting exactly what this app did.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { scheduleStream } from '../../src/exports/schedules/record.js';
import { openScheduleStore } from '../../src/exports/schedules/store.js';
import { aDataDir, aStandIn, replicasOn } from '../multi/replicas.js';
import { clientOf, expectStatus, readyPosition, request, startTestLedger, type TestLedger } from '../support/ledger.js';
import { registerProgrammes, theThirtyMillion, theThreeMillion } from '../support/scenarios.js';

/** The value of one sample: `name{labels} value`, labels written as prom-client writes them (sorted as declared). */
function sampleOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels);
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const present = new Map([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((label) => [label[1], label[2]]));
    if (wanted.every(([key, value]) => present.get(key) === value)) return Number(match[3]);
  }
  return undefined;
}

async function scrape(baseUrl: string, key: string): Promise<string> {
  const reply = expectStatus(await request(baseUrl, 'GET', '/metrics', { key }), 200);
  expect(reply.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return reply.text;
}

/** Waits until the projections have applied every event the store holds. */
async function caughtUp(ledger: TestLedger): Promise<void> {
  await vi.waitFor(async () => expect(await readyPosition(ledger)).toBe(await ledger.storeHead()), { timeout: 10_000, interval: 20 });
}

/** A clock the test moves by hand: recordedAt and the lag's "now" both read it. */
function aClock(start: string) {
  let now = start;
  return { now: () => now, set: (instant: string) => void (now = instant) };
}

/**
 * Holds the projections (as a sliced read does), writes three announcements recorded at 10:00, scrapes at 10:01:30,
 * lets go and scrapes again once caught up: the lag while behind, then none.
 */
async function lagWhileHeld(
  ledger: TestLedger,
  clock: ReturnType<typeof aClock>,
): Promise<{ behind: string; after: string; heldAt: string }> {
  await registerProgrammes(ledger);
  await caughtUp(ledger);
  const heldAt = await ledger.storeHead();
  const release = await ledger.ledger.context.projections.hold();
  try {
    clock.set('2026-12-01T10:00:00.000Z');
    for (const body of [theThirtyMillion(), theThreeMillion(), theThreeMillion()])
      expectStatus(await clientOf(ledger).post('/announcements', body), 201);
    clock.set('2026-12-01T10:01:30.000Z');
    const behind = await scrape(ledger.baseUrl, ledger.adminKey);
    release();
    await caughtUp(ledger);
    return { behind, after: await scrape(ledger.baseUrl, ledger.adminKey), heldAt };
  } finally {
    release();
  }
}

describe('GET /metrics', () => {
  it('needs a key with the metrics scope, or admin', async () => {
    const ledger = await startTestLedger({ env: { PUBLIC_READ: 'true' } });
    const reader = ledger.createKey('reader', ['read']);
    const scraper = ledger.createKey('scraper', ['metrics']);

    expect((await request(ledger.baseUrl, 'GET', '/metrics')).status).toBe(401);
    expect((await request(ledger.baseUrl, 'GET', '/metrics', { key: reader })).status).toBe(403);
    expect((await request(ledger.baseUrl, 'GET', '/metrics', { key: scraper })).status).toBe(200);
    expect((await request(ledger.baseUrl, 'GET', '/metrics', { key: ledger.adminKey })).status).toBe(200);
  });

  it('counts requests by route pattern, events applied by type and idempotent replays, exactly', async () => {
    const ledger = await startTestLedger();
    await registerProgrammes(ledger);
    const api = clientOf(ledger);
    const keyed = { headers: { 'idempotency-key': 'metrics-test-1' } };

    expectStatus(await api.post('/announcements', theThirtyMillion()), 201);
    expectStatus(await api.post('/announcements', theThreeMillion()), 201);
    const first = expectStatus(await api.post('/announcements', theThirtyMillion(), keyed), 201);
    const replay = expectStatus(await api.post('/announcements', theThirtyMillion(), keyed), 201);
    expect(replay.json).toEqual(first.json);
    const id = (first.json as { id: string }).id;
    expectStatus(await api.get(`/announcements/${id}`), 200);
    // Every event applied before the scrape: the counters are then exact.
    for (let tries = 0; (await readyPosition(ledger)) !== (await ledger.storeHead()) && tries < 100; tries += 1)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const text = await scrape(ledger.baseUrl, ledger.adminKey);

    expect(text).toContain('# TYPE ledger_http_requests_total counter');
    expect(text).toContain('# TYPE ledger_http_request_duration_seconds histogram');
    expect(text).toContain('# TYPE ledger_events_applied_total counter');
    expect(text).toContain('# TYPE ledger_idempotent_replays_total counter');
    expect(text).toContain('# TYPE ledger_projection_lag_seconds gauge');
    const post = { method: 'POST', route: '/announcements', status_code: '201' };
    expect(sampleOf(text, 'ledger_http_requests_total', post)).toBe(4);
    expect(sampleOf(text, 'ledger_http_request_duration_seconds_count', post)).toBe(4);
    expect(sampleOf(text, 'ledger_http_request_duration_seconds_bucket', { ...post, le: '+Inf' })).toBe(4);
    expect(sampleOf(text, 'ledger_http_requests_total', { method: 'GET', route: '/announcements/:id', status_code: '200' })).toBe(1);
    expect(sampleOf(text, 'ledger_events_applied_total', { type: 'FundingAnnounced' })).toBe(3);
    expect(sampleOf(text, 'ledger_idempotent_replays_total', { route: '/announcements' })).toBe(1);
    expect(sampleOf(text, 'ledger_event_store_up')).toBe(1);
    expect(sampleOf(text, 'ledger_projection_lag_events')).toBe(0);
    expect(sampleOf(text, 'ledger_projection_lag_seconds')).toBe(0);
    expect(sampleOf(text, 'ledger_projection_position')).toBe(Number(await ledger.storeHead()));
    expect(sampleOf(text, 'ledger_event_store_head_position')).toBe(Number(await ledger.storeHead()));
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  });

  it('counts the events this instance appended by type, once the store acknowledged them; a replay or a refused write appends nothing', async () => {
    const ledger = await startTestLedger();
    const api = clientOf(ledger);
    // Start-up wrote the ledger's first (admin) key to the keys stream: key changes are appends too.
    const atStart = await scrape(ledger.baseUrl, ledger.adminKey);
    expect(atStart).toContain('# TYPE ledger_events_appended_total counter');
    expect(sampleOf(atStart, 'ledger_events_appended_total', { type: 'ApiKeyCreated' })).toBe(1);
    expect(sampleOf(atStart, 'ledger_events_appended_total', { type: 'FundingAnnounced' })).toBeUndefined();

    await registerProgrammes(ledger);
    const keyed = { headers: { 'idempotency-key': 'metrics-appended-1' } };
    const first = expectStatus(await api.post('/announcements', theThirtyMillion(), keyed), 201);
    expectStatus(await api.post('/announcements', theThirtyMillion(), keyed), 201);
    expectStatus(await api.post('/announcements', theThreeMillion()), 201);
    const id = (first.json as { id: string }).id;
    const withdrawal = { reason: 'announced twice by mistake' };
    expectStatus(await api.post(`/announcements/${id}/withdrawal`, withdrawal, { headers: { 'if-match': '"7"' } }), 412);
    expectStatus(await api.post(`/announcements/${id}/withdrawal`, withdrawal, { headers: { 'if-match': '"0"' } }), 200);
    expectStatus(await api.post('/admin/keys', { name: 'prometheus', scopes: ['metrics'] }), 201);
    const text = await scrape(ledger.baseUrl, ledger.adminKey);

    const appended = (type: string) => sampleOf(text, 'ledger_events_appended_total', { type });
    expect(appended('ProgrammeRegistered')).toBe(2);
    expect(appended('FundingAnnounced')).toBe(2);
    expect(appended('FundingWithdrawn')).toBe(1);
    expect(appended('ApiKeyCreated')).toBe(2);
    expect(appended('FundingAmended')).toBeUndefined();
    expect(sampleOf(text, 'ledger_idempotent_replays_total', { route: '/announcements' })).toBe(1);
    // What the ledger's own store holds (the keys live in a store of their own): exactly the events counted.
    const types = (await ledger.eventsIn('')).map((event) => event.type);
    expect(types.sort()).toEqual([
      'FundingAnnounced',
      'FundingAnnounced',
      'FundingWithdrawn',
      'ProgrammeRegistered',
      'ProgrammeRegistered',
    ]);
  });

  it('keeps each app its own counts: two ledgers in one process do not add up', async () => {
    const one = await startTestLedger();
    const two = await startTestLedger();
    await registerProgrammes(one);
    expectStatus(await clientOf(one).post('/announcements', theThirtyMillion()), 201);

    const text = await scrape(two.baseUrl, two.adminKey);

    expect(sampleOf(text, 'ledger_http_requests_total', { method: 'POST', route: '/announcements' })).toBeUndefined();
    expect(sampleOf(text, 'ledger_events_applied_total', { type: 'FundingAnnounced' })).toBeUndefined();
  });

  it('labels a request that matched no route as unmatched, never by its URL', async () => {
    const ledger = await startTestLedger();
    expect((await request(ledger.baseUrl, 'GET', '/no/such/route/42')).status).toBe(404);

    const text = await scrape(ledger.baseUrl, ledger.adminKey);

    expect(sampleOf(text, 'ledger_http_requests_total', { method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
    expect(text).not.toContain('/no/such/route');
  });

  it('says the event store is down (0) while the EventStoreDB stand-in is stopped, and up (1) once it is back', async () => {
    const standIn = await aStandIn();
    const [ledger] = await replicasOn(standIn, 1);
    if (ledger === undefined) throw new Error('no ledger');
    await registerProgrammes(ledger);
    const before = await scrape(ledger.baseUrl, ledger.adminKey);
    expect(sampleOf(before, 'ledger_event_store_up')).toBe(1);
    expect(sampleOf(before, 'ledger_event_store_disconnections')).toBe(0);
    // The keys stream shares the ledger's store on EventStoreDB: its appends are counted once, not twice.
    expect(sampleOf(before, 'ledger_events_appended_total', { type: 'ApiKeyCreated' })).toBe(1);
    expect(sampleOf(before, 'ledger_events_appended_total', { type: 'ProgrammeRegistered' })).toBe(2);

    await standIn.stop();
    // Scraped until the ledger has noticed; /metrics itself is answered from memory and the failed head read.
    const down = await vi.waitFor(
      async () => {
        const text = await scrape(ledger.baseUrl, ledger.adminKey);
        expect(sampleOf(text, 'ledger_event_store_up')).toBe(0);
        return text;
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(sampleOf(down, 'ledger_event_store_disconnections')).toBeGreaterThanOrEqual(1);
    expect((await clientOf(ledger).post('/announcements', theThirtyMillion())).status).toBe(503);

    await standIn.start();
    const back = await vi.waitFor(
      async () => {
        const text = await scrape(ledger.baseUrl, ledger.adminKey);
        expect(sampleOf(text, 'ledger_event_store_up')).toBe(1);
        return text;
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(sampleOf(back, 'ledger_event_store_disconnections')).toBeGreaterThanOrEqual(1);
    expect(sampleOf(back, 'ledger_projection_lag_events')).toBe(0);
    expectStatus(await clientOf(ledger).post('/announcements', theThirtyMillion()), 201);
    expect(sampleOf(await scrape(ledger.baseUrl, ledger.adminKey), 'ledger_events_appended_total', { type: 'FundingAnnounced' })).toBe(1);
  });

  it("shows the projections' lag in events and seconds while they are behind the store, and 0 once caught up (embedded)", async () => {
    const clock = aClock('2026-12-01T09:00:00.000Z');
    const ledger = await startTestLedger({ now: clock.now });

    const { behind, after, heldAt } = await lagWhileHeld(ledger, clock);

    const head = Number(await ledger.storeHead());
    expect(sampleOf(behind, 'ledger_event_store_head_position')).toBe(head);
    expect(sampleOf(behind, 'ledger_projection_position')).toBe(Number(heldAt));
    expect(sampleOf(behind, 'ledger_projection_lag_events')).toBe(3);
    expect(sampleOf(behind, 'ledger_projection_lag_seconds')).toBe(90);
    expect(sampleOf(after, 'ledger_projection_position')).toBe(head);
    expect(sampleOf(after, 'ledger_projection_lag_events')).toBe(0);
    expect(sampleOf(after, 'ledger_projection_lag_seconds')).toBe(0);
    expect(sampleOf(after, 'ledger_events_applied_total', { type: 'FundingAnnounced' })).toBe(3);
  });

  it('counts the lag by reading on EventStoreDB, whose positions are byte offsets, and shows 0 once caught up', async () => {
    const standIn = await aStandIn();
    const clock = aClock('2026-12-01T09:00:00.000Z');
    const ledger = await startTestLedger({
      dataDir: aDataDir(),
      now: clock.now,
      env: { EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: standIn.connectionString },
    });

    const { behind, after, heldAt } = await lagWhileHeld(ledger, clock);

    expect(sampleOf(behind, 'ledger_projection_position')).toBe(Number(heldAt));
    expect(sampleOf(behind, 'ledger_event_store_head_position')).toBe(Number(await ledger.storeHead()));
    expect(sampleOf(behind, 'ledger_projection_lag_events')).toBe(3);
    expect(sampleOf(behind, 'ledger_projection_lag_seconds')).toBe(90);
    expect(sampleOf(after, 'ledger_projection_lag_events')).toBe(0);
    expect(sampleOf(after, 'ledger_projection_lag_seconds')).toBe(0);
  });

  it("counts the scheduled export runs by schedule and result, as many as the schedules' store recorded", async () => {
    const root = mkdtempSync(join(tmpdir(), 'metrics-schedules-'));
    onTestFinished(() => rmSync(root, { recursive: true, force: true }));
    const directory = join(root, 'journal');
    // A file where the directory should be: runs fail (even as root) until it is removed.
    writeFileSync(directory, 'in the way');
    const schedulesFile = join(root, 'schedules.json');
    writeFileSync(schedulesFile, JSON.stringify([{ name: 'journal', cron: '*/1 * * * * *', kind: 'events', directory, keep: 1000 }]));
    const ledger = await startTestLedger({ env: { EXPORT_SCHEDULES_FILE: schedulesFile } });
    await registerProgrammes(ledger);
    const { schedules } = ledger.ledger.context.exports;
    const lastRun = async () => (await schedules.list())[0]?.lastRun?.status;

    await vi.waitFor(async () => expect(await lastRun()).toBe('failed'), { timeout: 20_000, interval: 100 });
    rmSync(directory);
    await vi.waitFor(async () => expect(await lastRun()).toBe('ok'), { timeout: 20_000, interval: 100 });
    // No run after this; the schedules' store is closed, so the test can read what it recorded.
    await schedules.stop();
    const text = await scrape(ledger.baseUrl, ledger.adminKey);
    const recorded = openScheduleStore(
      { eventStore: 'embedded', dataDir: ledger.dataDir },
      pino({ level: 'silent' }),
      ledger.ledger.context.store,
    );
    const results = new Map<string, number>();
    try {
      for await (const event of recorded.store.readStream(scheduleStream('journal')))
        results.set(event.type, (results.get(event.type) ?? 0) + 1);
    } finally {
      await recorded.close();
    }

    expect(text).toContain('# TYPE ledger_scheduled_export_runs_total counter');
    const runs = (result: string) => sampleOf(text, 'ledger_scheduled_export_runs_total', { schedule: 'journal', result });
    const succeeded = results.get('ScheduledExportSucceeded') ?? 0;
    const failed = results.get('ScheduledExportFailed') ?? 0;
    expect(succeeded).toBeGreaterThanOrEqual(1);
    expect(failed).toBeGreaterThanOrEqual(1);
    expect(runs('ok')).toBe(succeeded);
    expect(runs('failed')).toBe(failed);
    // Each good run left a manifest beside its csv; a failed one left nothing.
    expect(readdirSync(directory).filter((file) => file.endsWith('.json'))).toHaveLength(succeeded);
    // The results and the slot claims are appends to the schedules' store, counted with the rest.
    expect(sampleOf(text, 'ledger_events_appended_total', { type: 'ScheduledExportSucceeded' })).toBe(succeeded);
    expect(sampleOf(text, 'ledger_events_appended_total', { type: 'ScheduledExportFailed' })).toBe(failed);
    expect(sampleOf(text, 'ledger_events_appended_total', { type: 'ExportSlotClaimed' })).toBe(results.get('ExportSlotClaimed'));
  });
});
