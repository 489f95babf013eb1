// The whole service over real HTTP on EVENT_STORE=eventstoredb, pointed at the test-only gRPC stand-in: the main flows,
// then the server going away mid-subscription and during a burst of writes.
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { startStandIn, type StandIn } from '../support/esdbStandIn/server.js';
import {
  announce,
  clientOf,
  expectProblem,
  expectStatus,
  startTestLedger,
  type Reply,
  type TestLedger,
  type TestLedgerOptions,
} from '../support/ledger.js';
import {
  anExchangeRate,
  citedRate,
  convertedFigures,
  registerProgrammes,
  theThirtyMillion,
  theThreeMillion,
  type Body,
} from '../support/scenarios.js';

const gbp = (value: string) => ({ currency: 'GBP', value });
const eur = (value: string) => ({ currency: 'EUR', value });

/** A stand-in of its own for each test, closed when the test ends (after the services using it). */
async function aStandIn(): Promise<StandIn> {
  const standIn = await startStandIn();
  onTestFinished(() => standIn.close());
  return standIn;
}

/** The real service, configured as production would be for EventStoreDB, on a data directory of its own. */
function aServiceOn(standIn: StandIn, options: Omit<TestLedgerOptions, 'env'> = {}): Promise<TestLedger> {
  return startTestLedger({ ...options, env: { EVENT_STORE: 'eventstoredb', EVENTSTORE_CONNECTION_STRING: standIn.connectionString } });
}

/** A stand-in, the service on it, the programmes registered and the £30m announced: where the story of two tests starts. */
async function aServiceWithTheThirtyMillion() {
  const standIn = await aStandIn();
  const service = await aServiceOn(standIn);
  await registerProgrammes(service);
  return { standIn, service, api: clientOf(service), thirty: await announce(service, theThirtyMillion()) };
}

async function readiness(ledger: TestLedger): Promise<Reply> {
  return clientOf(ledger, null).get('/health/ready');
}

/** Waits until /health/ready answers `status` (and, when given, reports `position`). */
async function untilReady(ledger: TestLedger, status: 200 | 503, options: { position?: string; timeout?: number } = {}): Promise<Reply> {
  let last: Reply | undefined;
  await vi.waitFor(
    async () => {
      last = await readiness(ledger);
      expect(last.status).toBe(status);
      if (options.position !== undefined) expect(last.json.position).toBe(options.position);
    },
    { timeout: options.timeout ?? 10_000, interval: 25 },
  );
  return last!;
}

/** One audit-only key per data directory: what GET /events and POST /audit/replay are called with. */
const auditKeys = new Map<string, string>();

function auditorOf(ledger: TestLedger) {
  const key = auditKeys.get(ledger.dataDir) ?? ledger.createKey('auditor', ['audit']);
  auditKeys.set(ledger.dataDir, key);
  return clientOf(ledger, key);
}

interface JournalItem {
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: Record<string, unknown>;
}

/** Every event of the journal matching `query`, page after page, as an auditor sees it. */
async function journal(ledger: TestLedger, query: string): Promise<JournalItem[]> {
  const auditor = auditorOf(ledger);
  const items: JournalItem[] = [];
  for (let after: string | null = null; ;) {
    const page = expectStatus(await auditor.get(`/events?limit=1000&${query}${after === null ? '' : `&after=${after}`}`), 200);
    items.push(...page.json.items);
    after = page.json.nextCursor;
    if (after === null) return items;
  }
}

/** The answer to one POST, or 'hung' when none came within the client's timeout. */
type Outcome = Reply | 'hung';

