// `ledger import`, run as a child process: all or nothing, idempotent, and an export imported into an empty ledger
// gives identical totals.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announce, clientOf, expectStatus, startTestLedger, type TestLedger } from '../support/ledger.js';
import { registerProgrammes, theThirtyMillion, theThreeMillion } from '../support/scenarios.js';
import { ANNOUNCEMENT_COLUMNS } from '../../src/schemas/csv.js';
import { aLineBody, aRow, csvOf, theSplitRows } from '../imports/rows.js';
import { jsonOf, ledger, type Ran } from './ledgerCli.js';

const LATER_ID = '22222222-2222-4222-8222-222222222222';

let root: string;

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-cli-import-'));
});

afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function aFile(name: string, text: string): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, text);
  return file;
}

function aDataDir(name: string): string {
  return path.join(root, name);
}

/** What `ledger audit verify --json` says of a data directory: its event count and last position, chains checked. */
async function headOf(dataDir: string): Promise<{ ok: boolean; events: number; lastPosition?: string }> {
  return jsonOf(await ledger(['audit', 'verify', '--json', '--data-dir', dataDir]));
}

function importing(file: string, dataDir: string, ...flags: string[]): Promise<Ran> {
  return ledger(['import', file, '--data-dir', dataDir, ...flags]);
}

const goodRows = [
  aRow(),
  ...theSplitRows({ programmeName: 'Western Balkans summit' }),
  aRow({ title: 'A duplicate', status: 'withdrawn', withdrawalReason: 'announced twice' }),
];

describe('ledger import', () => {
  it('imports a good CSV, prints a summary, and adds nothing when the same file comes again', async () => {
    const file = aFile('good.csv', csvOf(goodRows));
    const dataDir = aDataDir('good');

    const first = await importing(file, dataDir);
    const afterFirst = await headOf(dataDir);
    const second = await importing(file, dataDir);

    expect(first.code).toBe(0);
    expect(first.stdout).toBe(
      'rows read: 4\nannouncements imported: 3\nwithdrawals recorded: 1\nalready present: 0\nprogrammes registered: 2 (cps-smuggling-prosecutions, wb-summit)\nbad rows: 0\n',
    );
    expect(afterFirst).toMatchObject({ ok: true, events: 6, lastPosition: '6' });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('announcements imported: 0\n');
    expect(second.stdout).toContain('already present: 3\n');
    expect(await headOf(dataDir)).toEqual(afterFirst);
  });

  it('appends nothing and exits 1 when one row is bad, naming its line; --skip-invalid imports the rest', async () => {
    const file = aFile('one-bad.csv', csvOf([...goodRows.slice(0, 3), aRow({ title: 'bad', amount: '30,000,000', allocationValue: '' })]));
    const dataDir = aDataDir('one-bad');

    const refused = await importing(file, dataDir);
    const afterRefused = await headOf(dataDir);
    const skipped = await importing(file, dataDir, '--skip-invalid');

    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('line 5: amount: must be a decimal string such as "30000000.00"\n');
    expect(refused.stderr).toContain('nothing imported: 1 bad row(s)');
    expect(afterRefused).toMatchObject({ ok: true, events: 0 });
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toContain('line 5: amount: must be a decimal string such as "30000000.00"\n');
    expect(skipped.stdout).toContain('announcements imported: 2\n');
    expect(skipped.stdout).toContain('bad rows: 1\n');
    expect(await headOf(dataDir)).toMatchObject({ ok: true, events: 4 });
  });

  it('with --dry-run reports what would be written and writes nothing', async () => {
    const dataDir = aDataDir('dry');

    const ran = await importing(aFile('dry.csv', csvOf(goodRows)), dataDir, '--dry-run', '--json');

    expect(ran.code).toBe(0);
    expect(jsonOf(ran)).toMatchObject({
      imported: 3,
      withdrawals: 1,
      programmesRegistered: ['cps-smuggling-prosecutions', 'wb-summit'],
      written: false,
    });
    expect(ran.stderr).toContain('dry run: nothing written');
    expect(await headOf(dataDir)).toMatchObject({ events: 0 });
  });

  it('imports JSON Lines, one POST /announcements body a line', async () => {
    const body = aLineBody();
    const file = aFile('a.jsonl', `${JSON.stringify(body)}\n${JSON.stringify({ ...body, title: 'Second', tags: ['x'] })}\n`);
    const dataDir = aDataDir('jsonl');

    const first = await importing(file, dataDir, '--json');
    const second = await importing(file, dataDir, '--json');

    expect(jsonOf(first)).toMatchObject({ format: 'jsonl', rowsRead: 2, imported: 2, programmesRegistered: ['wb-summit'], written: true });
    expect(jsonOf(second)).toMatchObject({ imported: 0, alreadyPresent: 2, written: false });
  });

  it('refuses a file whose header it cannot read, and a file of another kind', async () => {
    const header = await importing(aFile('header.csv', 'funder,programme,title\nGB,x,y\n'), aDataDir('header'));
    const kind = await importing(aFile('data.xlsx', ''), aDataDir('kind'));

    expect(header).toMatchObject({ code: 1, stderr: 'ledger: line 1: header: missing column(s) announcedOn, currency, amount\n' });
    expect(kind.code).toBe(1);
    expect(kind.stderr).toContain('give a .csv file');
  });
});

