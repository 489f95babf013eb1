// Fixtures for import tests: rows with the announcements export's columns, and files made of them.
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import { ANNOUNCEMENT_COLUMNS, type ImportedAnnouncementColumn } from '../../src/schemas/csv.js';
import type { FileItem } from '../../src/imports/candidate.js';
import { checkFile, readImportFile, type ImportFormat } from '../../src/imports/importFile.js';
import { describeProblem, sortedProblems } from '../../src/imports/problems.js';

/** A row of an announcements import: the export's columns, and `restates`. */
export type CsvRow = Partial<Record<ImportedAnnouncementColumn, string>>;

/** One line of a JSON Lines import: a POST /announcements body of £5 to Serbia under the summit programme. */
export function aLineBody() {
  return {
    funder: 'GB',
    programme: 'wb-summit',
    title: 'By line',
    announcedOn: '2025-03-31',
    amount: { value: '5.00', currency: 'GBP' },
    country: 'RS',
  };
}

/** The £3m for the Crown Prosecution Service, all to GB, as the export writes it; unless overridden. */
export function aRow(overrides: CsvRow = {}): CsvRow {
  return {
    id: '',
    status: 'active',
    funder: 'GB',
    programme: 'cps-smuggling-prosecutions',
    programmeName: 'Crown Prosecution Service: prosecuting organised international smugglers',
    title: 'Additional £3 million for the Crown Prosecution Service to prosecute organised international smugglers',
    announcedOn: '2025-03-31',
    currency: 'GBP',
    amount: '3000000.00',
    country: 'GB',
    allocationValue: '3000000.00',
    statedEquivalentCurrency: 'EUR',
    statedEquivalentValue: '3500000.00',
    sourceUrl: '',
    sourcePublisher: '',
    sourcePublishedOn: '',
    tags: 'organised-immigration-crime;summit-london-2025',
    withdrawalReason: '',
    revision: '0',
    ...overrides,
  };
}

/** The id of the announcement theSplitRows describe. */
export const SPLIT_ID = '5b0c8a52-9f3e-4c1d-8e2a-6d7f0b1c2e3d';

/** €100 for a new programme wb-summit, split €60 to Serbia and €40 to Kosovo: two rows of one announcement. */
export function theSplitRows(overrides: CsvRow = {}): CsvRow[] {
  const split: CsvRow = {
    id: SPLIT_ID,
    currency: 'EUR',
    amount: '100.00',
    statedEquivalentCurrency: '',
    statedEquivalentValue: '',
    programme: 'wb-summit',
    ...overrides,
  };
  return [aRow({ ...split, country: 'RS', allocationValue: '60.00' }), aRow({ ...split, country: 'XK', allocationValue: '40.00' })];
}

/** A CSV file: the header (every export column unless `columns` names fewer), then the rows; CRLF as the export writes. */
export function csvOf(rows: readonly CsvRow[], options: { columns?: readonly string[]; bom?: boolean } = {}): string {
  const columns = options.columns ?? ANNOUNCEMENT_COLUMNS;
  return stringify(rows as Record<string, string>[], {
    header: true,
    columns: [...columns],
    bom: options.bom ?? false,
    record_delimiter: 'windows',
  });
}

export async function itemsOf(text: string, format: ImportFormat = 'csv'): Promise<FileItem[]> {
  const items: FileItem[] = [];
  for await (const item of readImportFile(Readable.from([text]), format)) items.push(item);
  return items;
}

/** Problems of a file as `line N: field: message`, in file order. */
export async function checked(text: string, format: ImportFormat = 'csv') {
  const result = await checkFile(readImportFile(Readable.from([text]), format));
  const problems = sortedProblems(result.problems).map(describeProblem);
  return { ...result, problems };
}