async function postWithin(
  ledger: TestLedger,
  path: string,
  body: Body,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Outcome> {
  try {
    const response = await fetch(new URL(path, ledger.baseUrl), {
      method: 'POST',
      headers: { authorization: `Bearer ${ledger.adminKey}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      bytes: Buffer.from(text),
      text,
      json: text ? JSON.parse(text) : undefined,
    };
  } catch (error) {
    if (error instanceof DOMException && error.name === 'TimeoutError') return 'hung';
    throw error;
  }
}

function expectServiceUnavailable(reply: Reply): void {
  expectProblem(reply, 503, { retryAfter: true, body: { title: 'Service unavailable' } });
}

describe('the service on EVENT_STORE=eventstoredb, against the test-only gRPC stand-in', () => {
  it('registers, announces, amends, withdraws and converts to the same exact totals, retries append nothing, and a restart changes nothing', async () => {
    const { standIn, service, api, thirty } = await aServiceWithTheThirtyMillion();
    const three = await announce(service, theThreeMillion());
    const rate = citedRate(
      expectStatus(await api.post('/exchange-rates', anExchangeRate({ rate: '1.1876', effectiveOn: '2025-03-31' })), 201),
    );
    expectStatus(
      await api.post(`/announcements/${three.id}/amendments`, { changes: { amount: gbp('3500000.00') }, reason: 'corrected figure' }),
      200,
    );
    const twice = await api.post('/announcements', theThreeMillion({ title: 'The £3m, announced twice' }), {
      headers: { 'idempotency-key': 'import-cps-twice' },
    });
    expectStatus(twice, 201);

    const head = await service.storeHead();
    // The journal first: reading it creates the auditor's key, an event of the apikeys stream in the same database.
    const journalSize = (await journal(service, '')).length;
    const logSize = standIn.log.events.length;
    const retry = await api.post('/announcements', theThreeMillion({ title: 'The £3m, announced twice' }), {
      headers: { 'idempotency-key': 'import-cps-twice' },
    });

    expect(retry.status).toBe(201);
    expect(retry.json).toEqual(twice.json);
    expect(await service.storeHead()).toBe(head);
    expect(standIn.log.events.length).toBe(logSize);
    expect(await journal(service, '')).toHaveLength(journalSize);

    expectStatus(await api.post(`/announcements/${twice.json.id}/withdrawal`, { reason: 'announced twice by mistake' }), 200);
    const totals = await api.get('/totals?groupBy=programme&currency=EUR');

    // £3,500,000.00 x 1.1876 = €4,156,600.00; £30,000,000.00 x 1.1876 = €35,628,000.00; the withdrawn £3m counts nowhere.
    expect(totals.status).toBe(200);
    expect(totals.json.rows).toEqual([
      { programme: 'cps-smuggling-prosecutions', ...convertedFigures(1, gbp('3500000.00'), eur('4156600.00'), rate) },
      { programme: 'oic-supply-chains', ...convertedFigures(1, gbp('30000000.00'), eur('35628000.00'), rate) },
    ]);
    expect(totals.json.total).toEqual(convertedFigures(2, gbp('33500000.00'), eur('39784600.00'), rate));
    // The totals reflect the server's own head position, and the server holds the eight events and nothing more
    // (besides the keys stream: the admin key and the auditor's).
    expect(totals.json.position).toBe(await service.storeHead());
    expect(standIn.log.events.filter((event) => !event.stream.startsWith('$') && event.stream !== 'apikeys')).toHaveLength(8);
    expect((await journal(service, '')).map((event) => event.type)).toEqual([
      'ProgrammeRegistered',
      'ProgrammeRegistered',
      'FundingAnnounced',
      'FundingAnnounced',
      'ExchangeRateRecorded',
      'FundingAmended',
      'FundingAnnounced',
      'FundingWithdrawn',
    ]);

    const thirtyShown = expectStatus(await api.get(`/announcements/${thirty.id}`), 200);
    const restarted = await service.restart();
    const again = clientOf(restarted);

    expect((await again.get('/totals?groupBy=programme&currency=EUR')).json).toEqual(totals.json);
    expect((await readiness(restarted)).json).toMatchObject({
      ready: true,
      caughtUp: true,
      overloaded: false,
      position: totals.json.position,
    });
    expect((await again.get(`/announcements/${thirty.id}`)).json).toEqual(thirtyShown.json);
    const retriedAfterRestart = await again.post('/announcements', theThreeMillion({ title: 'The £3m, announced twice' }), {
      headers: { 'idempotency-key': 'import-cps-twice' },
    });
    expect(retriedAfterRestart.status).toBe(201);
    expect(retriedAfterRestart.json.id).toBe(twice.json.id);
    expect(await restarted.storeHead()).toBe(totals.json.position);
  });

  it('turns not ready when the server goes away, refuses writes with 503 writing nothing, and catches up to a fresh rebuild when it is back', async () => {
    const { standIn, service, api, thirty } = await aServiceWithTheThirtyMillion();
    await untilReady(service, 200);
    // Another instance reaches the same database through an endpoint that stays up: its writes land while this one is cut off.
    const sideDoor = await startStandIn({ log: standIn.log });
    onTestFinished(() => sideDoor.close());
    const other = await aServiceOn(sideDoor);
    // One ledger, one admin key: the other instance found keys in the store and wrote no admin.key of its own.
    const elsewhere = clientOf(other, service.adminKey);

    await standIn.stop();
    const stoppedAt = performance.now();
    const refusedAtOnce = await api.post('/announcements', theThreeMillion(), { headers: { 'idempotency-key': 'while-down-1' } });
    const notReady = await untilReady(service, 503, { timeout: 3_000 });
    const secondsToNotReady = (performance.now() - stoppedAt) / 1_000;
    const refused = await api.post('/announcements', theThreeMillion(), { headers: { 'idempotency-key': 'while-down-2' } });
    const amendRefused = await api.post(`/announcements/${thirty.id}/amendments`, { changes: { title: 'while down' }, reason: 'test' });
    const shownWhileDown = await api.get(`/announcements/${thirty.id}`);
    const startedWhileDown = performance.now();
    const startUp = await aServiceOn(standIn).catch((error: unknown) => error);
    const secondsToRefuseStartUp = (performance.now() - startedWhileDown) / 1_000;
    const three = expectStatus(await elsewhere.post('/announcements', theThreeMillion()), 201).json as { id: string };
    const rate = citedRate(
      expectStatus(await elsewhere.post('/exchange-rates', anExchangeRate({ rate: '1.1876', effectiveOn: '2025-03-31' })), 201),
    );
    const totalsWhileDown = await api.get('/totals?groupBy=programme');

    expect(secondsToNotReady).toBeLessThan(3);
    expect(notReady.json).toMatchObject({ ready: false, caughtUp: false, position: thirty.position });
    for (const reply of [refusedAtOnce, refused, amendRefused, shownWhileDown]) expectServiceUnavailable(reply);
    expect(startUp).toBeInstanceOf(Error);
    expect((startUp as Error).message).toMatch(/^EventStoreDB at esdb:\/\/127\.0\.0\.1:\d+\?tls=false is not usable: /);
    expect(secondsToRefuseStartUp).toBeLessThan(6);
    // Projections keep answering from what they had applied.
    expect(totalsWhileDown.status).toBe(200);
    expect(totalsWhileDown.json.position).toBe(thirty.position);
    expect((await readiness(service)).json).toMatchObject({ ready: false, caughtUp: false, position: thirty.position });

    await standIn.start();
    // More writes while this instance reconnects.
    expectStatus(
      await elsewhere.post(`/announcements/${thirty.id}/amendments`, {
        changes: { allocations: [{ country: 'RS', value: '30000000.00' }] },
        reason: 'all to Serbia',
      }),
      200,
    );
    expectStatus(await elsewhere.post(`/announcements/${three.id}/withdrawal`, { reason: 'duplicate' }), 200);

    await untilReady(service, 200, { position: await other.storeHead() });
    const afterOutage = await api.post('/announcements', theThreeMillion({ title: 'After the outage' }), {
      headers: { 'idempotency-key': 'after-outage' },
    });
    expectStatus(afterOutage, 201);
    await untilReady(service, 200, { position: afterOutage.json.position });
    const replay = await auditorOf(service).post('/audit/replay', undefined);

    expect(replay.status).toBe(200);
    expect(replay.json).toMatchObject({ match: true, position: afterOutage.json.position });
    expect(replay.json.digest).toBe(replay.json.liveDigest);
    const journalled = await journal(service, '');
    expect(journalled.map((event) => event.metadata.idempotencyKey).filter((key) => String(key).startsWith('while-down'))).toEqual([]);
    expect(journalled.map((event) => event.type)).toEqual([
      'ProgrammeRegistered',
      'ProgrammeRegistered',
      'FundingAnnounced',
      'FundingAnnounced',
      'ExchangeRateRecorded',
      'FundingAmended',
      'FundingWithdrawn',
      'FundingAnnounced',
    ]);

    const fresh = await aServiceOn(standIn);
    for (const path of [
      '/totals?groupBy=programme&currency=EUR',
      '/totals?groupBy=country',
      '/announcements',
      '/programmes',
      '/exchange-rates',
      '/health/ready',
    ]) {
      expect((await api.get(path)).json, path).toEqual((await clientOf(fresh, service.adminKey).get(path)).json);
    }
    // The £30m, all to Serbia, and the £3m announced after the outage; the one withdrawn elsewhere counts nowhere.
    expect((await api.get('/totals?groupBy=country&currency=EUR')).json.rows).toEqual([
      { country: 'GB', count: 1, amounts: [gbp('3000000.00')], converted: eur('3562800.00'), unconverted: [], rates: [rate] },
      { country: 'RS', count: 1, amounts: [gbp('30000000.00')], converted: eur('35628000.00'), unconverted: [], rates: [rate] },
    ]);
  });

  it('answers a burst of writes cut by the server going away with 201 or 503 only, keeps every 201, and takes each retry exactly once', async () => {
    const standIn = await aStandIn();
    const service = await aServiceOn(standIn);
    await registerProgrammes(service);
    const attempts = Array.from({ length: 200 }, (_, n) => ({
      key: `burst-${n}`,
      body: theThreeMillion({ title: `Burst announcement ${n}` }),
    }));
    let answered = 0;

    // The server goes away the moment the 20th answer arrives, with the other 180 requests in flight or yet to be handled.
    const outcomes = attempts.map(async ({ key, body }) => {
      const outcome = await postWithin(service, '/announcements', body, { 'idempotency-key': key }, 10_000);
      answered += 1;
      if (answered === 20) void standIn.stop();
      return outcome;
    });
    const settled = await Promise.all(outcomes);

    const hung = settled.filter((outcome) => outcome === 'hung');
    expect(hung, 'requests with no answer within 10 s').toEqual([]);
    const answers = settled.filter((outcome) => outcome !== 'hung');
    const statuses = [...new Set(answers.map((answer) => answer.status))].sort();
    expect(statuses).toEqual([201, 503]);
    const failed = attempts.filter((_, n) => (settled[n] as Exclude<Outcome, 'hung'>).status === 503);
    for (const answer of answers.filter((answer) => answer.status === 503)) expectServiceUnavailable(answer);
    const acknowledged = answers.filter((answer) => answer.status === 201).map((answer) => answer.json.id as string);
    // Some 503s may be writes the server committed before the call was cut: their retries must be answered, not re-applied.

    await standIn.start();
    await untilReady(service, 200);
    const retried = await Promise.all(
      failed.map(({ key, body }) => postWithin(service, '/announcements', body, { 'idempotency-key': key }, 10_000)),
    );
    expect(retried.map((outcome) => (outcome === 'hung' ? 'hung' : outcome.status))).toEqual(failed.map(() => 201));
    const retriedIds = retried.map((outcome) => (outcome as Exclude<Outcome, 'hung'>).json.id as string);

    const restarted = await service.restart();
    const shown = await Promise.all(acknowledged.map(async (id) => (await clientOf(restarted).get(`/announcements/${id}`)).status));
    expect(shown).toEqual(acknowledged.map(() => 200));
    const announced = (await journal(restarted, 'type=FundingAnnounced')).map((event) => event.data.announcementId as string);
    const perId = new Map<string, number>();
    for (const id of announced) perId.set(id, (perId.get(id) ?? 0) + 1);
    expect([...perId.values()].filter((count) => count !== 1)).toEqual([]);
    expect(new Set([...acknowledged, ...retriedIds]).size).toBe(attempts.length);
    expect(new Set(announced)).toEqual(new Set([...acknowledged, ...retriedIds]));
    expect((await clientOf(restarted).get('/totals')).json.total).toEqual({ count: 200, amounts: [gbp('600000000.00')] });
  });
});
