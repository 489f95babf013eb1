// Every date the API and imports take lies in 1900-01-01..2200-12-31, the range the year filters accept.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DATE_RANGE, EARLIEST_DATE, LATEST_DATE, fiscalYearOf, isDateInRange } from '../../src/domain/dates.js';
import { importFile } from '../../src/imports/importFile.js';
import { describeProblem } from '../../src/imports/problems.js';
import { openEmbeddedStore } from '../../src/store/embedded.js';
import { aRow, csvOf } from '../imports/rows.js';
import { announce, clientOf, expectOneFieldRefused, expectStatus, startTestLedger, type Reply } from '../support/ledger.js';
import { aListeningLedgerWithTheThirtyMillion, anAnnouncement, anExchangeRate, registerProgrammes } from '../support/scenarios.js';

const OUT_OF_RANGE = 'must lie between 1900-01-01 and 2200-12-31';

function expectRefused(reply: Reply, where: string, field: string, message: string | RegExp = OUT_OF_RANGE): void {
  expectOneFieldRefused(reply, where, field, message);
}

describe('the date range', () => {
  it('is one constant for dates and year filters, and its ends give well-formed fiscal years', () => {
    expect([EARLIEST_DATE, LATEST_DATE]).toEqual([`${DATE_RANGE.firstYear}-01-01`, `${DATE_RANGE.lastYear}-12-31`]);
    expect([isDateInRange('1899-12-31'), isDateInRange('1900-01-01'), isDateInRange('2200-12-31'), isDateInRange('2201-01-01')]).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect(isDateInRange('0000-01-01T00:00:00Z')).toBe(false);
    expect([fiscalYearOf(EARLIEST_DATE), fiscalYearOf(LATEST_DATE)]).toEqual(['1899-00', '2200-01']);
  });
});

describe('dates over HTTP', () => {
  it('refuses an out-of-range date in every body field as a 400 naming the field, and writes nothing', async () => {
    const { ledger, created } = await aListeningLedgerWithTheThirtyMillion();
    const { id } = created;
    const api = clientOf(ledger);
    const head = await ledger.storeHead();

    expectRefused(await api.post('/announcements', anAnnouncement({ announcedOn: '0000-01-01' })), 'body', 'announcedOn');
    expectRefused(await api.post('/announcements', anAnnouncement({ announcedOn: '9999-12-31' })), 'body', 'announcedOn');
    expectRefused(await api.post('/announcements', anAnnouncement({ announcedOn: '1899-12-31' })), 'body', 'announcedOn');
    expectRefused(
      await api.post('/announcements', anAnnouncement({ source: { url: 'https://www.gov.uk/x', publishedOn: '2201-01-01' } })),
      'body',
      'source.publishedOn',
    );
    expectRefused(
      await api.post(`/announcements/${id}/amendments`, { changes: { announcedOn: '0001-04-01' }, reason: 'typo in the year' }),
      'body',
      'changes.announcedOn',
    );
    expectRefused(await api.post('/exchange-rates', anExchangeRate({ effectiveOn: '9999-12-31' })), 'body', 'effectiveOn');
    // A date that is no date at all keeps its own message, alone.
    expectRefused(
      await api.post('/announcements', anAnnouncement({ announcedOn: '2025-02-30' })),
      'body',
      'announcedOn',
      /^must be a calendar date as YYYY-MM-DD$/,
    );

    expect(await ledger.storeHead()).toBe(head);
  });

  it('takes the first and last day of the range, and groups them by a fiscal year of the documented pattern', async () => {
    const ledger = await startTestLedger();
    await registerProgrammes(ledger);
    const api = clientOf(ledger);

    await announce(ledger, anAnnouncement({ announcedOn: EARLIEST_DATE }));
    await announce(ledger, anAnnouncement({ announcedOn: LATEST_DATE, title: 'The last day' }));
    expectStatus(await api.post('/exchange-rates', anExchangeRate({ effectiveOn: EARLIEST_DATE })), 201);

    const totals = expectStatus(await api.get('/totals?groupBy=fiscalYear&yearFrom=1900&yearTo=2200'), 200).json;
    expect(totals.rows.map((row: { fiscalYear: string }) => row.fiscalYear)).toEqual(['1899-00', '2200-01']);
  });

  it('refuses out-of-range dates, years and instants in queries', async () => {
    const ledger = await startTestLedger();
    const api = clientOf(ledger);

    expectRefused(await api.get('/announcements?announcedFrom=0000-01-01'), 'query', 'announcedFrom');
    expectRefused(await api.get('/announcements?announcedTo=9999-12-31'), 'query', 'announcedTo');
    expectRefused(await api.get('/totals?yearFrom=1899'), 'query', 'yearFrom', /^must be from 1900 to 2200$/);
    expectRefused(await api.get('/totals?yearTo=2201'), 'query', 'yearTo', /^must be from 1900 to 2200$/);
    expectRefused(await api.get('/totals?asOf=0001-01-01T00:00:00Z'), 'query', 'asOf');
    expectRefused(await api.get('/events?from=0000-01-01T00:00:00Z'), 'query', 'from');
    expectRefused(await api.get('/events?to=9999-12-31T23:59:59Z'), 'query', 'to');
    expect((await api.get('/announcements?announcedFrom=1900-01-01&announcedTo=2200-12-31')).status).toBe(200);
  });
});

describe('dates in an import', () => {
  it('refuses the rows whose dates are out of range, naming line and column, and appends nothing', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hygiene-dates-'));
    const store = openEmbeddedStore({ dataDir: path.join(root, 'data') });
    onTestFinished(async () => {
      await store.close();
      fs.rmSync(root, { recursive: true, force: true });
    });
    const file = path.join(root, 'dates.csv');
    fs.writeFileSync(
      file,
      csvOf([
        aRow({ announcedOn: '0000-01-01' }),
        aRow({ title: 'Another', sourceUrl: 'https://www.gov.uk/x', sourcePublishedOn: '9999-12-31' }),
        aRow({ title: 'Fine', announcedOn: '2200-12-31' }),
      ]),
    );

    const report = await importFile(store, file, { correlationId: 'run-1', now: () => '2025-06-01T09:00:00.000Z' });

    expect(report.problems.map(describeProblem)).toEqual([
      `line 2: announcedOn: ${OUT_OF_RANGE}`,
      `line 3: sourcePublishedOn: ${OUT_OF_RANGE}`,
    ]);
    expect(report.written).toBe(false);
    expect(await store.headPosition()).toBeUndefined();
  });
});
