// `ledger export` in a child process: the same bytes as the HTTP exports, written atomically, with clear refusals.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminKeyPath } from '../../src/auth/keys.js';
import { loadConfig } from '../../src/config.js';
import { startLedger } from '../../src/ledger.js';
import { announce, clientOf, expectStatus, request, startTestLedger, type TestLedger } from '../support/ledger.js';
import { ledger as ledgerCli } from './ledgerCli.js';
import { anExchangeRate, registerProgrammes, theBalkansBorderTechnology, theThirtyMillion, theThreeMillion } from '../support/scenarios.js';

/** The real service on a data directory the tests keep (startTestLedger cannot run in beforeAll). */
async function serviceOn(dataDir: string): Promise<TestLedger> {
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0' });
  const service = await startLedger(config, pino({ level: 'silent' }));
  await service.app.listen({ host: config.host, port: config.port });
  const baseUrl = `http://127.0.0.1:${(service.app.server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    send: (method, path, options) => request(baseUrl, method, path, options),
    adminKey: readFileSync(adminKeyPath(dataDir), 'utf8').trim(),
    dataDir,
    ledger: service,
    close: () => service.close(),
  } as TestLedger;
}

async function download(ledger: TestLedger, path: string): Promise<Buffer> {
  const response = await fetch(new URL(path, ledger.baseUrl), { headers: { authorization: `Bearer ${ledger.adminKey}` } });
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

/** What the service answered for each export, before it was stopped for the command line. */
const HTTP_EXPORTS = {
  byProgrammeAndCountry: '/exports/totals.csv?groupBy=programme,country&currency=EUR',
  filtered: '/exports/totals.csv?groupBy=year&currency=GBP&programme=oic-supply-chains&country=RS&funder=GB&yearFrom=2025&yearTo=2025',
  asOf: '/exports/totals.csv?groupBy=programme&asOf=4',
  stagesWithRates: '/exports/totals.csv?groupBy=stage,country&currency=EUR&basis=new&stage=announced&rates=true',
  announcements: '/exports/announcements.csv?bom=true',
  events: '/exports/events.csv',
} as const;

describe('ledger export', () => {
  let dataDir: string;
  let outDir: string;
  const served = new Map<string, Buffer>();

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'export-cli-data-'));
    outDir = mkdtempSync(join(tmpdir(), 'export-cli-out-'));
    const ledger = await serviceOn(dataDir);
    await registerProgrammes(ledger);
    await announce(ledger, theThirtyMillion());
    await announce(ledger, theThreeMillion());
    // A title a spreadsheet would take for a formula: the CLI's file must escape it exactly as the API's does.
    await announce(ledger, theBalkansBorderTechnology({ title: '+Balkans' }));
    expectStatus(await clientOf(ledger).post('/exchange-rates', anExchangeRate()), 201);
    for (const [name, path] of Object.entries(HTTP_EXPORTS)) served.set(name, await download(ledger, path));
    await ledger.close();
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
  });

  it.each([
    ['byProgrammeAndCountry', ['totals', '--group-by', 'programme,country', '--currency', 'EUR']],
    [
      'filtered',
      [
        'totals',
        '--group-by',
        'year',
        '--currency',
        'GBP',
        '--programme',
        'oic-supply-chains',
        '--country',
        'RS',
        '--funder',
        'GB',
        '--year-from',
        '2025',
        '--year-to',
        '2025',
      ],
    ],
    ['asOf', ['totals', '--group-by', 'programme', '--as-of', '4']],
    [
      'stagesWithRates',
      ['totals', '--group-by', 'stage,country', '--currency', 'EUR', '--basis', 'new', '--stage', 'announced', '--rates'],
    ],
    ['announcements', ['announcements', '--bom']],
    ['events', ['events']],
  ] as const)('writes the same bytes as GET %s', async (name, args) => {
    const out = join(outDir, `${name}.csv`);

    const ran = await ledgerCli(['--data-dir', dataDir, 'export', ...args, '--out', out]);

    expect(ran.stderr).toMatch(new RegExp(`wrote ${out}: \\d+ rows at position \\d+`));
    expect(ran.code).toBe(0);
    expect(readFileSync(out)).toEqual(served.get(name));
    expect(readdirSync(outDir).filter((file) => file.endsWith('.tmp'))).toEqual([]);
  });

  it.each([
    [['pivot'], 'unknown export "pivot": use totals, announcements, events'],
    [['totals', '--group-by', 'planet'], '--group-by: unknown dimension "planet"'],
    [['totals', '--currency', 'USD'], '--currency: must be one of GBP, EUR'],
    [['totals', '--programme', 'nope'], 'no programme is registered with code "nope"'],
    [['totals', '--as-of', '99'], 'asOf 99 is beyond the last event applied (6)'],
    [['totals', '--basis', 'gross'], '--basis: must be one of announced, new'],
    [['totals', '--stage', 'pledged'], '--stage: must be a comma-separated list of distinct stages'],
    [['events', '--group-by', 'country', '--currency', 'EUR'], '--group-by, --currency: only a totals export takes these'],
  ])('refuses %j, leaving the existing file as it was', async (args, message) => {
    const out = join(outDir, 'kept.csv');
    writeFileSync(out, 'before\r\n');

    const ran = await ledgerCli(['--data-dir', dataDir, 'export', ...args, '--out', out]);

    expect(ran.code).toBe(1);
    expect(ran.stderr).toContain(message);
    expect(readFileSync(out, 'utf8')).toBe('before\r\n');
    expect(existsSync(`${out}.tmp`)).toBe(false);
  });

  it('says the data directory is in use while the service holds the embedded store', async () => {
    const ledger = await startTestLedger({ dataDir });
    const out = join(outDir, 'while-running.csv');
    try {
      const ran = await ledgerCli(['--data-dir', dataDir, 'export', 'events', '--out', out]);

      expect(ran.code).toBe(1);
      expect(ran.stderr).toMatch(/in use|locked/i);
      expect(existsSync(out)).toBe(false);
    } finally {
      await ledger.close();
    }
  });
});