// ---- The round trip: a ledger built through the service, exported, imported into an empty data directory ----

const TOTALS_GROUPINGS = [
  '',
  'programme',
  'country',
  'year',
  'fiscalYear',
  'funder',
  'currency',
  'programme,country',
  'funder,year,currency',
];

async function totalsOf(service: TestLedger): Promise<Record<string, unknown>> {
  const api = clientOf(service);
  const answers: Record<string, unknown> = {};
  for (const groupBy of TOTALS_GROUPINGS) {
    const { rows, total } = expectStatus(await api.get(`/totals?groupBy=${groupBy}`), 200).json;
    answers[groupBy || '(none)'] = { rows, total };
  }
  return answers;
}

/** Every announcement as the API shows it, by id, without its revision (the import records one event per announcement). */
async function announcementsOf(service: TestLedger): Promise<Record<string, unknown>> {
  const { items } = expectStatus(await clientOf(service).get('/announcements?limit=500'), 200).json;
  return Object.fromEntries((items as { id: string; revision: number }[]).map(({ revision: _revision, ...item }) => [item.id, item]));
}

async function programmesOf(service: TestLedger): Promise<unknown[]> {
  const { items } = expectStatus(await clientOf(service).get('/programmes'), 200).json;
  return (items as { code: string; name: string }[]).map(({ code, name }) => ({ code, name }));
}

/** Programmes, announcements in GBP and EUR: split, with a stated equivalent, tagged, amended, withdrawn, and awkward text. */
async function buildLedger(service: TestLedger): Promise<void> {
  const api = clientOf(service);
  await registerProgrammes(service);
  expectStatus(await api.post('/programmes', { code: 'wb-border-security', name: '-Western Balkans, "border" security' }), 201);
  await announce(service, theThirtyMillion());
  await announce(service, theThreeMillion());
  await announce(service, {
    funder: 'GB',
    programme: 'wb-border-security',
    title: 'Drones and cameras, for the "Western Balkans" route:\nSerbia, Kosovo, North Macedonia — Srbija, Kosova',
    announcedOn: '2025-04-15',
    amount: { value: '1200000.00', currency: 'GBP' },
    allocations: [
      { country: 'RS', value: '500000.00' },
      { country: 'XK', value: '400000.00' },
      { country: 'MK', value: '300000.00' },
    ],
    statedEquivalent: { value: '1400000.00', currency: 'EUR' },
    source: { url: 'https://www.gov.uk/government/news/example', publisher: 'Home Office', publishedOn: '2025-04-16' },
    tags: ['western-balkans', 'border security'],
  });
  await announce(service, {
    funder: 'DE',
    programme: 'wb-border-security',
    title: '=Joint patrols',
    announcedOn: '2024-11-20',
    amount: { value: '2500000.50', currency: 'EUR' },
    allocations: [
      { country: 'RS', value: '1000000.25' },
      { country: 'BA', value: '1500000.25' },
    ],
    tags: [],
  });
  const amended = await announce(service, { ...theThreeMillion(), title: 'To be corrected', announcedOn: '2025-01-10' });
  expectStatus(
    await api.post(`/announcements/${amended.id}/amendments`, {
      changes: { amount: { value: '3500000.00', currency: 'GBP' }, country: 'FR' },
      reason: 'corrected figure',
    }),
    200,
  );
  const withdrawn = await announce(service, { ...theThirtyMillion(), title: 'Announced twice' });
  expectStatus(await api.post(`/announcements/${withdrawn.id}/withdrawal`, { reason: 'a duplicate of the £30m' }), 200);
}

