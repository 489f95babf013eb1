// Commitments and disbursements imported into a real embedded store: in file order after the announcements they go
// against, through CommitFunding and DisburseFunding, keyed by content and occurrence, refusals named by line and field.
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { FLOW_COLUMNS } from '../../src/schemas/csv.js';
import { anImportedLedger } from './importedLedger.js';
import { aLineBody } from './rows.js';

const ANNOUNCEMENT = '11111111-1111-4111-8111-111111111111';
const UNKNOWN = '77777777-7777-4777-8777-777777777777';

const ledger = anImportedLedger();

/** £3m to GB, with an id flows can name. */
const theAnnouncement = { ...aLineBody(), id: ANNOUNCEMENT, amount: { value: '3000000.00', currency: 'GBP' }, country: 'GB' };

const jsonl = (lines: readonly object[]): string => lines.map((line) => JSON.stringify(line)).join('\n');

function flowCsv(rows: readonly Partial<Record<(typeof FLOW_COLUMNS)[number], string>>[]): string {
  return stringify(rows as Record<string, string>[], { header: true, columns: [...FLOW_COLUMNS] });
}

const flowLines = [
  { kind: 'commitment', announcement: ANNOUNCEMENT, value: '1000000.00', on: '2025-04-01' },
  { kind: 'disbursement', announcement: ANNOUNCEMENT, value: '250000.00', on: '2025-05-01' },
  // A second payment, equal to the first: its own event, told apart by its occurrence.
  { kind: 'disbursement', announcement: ANNOUNCEMENT, value: '250000.00', on: '2025-05-01' },
  { kind: 'commitment', announcement: ANNOUNCEMENT, value: '-100000.00', on: '2025-06-01', reason: 'the first commitment was overstated' },
];

describe('importing commitments and disbursements', () => {
  it('records JSON Lines flows against an announcement of an earlier line, in file order, through the deciders', async () => {
    const file = ledger.aFile('flows.jsonl', jsonl([theAnnouncement, ...flowLines]));

    const report = await ledger.importing(file);
    const events = await ledger.events();

    expect(report).toMatchObject({ imported: 1, commitments: 2, disbursements: 2, problems: [], written: true });
    expect(events.map((event) => event.type)).toEqual([
      'ProgrammeRegistered',
      'FundingAnnounced',
      'FundingCommitted',
      'FundingDisbursed',
      'FundingDisbursed',
      'FundingCommitted',
    ]);
    // The disbursement's country defaults to the announcement's one.
    expect(events[3]?.data).toMatchObject({ amount: { currency: 'GBP', minor: 25_000_000 }, on: '2025-05-01', country: 'GB' });
    const keys = events.slice(2).map((event) => String(event.metadata.idempotencyKey));
    expect(keys[1]).toMatch(/^import:disbursement:[0-9a-f]{64}:1$/);
    expect(keys[2]).toBe(keys[1]?.replace(/:1$/, ':2'));
    expect(new Set(keys).size).toBe(4);
    expect(events.slice(2).every((event) => event.metadata.actor === 'import')).toBe(true);
    expect(await ledger.totalOf({ stage: 'committed' })).toBe('900000.00');
    expect(await ledger.totalOf({ stage: 'disbursed' })).toBe('500000.00');
  });

  it('adds nothing when the same file comes again: every flow is already present', async () => {
    const file = ledger.aFile('twice.jsonl', jsonl([theAnnouncement, ...flowLines]));
    await ledger.importing(file);
    const before = await ledger.events();

    const again = await ledger.importing(file);

    expect(again).toMatchObject({ imported: 0, commitments: 0, disbursements: 0, alreadyPresent: 5, written: false });
    expect(await ledger.events()).toEqual(before);
  });

  it('records a CSV of flows against an announcement in the store; each refusal named by line and column, nothing written', async () => {
    await ledger.importing(ledger.aFile('announcement.jsonl', jsonl([theAnnouncement])));
    const before = await ledger.events();
    const good = { announcement: ANNOUNCEMENT, kind: 'commitment', value: '1000000.00', on: '2025-04-01' };
    const rows = [
      good,
      { ...good, kind: 'pledge' },
      { ...good, value: '5000000.00' },
      { ...good, kind: 'disbursement', country: 'FR' },
      { ...good, announcement: UNKNOWN },
      { ...good, value: '-10.00' },
      { ...good, country: 'GB' },
      { ...good, on: '2025-02-30', sourceUrl: 'ftp://example.org' },
    ];
    const file = ledger.aFile('flows.csv', flowCsv(rows));

    const report = await ledger.importing(file);

    expect(report.printed).toEqual([
      'line 3: kind: must be commitment or disbursement',
      'line 4: value: would take the sum of commitments to 6000000.00, above the amount announced',
      "line 5: country: the announcement's money goes to GB, not FR",
      `line 6: announcement: announcement ${UNKNOWN} does not exist`,
      'line 7: reason: a negative commitment corrects earlier ones and must say why',
      'line 8: country: is not a known field',
      'line 9: on: must be a calendar date as YYYY-MM-DD',
      'line 9: sourceUrl: must be an http(s) URL',
    ]);
    expect(report).toMatchObject({ commitments: 0, badRows: 7, written: false });
    expect(await ledger.events()).toEqual(before);

    const skipped = await ledger.importing(file, { skipInvalid: true });

    expect(skipped).toMatchObject({ commitments: 1, disbursements: 0, written: true });
    expect(await ledger.totalOf({ stage: 'committed' })).toBe('1000000.00');
  });

  it('refuses a flow against an announcement the same file failed to import, as the ledger would', async () => {
    const bad = { ...theAnnouncement, amount: { value: '3000000.001', currency: 'GBP' } };
    const file = ledger.aFile('bad.jsonl', jsonl([bad, flowLines[0] as object]));

    const report = await ledger.importing(file, { skipInvalid: true });

    expect(report.printed).toEqual([
      expect.stringMatching(/^line 1: amount\.value: /),
      `line 2: announcement: announcement ${ANNOUNCEMENT} does not exist`,
    ]);
    expect(report).toMatchObject({ imported: 0, commitments: 0, written: false });
  });
});
