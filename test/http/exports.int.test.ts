// CSV exports over real HTTP: headers and file names, totals that add up to /totals, announcements, the journal, scopes, schedules.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ANNOUNCEMENT_COLUMNS, EVENT_COLUMNS } from '../../src/schemas/csv.js';
import { formatPosition } from '../../src/store/position.js';
import { recordsOf, rowsOf } from '../exports/support.js';
import { announce, clientOf, expectStatus, startInjectedLedger, type LedgerUnderTest } from '../support/ledger.js';
import {
  aLedgerWithTheRealAnnouncements,
  anExchangeRate,
  gbp,
  minorOf,
  theBalkansBorderTechnology,
  theDailyByCountrySchedule,
  theEarlierCpsFunding,
  theGermanContribution,
  theThreeMillion,
} from '../support/scenarios.js';

/** The two real announcements, three made-up ones (split, EUR, earlier), a withdrawn one, and a GBP-EUR rate: position 10. */
async function aLedger() {
  const { ledger, thirty, three } = await aLedgerWithTheRealAnnouncements();
  const balkans = await announce(
    ledger,
    theBalkansBorderTechnology({ title: 'Western Balkans, "border" technology', tags: ['western-balkans'] }),
  );
  await announce(ledger, theGermanContribution({ title: '=German contribution' }));
  await announce(ledger, theEarlierCpsFunding());
  const withdrawn = await announce(
    ledger,
    theThreeMillion({ title: 'Announced in error', amount: gbp('7.77'), statedEquivalent: undefined }),
  );
  expectStatus(await clientOf(ledger).post(`/announcements/${withdrawn.id}/withdrawal`, { reason: 'announced twice' }), 200);
  expectStatus(await clientOf(ledger).post('/exchange-rates', anExchangeRate()), 201);
  return { ledger, ids: { thirty: thirty.id, three: three.id, balkans: balkans.id, withdrawn: withdrawn.id } };
}

async function download(ledger: LedgerUnderTest, path: string, key: string | null = ledger.adminKey) {
  const reply = await ledger.send('GET', path, key === null ? {} : { key });
  return { status: reply.status, headers: reply.headers, bytes: reply.bytes, text: reply.bytes.toString('utf8') };
}

describe('GET /exports/totals.csv', () => {
  it('answers CSV with a file name and a header carrying the position', async () => {
    const { ledger } = await aLedger();

    const reply = await download(ledger, '/exports/totals.csv?groupBy=programme');

    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(reply.headers.get('content-disposition')).toBe('attachment; filename="totals-10.csv"');
    expect(reply.headers.get('x-ledger-position')).toBe('10');
    expect(recordsOf(reply.text)).toEqual([
      ['programme', 'currency', 'amount', 'count'],
      ['cps-smuggling-prosecutions', 'GBP', '4000000.00', '2'],
      ['oic-supply-chains', 'EUR', '5000000.00', '1'],
      ['oic-supply-chains', 'GBP', '32000000.00', '2'],
    ]);
  });

  it.each([
    '',
    '?groupBy=programme,country',
    '?groupBy=year,funder&currency=EUR',
    '?groupBy=country,fiscalYear&currency=GBP',
    '?groupBy=currency,programme&currency=EUR',
    '?groupBy=country&currency=EUR&funder=GB&yearFrom=2025',
    '?groupBy=programme&programme=oic-supply-chains&currency=GBP',
    '?groupBy=country&country=RS&currency=EUR',
    '?groupBy=programme&currency=EUR&asOf=6',
  ])('adds up exactly to /totals%s, converted amounts and unconverted ids too', async (query) => {
    const { ledger } = await aLedger();

    const csv = await download(ledger, `/exports/totals.csv${query}`);
    const json = (await clientOf(ledger).get(`/totals${query}`)).json;

    const rows = rowsOf(csv.text);
    const sums = new Map<string, bigint>();
    for (const row of rows) sums.set(row.currency!, (sums.get(row.currency!) ?? 0n) + minorOf(row.amount!));
    expect(rows.length).toBeGreaterThan(0);
    expect(Object.fromEntries(sums)).toEqual(
      Object.fromEntries(json.total.amounts.map((a: { currency: string; value: string }) => [a.currency, minorOf(a.value)])),
    );
    expect(csv.headers.get('x-ledger-position')).toBe(json.position);
    if (json.currency !== null) {
      expect(rows.reduce((sum, row) => sum + minorOf(row.convertedAmount!), 0n)).toBe(minorOf(json.total.converted.value));
      expect([...new Set(rows.flatMap((row) => row.unconvertedIds!.split(';').filter(Boolean)))].sort()).toEqual(json.total.unconverted);
      expect(new Set(rows.map((row) => row.convertedCurrency))).toEqual(new Set([json.currency]));
    }
  });

  it('converts per allocation: the £30m at 1.1876 is €35,628,000.00, and EUR needs no rate', async () => {
    const { ledger } = await aLedger();

    const rows = rowsOf((await download(ledger, '/exports/totals.csv?groupBy=programme&currency=EUR')).text);

    expect(rows).toContainEqual({
      programme: 'oic-supply-chains',
      currency: 'EUR',
      amount: '5000000.00',
      count: '1',
      convertedCurrency: 'EUR',
      convertedAmount: '5000000.00',
      unconvertedIds: '',
    });
    // The 2025-03-31 rate applies to the £30m and to the £2m of 2025-04-17.
    expect(rows).toContainEqual({
      programme: 'oic-supply-chains',
      currency: 'GBP',
      amount: '32000000.00',
      count: '2',
      convertedCurrency: 'EUR',
      convertedAmount: '38003200.00',
      unconvertedIds: '',
    });
  });

  it('names the past position with asOf', async () => {
    const { ledger } = await aLedger();

    const reply = await download(ledger, '/exports/totals.csv?asOf=4');

    expect(reply.headers.get('content-disposition')).toBe('attachment; filename="totals-4.csv"');
    expect(recordsOf(reply.text)).toEqual([
      ['currency', 'amount', 'count'],
      ['GBP', '33000000.00', '2'],
    ]);
  });

  it.each([
    ['?groupBy=planet', 'groupBy'],
    ['?currency=USD', 'currency'],
    ['?programme=unknown-programme', 'programme'],
    ['?asOf=99', 'asOf'],
    ['?bom=yes', 'bom'],
    ['?colour=blue', ''],
  ])('refuses %s with 400 naming %s', async (query, field) => {
    const { ledger } = await aLedger();

    const reply = await clientOf(ledger).get(`/exports/totals.csv${query}`);

    expect(reply.status).toBe(400);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    if (field !== '') expect(reply.json.errors.map((error: { field: string }) => error.field)).toContain(field);
  });

  it('waits for minPosition, and answers 503 when it is not reached', async () => {
    const { ledger } = await aLedger();

    const reached = await download(ledger, '/exports/totals.csv?minPosition=10');
    const beyond = await clientOf(ledger).get('/exports/totals.csv?minPosition=11');

    expect(reached.status).toBe(200);
    expect(beyond.status).toBe(503);
    expect(beyond.headers.get('retry-after')).toBe('1');
  }, 15_000);
});