describe('the round trip: export, then import into an empty ledger', () => {
  it('gives identical totals, announcements and programmes, intact chains, and nothing more on a second import', async () => {
    const source = await startTestLedger();
    await buildLedger(source);
    // Exported with a BOM, as for Excel: import tolerates it.
    const exported = expectStatus(await clientOf(source).get('/exports/announcements.csv?bom=true'), 200).text;
    const expected = {
      totals: await totalsOf(source),
      announcements: await announcementsOf(source),
      programmes: await programmesOf(source),
    };
    await source.close();
    const file = aFile('export.csv', exported);
    const target = aDataDir('round-trip');

    const imported = await importing(file, target);
    const verified = await ledger(['audit', 'verify', '--data-dir', target]);
    const service = await startTestLedger({ dataDir: target });
    const actual = {
      totals: await totalsOf(service),
      announcements: await announcementsOf(service),
      programmes: await programmesOf(service),
    };
    await service.close();
    const again = await importing(file, target, '--json');
    const intoSource = await importing(file, source.dataDir, '--json');

    expect(exported).toContain("'=Joint patrols");
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toBe(
      'rows read: 9\nannouncements imported: 6\nwithdrawals recorded: 1\nalready present: 0\nprogrammes registered: 3 (oic-supply-chains, cps-smuggling-prosecutions, wb-border-security)\nbad rows: 0\n',
    );
    expect(actual.totals).toEqual(expected.totals);
    expect(actual.announcements).toEqual(expected.announcements);
    expect(actual.programmes).toEqual(expected.programmes);
    expect(verified).toMatchObject({ code: 0, stdout: expect.stringContaining('every chain is intact') });
    expect(jsonOf(again)).toMatchObject({ imported: 0, alreadyPresent: 6, badRows: 0, written: false });
    // Into the ledger it came from: the amended and withdrawn announcements are already there as they now stand.
    expect(jsonOf(intoSource)).toMatchObject({ imported: 0, alreadyPresent: 6, badRows: 0, written: false });
  });
});

describe('ledger import with restated parts and flows (issue 20)', () => {
  it('restates an announcement the ledger holds, records flows from a CSV of them, and the service counts the money once', async () => {
    const source = await startTestLedger();
    await registerProgrammes(source);
    const thirty = await announce(source, theThirtyMillion());
    const dataDir = source.dataDir;
    await source.close();
    const later = {
      ...aRow({ id: LATER_ID, amount: '12000000.00', allocationValue: '12000000.00' }),
      restates: `${thirty.id}:10000000.00`,
    };
    const announcements = aFile('restating.csv', csvOf([later], { columns: [...ANNOUNCEMENT_COLUMNS, 'restates'] }));
    const flows = aFile(
      'flows.csv',
      'announcement,kind,value,on\n' +
        `${LATER_ID},commitment,2000000.00,2025-04-01\n` +
        `${LATER_ID},disbursement,500000.00,2025-05-01\n` +
        `${thirty.id},commitment,-1.00,2025-05-01\n`,
    );

    const restating = await importing(announcements, dataDir);
    const refused = await importing(flows, dataDir);
    const recorded = await importing(flows, dataDir, '--skip-invalid');
    const again = await importing(flows, dataDir, '--skip-invalid', '--json');
    const service = await startTestLedger({ dataDir });
    const api = clientOf(service);
    const total = async (query: string) => expectStatus(await api.get(`/totals?${query}`), 200).json.total.amounts;
    const [announced, isNew, committed, disbursed] = [
      await total('basis=announced'),
      await total('basis=new'),
      await total('stage=committed'),
      await total('stage=disbursed'),
    ];
    await service.close();

    expect(restating.code, restating.stderr).toBe(0);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('line 4: reason: a negative commitment corrects earlier ones and must say why\n');
    expect(recorded.stdout).toContain('commitments recorded: 1\ndisbursements recorded: 1\n');
    expect(jsonOf(again)).toMatchObject({ commitments: 0, disbursements: 0, alreadyPresent: 2, written: false });
    expect(announced).toEqual([{ currency: 'GBP', value: '42000000.00' }]);
    expect(isNew).toEqual([{ currency: 'GBP', value: '32000000.00' }]);
    expect(committed).toEqual([{ currency: 'GBP', value: '2000000.00' }]);
    expect(disbursed).toEqual([{ currency: 'GBP', value: '500000.00' }]);
  });
});