describe('GET /exports/announcements.csv', () => {
  it('has one row per allocation with its status, withdrawn ones included, in the order recorded', async () => {
    const { ledger, ids } = await aLedger();

    const reply = await download(ledger, '/exports/announcements.csv');
    const [header, ...records] = recordsOf(reply.text);
    const rows = rowsOf(reply.text);

    expect(reply.headers.get('content-disposition')).toBe('attachment; filename="announcements-10.csv"');
    expect(reply.headers.get('x-ledger-position')).toBe('10');
    expect(header).toEqual([...ANNOUNCEMENT_COLUMNS]);
    expect(records).toHaveLength(7);
    expect(rows.filter((row) => row.id === ids.balkans).map((row) => [row.country, row.allocationValue, row.amount])).toEqual([
      ['RS', '1500000.00', '2000000.00'],
      ['XK', '500000.00', '2000000.00'],
    ]);
    expect(rows.find((row) => row.id === ids.withdrawn)).toMatchObject({
      status: 'withdrawn',
      withdrawalReason: 'announced twice',
      amount: '7.77',
      revision: '1',
    });
    expect(rows.find((row) => row.id === ids.thirty)).toMatchObject({
      status: 'active',
      programmeName: 'Organised immigration crime: supply chains, illicit finance and trafficking routes',
      country: 'unallocated',
      statedEquivalentCurrency: 'EUR',
      statedEquivalentValue: '36000000.00',
      tags: 'organised-immigration-crime;summit-london-2025',
    });
    expect(rows.map((row) => row.title)).toContain("'=German contribution");
    expect(rows.map((row) => row.title)).toContain('Western Balkans, "border" technology');
  });

  it('starts with a byte order mark with bom=true, and is otherwise the same file', async () => {
    const { ledger } = await aLedger();

    const withBom = await download(ledger, '/exports/announcements.csv?bom=true');
    const without = await download(ledger, '/exports/announcements.csv');

    expect([...withBom.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(without.bytes[0]).toBe('i'.charCodeAt(0));
    expect(withBom.bytes.subarray(3)).toEqual(without.bytes);
  });

  it('needs the read scope', async () => {
    const { ledger } = await aLedger();
    const writer = ledger.createKey('writer', ['write']);

    expect((await download(ledger, '/exports/announcements.csv', null)).status).toBe(401);
    expect((await download(ledger, '/exports/announcements.csv', writer)).status).toBe(403);
    expect((await download(ledger, '/exports/announcements.csv', ledger.createKey('reader', ['read']))).status).toBe(200);
  });
});

describe('GET /exports/events.csv', () => {
  it('has one row per event in position order, exactly as the store holds them', async () => {
    const { ledger } = await aLedger();
    const events = await ledger.eventsIn('');

    const reply = await download(ledger, '/exports/events.csv');
    const [header] = recordsOf(reply.text);
    const rows = rowsOf(reply.text);

    expect(reply.headers.get('content-disposition')).toBe('attachment; filename="events-10.csv"');
    expect(header).toEqual([...EVENT_COLUMNS]);
    expect(rows.map((row) => row.position)).toEqual(events.map((event) => formatPosition(event.position)));
    for (const [index, event] of events.entries()) {
      expect(rows[index]).toEqual({
        position: formatPosition(event.position),
        recordedAt: event.metadata.recordedAt,
        stream: event.stream,
        revision: event.revision.toString(),
        type: event.type,
        actor: event.metadata.actor,
        correlationId: event.metadata.correlationId,
        causationId: event.metadata.causationId,
        idempotencyKey: (event.metadata.idempotencyKey as string | undefined) ?? '',
        eventId: event.id,
        data: JSON.stringify(event.data),
        hash: event.metadata.hash,
        prevHash: event.metadata.prevHash,
      });
    }
  });

  it('needs the audit scope: a read key is refused', async () => {
    const { ledger } = await aLedger();

    expect((await download(ledger, '/exports/events.csv', ledger.createKey('reader', ['read']))).status).toBe(403);
    expect((await download(ledger, '/exports/events.csv', ledger.createKey('auditor', ['audit']))).status).toBe(200);
  });

  it('exports an empty ledger as the header alone, at position 0', async () => {
    const ledger = await startInjectedLedger();

    const reply = await download(ledger, '/exports/events.csv');

    expect(reply.headers.get('content-disposition')).toBe('attachment; filename="events-0.csv"');
    expect(reply.text).toBe(`${EVENT_COLUMNS.join(',')}\r\n`);
  });
});

function aSchedulesFile(schedules: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'schedules-file-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'schedules.json');
  writeFileSync(file, JSON.stringify(schedules));
  return file;
}

describe('GET /exports/schedules', () => {
  it('lists each schedule with its next run, and its last result once it has run', async () => {
    const file = aSchedulesFile([
      { name: 'every-second', cron: '*/1 * * * * *', kind: 'announcements', directory: 'exports', keep: 3 },
      theDailyByCountrySchedule(),
    ]);
    const ledger = await startInjectedLedger({ env: { EXPORT_SCHEDULES_FILE: file } });
    const reader = ledger.createKey('reader', ['read']);

    const before = expectStatus(await clientOf(ledger, reader).get('/exports/schedules'), 200).json;
    let after = before;
    for (let tries = 0; tries < 60 && after.schedules[0].lastRun === null; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      after = expectStatus(await clientOf(ledger, reader).get('/exports/schedules'), 200).json;
    }

    expect(before.schedules.map((s: { name: string }) => s.name)).toEqual(['every-second', 'daily-by-country']);
    expect(before.schedules[1]).toEqual({
      name: 'daily-by-country',
      cron: '0 6 * * *',
      timezone: 'Europe/London',
      kind: 'totals',
      options: { groupBy: ['country', 'year'], currency: 'EUR' },
      keep: 30,
      nextRun: expect.stringMatching(/T0[56]:00:00\.000Z$/),
      running: false,
      lastRun: null,
    });
    expect(Date.parse(after.schedules[0].nextRun) - Date.now()).toBeLessThanOrEqual(2_000);
    expect(after.schedules[0].lastRun).toMatchObject({
      status: 'ok',
      file: expect.stringMatching(/^every-second-\d{8}T\d{6}Z-0\.csv$/),
      rows: 0,
      position: '0',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      finishedAt: expect.any(String),
    });
    expect((await clientOf(ledger, null).get('/exports/schedules')).status).toBe(401);
  });

  it('answers an empty list when no schedules file is configured', async () => {
    const ledger = await startInjectedLedger();

    expect(expectStatus(await clientOf(ledger).get('/exports/schedules'), 200).json).toEqual({ schedules: [] });
  });
});

describe('start-up with an invalid schedules file', () => {
  const bad = [theDailyByCountrySchedule({ options: { groupBy: ['country', 'planet'] } })];

  it('fails, naming the schedule and the field', async () => {
    const file = aSchedulesFile(bad);

    await expect(startInjectedLedger({ env: { EXPORT_SCHEDULES_FILE: file } })).rejects.toThrow(
      'schedule "daily-by-country": options.groupBy: unknown dimension "planet"',
    );
  });

  it('stops the service with exit code 2 and that message', async () => {
    const file = aSchedulesFile(bad);
    const dataDir = mkdtempSync(join(tmpdir(), 'schedules-server-'));
    onTestFinished(() => rmSync(dataDir, { recursive: true, force: true }));
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const tsx = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;

    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', tsx, join(root, 'src/server.ts')], {
        env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir, PORT: '0', EXPORT_SCHEDULES_FILE: file },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let text = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      child.on('error', reject);
      child.on('close', (exit) => resolve({ code: exit, stderr: text }));
    });

    expect(code).toBe(2);
    expect(stderr).toContain(`funding-ledger: EXPORT_SCHEDULES_FILE ${file}: invalid export schedules:`);
    expect(stderr).toContain('schedule "daily-by-country": options.groupBy: unknown dimension "planet"');
  }, 30_000);
});
